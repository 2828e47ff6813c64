import 'reflect-metadata';
import { fail, openProjections } from './projector';
import { runRebuildCommand } from './rebuild-command';

/** npm run projections:rebuild -- [name]: see rebuild-command.ts. The service may keep running. */
async function main(): Promise<void> {
  const { opened, engine } = await openProjections(() => undefined);
  try {
    await runRebuildCommand(engine, process.argv[2], process.stdout);
  } finally {
    await opened.close();
  }
}

main().catch(fail);
