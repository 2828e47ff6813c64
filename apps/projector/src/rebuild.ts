import 'reflect-metadata';
import { SingleBar } from 'cli-progress';
import type { RebuildProgress } from '@app/projections';
import { fail, openProjections } from './projector';

/**
 * npm run projections:rebuild -- <name>
 *
 * Builds a fresh copy of one projection from the start of the log beside the live one, then
 * switches atomically; the service may keep running (and answering from the old copy) meanwhile.
 * Shows progress through the log with events/s and an ETA. Without a name, lists the projections.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  const { opened, engine } = await openProjections(() => undefined);
  try {
    if (!name) {
      for (const status of await engine.statuses()) {
        console.log(`${status.name}\t${status.state}\tposition ${status.position.commit}\tlag ${status.lagEvents} events`);
      }
      console.log('\nUsage: npm run projections:rebuild -- <name>');
      return;
    }
    engine.projection(name);
    const bar = new SingleBar({
      format: `${name} [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}`,
      barCompleteChar: '=',
      barIncompleteChar: ' ',
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 2000,
    });
    // Progress is measured as how far through the log the copy is: positions grow with the log
    // in both stores, while the number of events ahead is only known on PostgreSQL.
    const started = Date.now();
    bar.start(1000, 0, { events: 0, rate: 0 });
    const onProgress = (progress: RebuildProgress) => {
      const done = progress.head.commit > 0n ? Number((progress.position.commit * 1000n) / progress.head.commit) : 1000;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(Math.min(done, 1000), { events: progress.applied, rate: Math.round(progress.applied / seconds) });
    };
    const result = await engine.rebuild(name, onProgress);
    bar.update(1000, { events: result.applied, rate: Math.round(result.applied / Math.max(0.001, result.seconds)) });
    bar.stop();
    console.log(`Rebuilt ${name}: ${result.applied} events in ${result.seconds.toFixed(1)} s; switched to the fresh copy.`);
  } finally {
    await opened.close();
  }
}

main().catch(fail);
