import { Inject, Injectable } from '@nestjs/common';
import { defaultMunicipalityDirectory, DossierNotFoundError, type DecisionContext, type DossierEvent } from '@app/domain';
import { WrongExpectedVersionError } from '@app/event-store';
import { APP_CONFIG, CLOCK, KeyedMutex, type AppConfig, type Clock } from '@app/platform';
import type { CommandAccepted, CommandContext } from './command-context';
import { VersionMismatchError } from './errors';
import { DossierRepository, type LoadedDossier } from './dossier-repository';

export function decisionContext(clock: Clock): DecisionContext {
  return { today: clock.today(), municipalities: defaultMunicipalityDirectory };
}

/** The version reached by an earlier run of the same command, when the stream already holds it. */
export function alreadyApplied(dossier: LoadedDossier, commandId: string): CommandAccepted | undefined {
  const own = dossier.events.filter((e) => e.metadata.causationId === commandId);
  return own.length > 0 ? { dossierId: dossier.dossierId, version: own[own.length - 1].version } : undefined;
}

/**
 * The load–decide–append cycle of every command on an existing dossier. Writers to one dossier
 * in this process take turns (one mutex for every handler); a conflict with another process is
 * retried on fresh state, `decide` running again, unless the client pinned a version with
 * If-Match (then VersionMismatchError).
 */
@Injectable()
export class DossierWriter {
  private readonly writers = new KeyedMutex();

  constructor(
    private readonly dossiers: DossierRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  write(
    dossierId: string,
    context: CommandContext,
    decide: (dossier: LoadedDossier, decision: DecisionContext) => DossierEvent[] | Promise<DossierEvent[]>,
  ): Promise<CommandAccepted> {
    return this.writers.run(dossierId, async () => {
      for (let attempt = 0; ; attempt++) {
        const dossier = await this.dossiers.load(dossierId);
        if (dossier.version === 0) throw new DossierNotFoundError(dossierId);
        const retried = alreadyApplied(dossier, context.commandId);
        if (retried) return retried;
        const expected = context.expectedVersion;
        if (expected !== undefined && expected !== dossier.version) throw new VersionMismatchError(dossierId, expected, dossier.version);
        const events = await decide(dossier, decisionContext(this.clock));
        try {
          const version = await this.dossiers.append(dossier, events, context);
          return { dossierId, version };
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          if (expected !== undefined) throw new VersionMismatchError(dossierId, expected, error.actual ?? dossier.version + 1);
          if (attempt >= this.config.commandRetries) throw error;
        }
      }
    });
  }
}
