import type { DossierCommand, RegisterDossier } from '../../libs/domain/src';
import { HistoryGenerator } from '@app/dossiers';
import { DossierApi, expectStatus, type CommandName } from './dossier-fixtures';
import type { TestApp } from './test-app';

type PathCommand = Exclude<DossierCommand, RegisterDossier>;

/** The endpoint of each command the generator makes. */
const ENDPOINTS: Partial<Record<PathCommand['type'], CommandName>> = {
  HousePerson: 'housed',
  RehousePerson: 'rehoused',
  EnrolInInburgering: 'inburgering-enrolled',
  RegisterAtVdab: 'vdab-registered',
  StartEmployment: 'employment-started',
  EndEmployment: 'employment-ended',
  RecordDeparture: 'left',
  ReopenDossier: 'reopened',
  ChangeResidenceStatus: 'status-changed',
};

export interface SeedOverHttpOptions {
  readonly persons: number;
  readonly seed: number;
  /** The generator's today: no date passes it, so a fixed one gives the same data on any day. */
  readonly today: string;
  readonly concurrency?: number;
}

/**
 * The seeder's realistic histories (libs/dossiers/src/seed/history-generator.ts), sent as a staff
 * user over HTTP: POST /dossiers, then one POST per fact. A fact the rules refuse (409) cuts that
 * history short, as the seeder does. Returns how many requests were accepted.
 */
export async function seedOverHttp(testApp: TestApp, options: SeedOverHttpOptions): Promise<{ accepted: number; cutShort: number }> {
  const staff = new DossierApi(testApp, await testApp.token('staff', 'seed'));
  const generator = new HistoryGenerator(options.seed, options.today);
  let accepted = 0;
  let cutShort = 0;
  let next = 1;

  const send = async (index: number) => {
    const person = generator.person(index);
    if (!person) return;
    const { type: _register, ...registration } = person.registration;
    const registered = await staff.register(registration);
    expectStatus(registered, 201);
    accepted++;
    for (const { type, ...body } of person.commands) {
      const endpoint = ENDPOINTS[type];
      if (!endpoint) throw new Error(`no endpoint for the generated command ${type}`);
      const response = await staff.command(registered.body.dossierId as string, endpoint, body);
      if (response.status === 409) {
        cutShort++;
        return;
      }
      expectStatus(response, 201);
      accepted++;
    }
  };
  // person() is called in order (one random stream), the requests a few at a time.
  const workers = Array.from({ length: options.concurrency ?? 4 }, async () => {
    while (next <= options.persons) await send(next++);
  });
  await Promise.all(workers);
  return { accepted, cutShort };
}
