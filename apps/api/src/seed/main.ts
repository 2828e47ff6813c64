import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { SingleBar } from 'cli-progress';
import { DossierRuleViolation } from '@app/domain';
import { openRuntime } from '@app/persistence';
import { deterministicUuid, loadConfig, todayIn } from '@app/platform';
import { AppModule } from '../app.module';
import { ProblemError } from '../http/problem';
import type { CommandContext } from '../dossiers/command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from '../dossiers/dossier.commands';
import { HistoryGenerator } from './history-generator';

/**
 * npm run seed -- --persons N [--seed S]
 *
 * Generates N realistic histories (history-generator.ts) and sends every fact through the
 * command path (CommandBus: the same handlers, rules and metadata as over HTTP), as actor `seed`.
 * Deterministic: the same seed gives the same dossiers, and running it again adds nothing, as
 * every command's id derives from the seed and the person's number.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { persons: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' } } });
  const persons = Number(values.persons);
  const seed = Number(values.seed ?? 2022);
  const concurrency = Number(values.concurrency ?? 8);
  if (!Number.isInteger(persons) || persons < 1 || !Number.isInteger(seed) || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error('Usage: npm run seed -- --persons N [--seed S] [--concurrency C]');
  }
  Logger.overrideLogger(['error']);
  // The running service (if any) projects what is written here; this process only writes.
  const config = loadConfig({ ...process.env, PROJECTIONS_IN_PROCESS: 'false' });
  const opened = await openRuntime(config);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(opened.runtime), { logger: ['error'] });
  const commandBus = app.get(CommandBus);
  const generator = new HistoryGenerator(seed, todayIn(config.timeZone));
  const bar = new SingleBar({
    format: 'seed [{bar}] {value}/{total} persons | {events} commands | {rate} persons/s | ETA {eta_formatted}',
    barCompleteChar: '=',
    barIncompleteChar: ' ',
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  const started = Date.now();
  let done = 0;
  let commands = 0;
  let rejected = 0;
  bar.start(persons, 0, { events: 0, rate: 0 });

  const context = (name: string): CommandContext => ({
    actor: 'seed',
    correlationId: `seed-${seed}`,
    commandId: deterministicUuid(`seed/${seed}/${name}`),
  });
  const seedPerson = async (index: number) => {
    const person = generator.person(index);
    if (person) {
      try {
        const registerContext = context(`${index}`);
        const { dossierId } = await commandBus.execute(
          new RegisterDossierCommand({ ...person.registration, dossierId: deterministicUuid(`dossier/${registerContext.commandId}`) }, registerContext),
        );
        commands++;
        for (const [k, command] of person.commands.entries()) {
          await commandBus.execute(new ChangeDossierCommand(dossierId, command, context(`${index}/${k}`)));
          commands++;
        }
      } catch (error) {
        // A generated fact the rules refuse is left out (and counted), as staff would be told.
        if (!(error instanceof DossierRuleViolation || error instanceof ProblemError)) throw error;
        rejected++;
      }
    }
    done++;
    bar.update(done, { events: commands, rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
  };

  // Generation stays in person order (one random stream); sending runs a few at a time.
  let next = 1;
  const workers = Array.from({ length: concurrency }, async () => {
    while (next <= persons) await seedPerson(next++);
  });
  try {
    await Promise.all(workers);
  } finally {
    bar.stop();
    await app.close();
    await opened.close();
  }
  console.log(`Seeded ${persons} persons (seed ${seed}): ${commands} commands sent, ${rejected} histories cut short by a rule.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exit(1);
});
