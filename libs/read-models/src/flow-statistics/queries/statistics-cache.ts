import type { DataSource } from 'typeorm';
import { poolOf, PreparedNames, sentWithCallback } from '@app/platform';
import { CHECKPOINT_TABLE } from '@app/projection-engine';
import { CHECKPOINT_VERSION_SQL } from '../../read-model-version';
import { FLOW_STATISTICS } from '../flow-statistics.projection';
import { lastBusinessDate, type AnswerBasis } from './recorded';
import { STATISTICS_SETTINGS_TABLE, thresholdOf } from './settings';

/** Answers kept per process; a flows answer is tens of kilobytes. */
const MAX_ANSWERS = 100;

/**
 * A kept answer: while it is computed, its promise (identical questions asked meanwhile share
 * it); once answered, its JSON text as bytes, outside V8's heap; once asked again, the object
 * parsed from them (carrying those bytes: answerJson), as every ask after that gets it. A part
 * kept for the computations (outlook.ts's situations, which hold maps) stays the object it is.
 */
type Kept = { readonly answer: Promise<unknown> } | { readonly json: Buffer };

/**
 * Where an answer whose JSON the cache wrote (computed, or parsed from its kept bytes) carries
 * it: on itself, under this symbol, not enumerable (no part of its JSON, of a copy or of a
 * comparison), as the very bytes the cache keeps (UTF-8), so that the API sends them as they are
 * (apps/api's json-body.ts) instead of writing the text again and copying it into bytes of its
 * own, and they live exactly as long as the answer. A WeakMap from answers to texts kept each
 * text through the young generation's next collection after its answer had died (V8's scavenges
 * take the values of a WeakMap whose table is old as live, whatever their keys): some 780 KiB of
 * texts copied by every scavenge of the query scenario (bench/README.md, "What survives the
 * service's scavenges (twelfth session)"). The text itself dies as soon as it is encoded: the
 * answer carried it, and Express encoded it once more for each reply, until the thirteenth
 * session ("Computed range answers' per-answer work").
 */
const JSON_BYTES = Symbol('the answer as JSON, UTF-8');

/** The JSON of a statistics answer the cache gave (`JSON.stringify` of it, UTF-8), if it has it. */
export function answerJson(answer: object): Buffer | undefined {
  return (answer as { readonly [JSON_BYTES]?: Buffer })[JSON_BYTES];
}

/** `answer`, carrying `json` as its JSON (answerJson). */
function withJson<T extends object>(answer: T, json: Buffer): T {
  return Object.defineProperty(answer, JSON_BYTES, { value: json, configurable: true });
}

/** The read model's version (statistics-cache's key) and the threshold, read on every ask ($1: the projection's name). */
const VERSION_SQL = `SELECT ${CHECKPOINT_VERSION_SQL} || '|' || coalesce(s.suppress_below::text || '@' || s.updated_at::text, '') AS version,
              s.suppress_below
         FROM ${CHECKPOINT_TABLE} c LEFT JOIN ${STATISTICS_SETTINGS_TABLE} s ON s.id
        WHERE c.name = $1`;

/** VERSION_SQL prepared once per connection (PreparedNames): one statement on every statistics request. */
const VERSION_READ = new PreparedNames('statistics-version');

/**
 * Statistics answers, kept until the flow-statistics read model or the suppression settings
 * change. Every answer is computed from the whole read model (hundreds of milliseconds at
 * 100,000 dossiers) and changes only when the projection applies a batch (its checkpoint row's
 * position and `updated_at`, which a rebuild's switch also moves) or an admin changes the
 * threshold. The dashboard asks for the same figures in bursts, and analysts for the same month
 * ends; identical questions asked together share one computation.
 *
 * The version is read before the answer is computed, so an answer is never older than the
 * version it is kept under (at worst newer, when a batch lands in between). What every answer of
 * the version shares (AnswerBasis) is handed to the computation, which then needs no statement of
 * its own for it (bench/README.md, "Computed range answers (tenth session)"): the threshold, read
 * by the version's statement, and the last business date, read once a version when the first
 * answer of it is computed (in the version's statement it cost every kept answer a `max()` over
 * the events).
 *
 * An answer is kept as its JSON text in a Buffer until it is asked again (Kept): most questions
 * are asked once, and kept as objects each answer's some hundred kilobytes of cells survived the
 * young generation's collections and were copied into the old one, which made those collections
 * 5-15 ms long (bench/README.md, "Computed range answers' collections (eleventh session)"). The
 * text is written once, when the answer is computed, and the API sends its bytes as they are.
 */
