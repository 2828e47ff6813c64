import { SingleBar } from 'cli-progress';
import type { ProjectionEngine, RebuildProgress } from '@app/projection-engine';

/**
 * `npm run cli -- projections list` and `projections rebuild <name>`: without a name, lists the
 * projections; with one, rebuilds it beside the live copy and switches atomically, showing
 * progress through the log with events/s and an ETA on `output`.
 */
export async function runRebuildCommand(engine: ProjectionEngine, name: string | undefined, output: NodeJS.WritableStream): Promise<void> {
  const say = (line: string) => output.write(`${line}\n`);
  if (!name) {
    for (const status of await engine.statuses()) {
      say(`${status.name}\t${status.state}\tposition ${status.position.commit}\tlag ${status.lagEvents} events`);
    }
    say('\nRebuild one: npm run cli -- projections rebuild <name>');
    return;
  }
  engine.projection(name);
  const bar = new SingleBar({
    format: `${name} [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}`,
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    etaBuffer: 20,
    stream: output,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  // Progress is how far through the log the copy is: prepare positions grow with the log in both
  // stores (on PostgreSQL, about one per event; its commit part is the appending transaction's
  // id), while the number of events ahead is only known on PostgreSQL.
  const started = Date.now();
  const rate = (events: number) => Math.round(events / Math.max(0.001, (Date.now() - started) / 1000));
  bar.start(1000, 0, { events: 0, rate: 0 });
  try {
    const result = await engine.rebuild(name, (progress: RebuildProgress) => {
      const done = progress.head.prepare > 0n ? Number((progress.position.prepare * 1000n) / progress.head.prepare) : 1000;
      bar.update(Math.min(done, 1000), { events: progress.applied, rate: rate(progress.applied) });
    });
    bar.update(1000, { events: result.applied, rate: rate(result.applied) });
    bar.stop();
    say(`Rebuilt ${name}: ${result.applied} events in ${result.seconds.toFixed(1)} s; switched to the fresh copy.`);
  } catch (error) {
    bar.stop();
    throw error;
  }
}
