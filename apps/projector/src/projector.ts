import { openRuntime, type OpenedRuntime } from '@app/persistence';
import { PersonalDataProtection } from '@app/personal-data';
import { loadConfig, type AppConfig } from '@app/platform';
import { createProjectionEngine, type ProjectionEngine } from '@app/projection-engine';
import { allProjections } from '@app/read-models';

export type Log = (message: string) => void;

/** Configuration, runtime and a projection engine over every projection: what each command needs. */
export async function openProjections(log: Log): Promise<{ config: AppConfig; opened: OpenedRuntime; engine: ProjectionEngine }> {
  const config = loadConfig();
  // main.ts stops at a committed checkpoint on SIGTERM/SIGINT, then closes the runtime itself.
  const opened = await openRuntime(config, log, { handlesSignals: true });
  const projections = allProjections(PersonalDataProtection.fromConfig(config), config.projectionSpillDir);
  const engine = createProjectionEngine(opened.runtime.eventStore, opened.runtime.dataSource, projections, config, { log, info: log });
  return { config, opened, engine };
}

/** Reports a failure without a stack trace (it may quote data) and sets the exit code. */
export function fail(error: unknown): never {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exit(1);
}