export class StatisticsCache {
  private readonly answers = new Map<string, Kept>();
  /** The last business date of the version whose answers were computed last. */
  private lastDate: { version: string; date: Promise<string | null> } | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly count: (source: 'cache' | 'computed') => void,
  ) {}

  /**
   * `compute` is given the version's basis; null before the projection has a checkpoint (then it
   * reads its own). The answer is plain JSON data (it is kept as its JSON text).
   */
  answer<T extends object>(question: string, compute: (basis: AnswerBasis | null) => Promise<T>): Promise<T> {
    return this.kept(question, compute, true);
  }

  /** A part of answers (outlook.ts's Remember), kept as the object it is, like an answer otherwise. */
  part<T>(key: string, compute: (basis: AnswerBasis | null) => Promise<T>): Promise<T> {
    return this.kept(key, compute, false);
  }

  private async kept<T>(question: string, compute: (basis: AnswerBasis | null) => Promise<T>, asJson: boolean): Promise<T> {
    const read = await this.version();
    if (read === null) return compute(null);
    const key = `${read.version}|${question}`;
    const kept = this.answers.get(key);
    if (kept) {
      // Most recently used last, so the oldest is evicted first.
      this.answers.delete(key);
      this.count('cache');
      if ('answer' in kept) {
        this.answers.set(key, kept);
        return kept.answer as Promise<T>;
      }
      // Asked again: parsed once, and kept as the object from now on.
      const answer = withJson(JSON.parse(kept.json.toString('utf8')) as T & object, kept.json);
      this.answers.set(key, { answer: Promise.resolve(answer) });
      return answer;
    }
    this.count('computed');
    const computing = this.lastBusinessDateOf(read.version).then((date) => compute({ suppressBelow: read.suppressBelow, lastBusinessDate: date }));
    const entry: Kept = {
      answer: asJson
        ? computing.then((answer) => {
            const json = Buffer.from(JSON.stringify(answer), 'utf8');
            withJson(answer as object, json);
            if (this.answers.get(key) === entry) this.answers.set(key, { json });
            return answer;
          })
        : computing,
    };
    this.answers.set(key, entry);
    entry.answer.catch(() => {
      if (this.answers.get(key) === entry) this.answers.delete(key);
    });
    while (this.answers.size > MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    return entry.answer as Promise<T>;
  }

  /** Read once a version (a failed read is read again by the next answer). */
  private lastBusinessDateOf(version: string): Promise<string | null> {
    if (this.lastDate?.version !== version) {
      const date = lastBusinessDate(this.dataSource);
      this.lastDate = { version, date };
      date.catch(() => {
        if (this.lastDate?.date === date) this.lastDate = null;
      });
    }
    return this.lastDate!.date;
  }

  /**
   * Null before the projection has a checkpoint: nothing to key on, nothing kept. Read on every
   * ask, so straight from the pool with pg's callback form (poolOf, sentWithCallback), prepared once per connection (VERSION_READ): TypeORM's
   * query runner around it and pg's promise form cost every statistics request some 0.1 ms of the
   * service's work (bench/README.md, "Computed range answers' per-answer work (thirteenth session)").
   */
  private async version(): Promise<{ version: string; suppressBelow: number } | null> {
    const { rows } = await sentWithCallback<{ rows: Array<{ version: string | null; suppress_below: number | null }> }>(
      poolOf(this.dataSource),
      VERSION_SQL,
      [FLOW_STATISTICS],
      VERSION_READ.nameOf(VERSION_SQL),
    );
    const [row] = rows;
    if (!row || row.version === null) return null;
    return { version: row.version, suppressBelow: thresholdOf(row.suppress_below) };
  }
}
