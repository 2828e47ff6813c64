import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SingleBar } from 'cli-progress';
import { DossierRuleViolation } from '@app/domain';
import { NationalRegisterNumberTakenError } from '../errors';
import { CLOCK, deterministicUuid, type Clock } from '@app/platform';
import type { CommandContext } from '../command-context';
import { ChangeDossierCommand, RegisterDossierCommand } from '../commands';
import { HistoryGenerator } from './history-generator';

/**
 * `cli seed --persons N [--seed S] [--today YYYY-MM-DD] [--concurrency C]`:
 * Generates N realistic histories (history-generator.ts) up to `today` (default: the service's
 * today) and sends every fact through the command path (CommandBus: the same handlers, rules and
 * metadata as over HTTP), as actor `seed`. Deterministic: the same seed and today give the same
 * dossiers on any day (the demo fixes today for that), and running it again adds nothing, as every
 * command's id derives from the seed and the person's number.
 */
export async function seedDossiers(
  app: INestApplicationContext,
  options: { persons: number; seed: number; concurrency: number; today?: string },
): Promise<string> {
  const { persons, seed, concurrency } = options;
  const commandBus = app.get(CommandBus);
  const actualToday = app.get<Clock>(CLOCK).today();
  const today = options.today ?? actualToday;
  // The rules refuse facts dated in the future: histories up to a later day would be cut short at random.
  if (today > actualToday) throw new Error(`--today ${today} is after today (${actualToday}): facts cannot be recorded in the future`);
  const generator = new HistoryGenerator(seed, today);
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
        if (!(error instanceof DossierRuleViolation || error instanceof NationalRegisterNumberTakenError)) throw error;
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
  }
  return `Seeded ${persons} persons (seed ${seed}, histories up to ${today}): ${commands} commands sent, ${rejected} histories cut short by a rule.`;
}
