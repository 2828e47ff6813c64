import type { RecordedEvent } from '@app/event-store';
import type { ProjectionContext } from './projection';

/**
 * What a one-pass writer reads ahead for the pages read but not folded yet (RebuildWriter.readAhead),
 * by page: started when the page is read, taken (and awaited) by the page's fold.
 */
export class PagesAhead<Ahead> {
  private readonly pages = new WeakMap<readonly RecordedEvent[], Promise<Ahead>>();

  constructor(private readonly read: (events: readonly RecordedEvent[], context: Pick<ProjectionContext, 'schema' | 'query'>) => Promise<Ahead>) {}

  start(events: readonly RecordedEvent[], context: Pick<ProjectionContext, 'schema' | 'query'>): void {
    const ahead = this.read(events, context);
    // The page's fold awaits it and fails with it; a page never folded (the fold stopped) is nobody's failure.
    ahead.catch(() => undefined);
    this.pages.set(events, ahead);
  }

  /** What was read ahead for this page, if anything: the fold's own, let go here. */
  async take(events: readonly RecordedEvent[]): Promise<Ahead | undefined> {
    const ahead = this.pages.get(events);
    this.pages.delete(events);
    return ahead;
  }
}
