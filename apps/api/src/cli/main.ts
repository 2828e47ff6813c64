import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { ConfigError } from '@app/platform';
import { CliModule } from './cli.module';

/**
 * The command line: `npm run cli -- <command>`; `npm run cli -- --help` lists the commands
 * (token, seed, import crt, projections list|rebuild, archive run|export|purge).
 */
async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['error'],
    cliName: 'dossiers',
    serviceErrorHandler: (error) => {
      // Messages only: a stack trace or a driver error may quote data.
      process.stderr.write(`${error instanceof ConfigError ? error.message : `${error.name}: ${error.message}`}\n`);
      process.exit(error instanceof ConfigError ? 2 : 1);
    },
    errorHandler: (error) => {
      // commander's own exits (help, version, a missing argument) keep their code.
      process.exit((error as { exitCode?: number }).exitCode ?? 1);
    },
  });
}

void main();
