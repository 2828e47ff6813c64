/**
 * Names for statements sent often, one per text, so that each PostgreSQL connection prepares a
 * statement once and then only binds and executes it (node-pg's `name`): PostgreSQL parsed and
 * planned each such text anew on every send, and after five executions it keeps a generic plan
 * when that plan is no costlier than the custom ones. A prepared statement names its tables as
 * its text does: a table dropped or moved (a rebuild's switch) makes PostgreSQL analyse the text
 * again on its next execution. The texts come from code, a handful per user; past MAX_PREPARED a
 * text goes unnamed, parsed each time. Used by the event store's reads with a record
 * (docs/auditing.md) and the statistics' reads (docs/statistics.md).
 */
export class PreparedNames {
  private static readonly MAX_PREPARED = 16;
  private readonly names = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  nameOf(sql: string): string | undefined {
    let name = this.names.get(sql);
    if (name === undefined && this.names.size < PreparedNames.MAX_PREPARED) {
      name = `${this.prefix}-${this.names.size + 1}`;
      this.names.set(sql, name);
    }
    return name;
  }
}
