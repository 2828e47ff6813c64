import { randomBytes } from 'node:crypto';
import { isValidNationalRegisterNumber } from '@app/domain';
import { MasterKey, openPersonalData, type PersonalDataEnvelope } from '@app/personal-data';
import { verifyChain } from '@app/dossiers';
import { benchNationalRegisterNumber, DossierRowEncoder, envelopeSealer, LifecyclePool, plainSealer, RealisticDossiers, type BenchDossier } from './dataset';
import { interleave } from './load-postgres';

const today = '2026-11-24';
const now = Date.parse('2026-11-24T12:00:00Z');
const secret = randomBytes(32).toString('hex');

function writer(encrypted = true, reservedNumbers = new Set<string>()): DossierRowEncoder {
  return new DossierRowEncoder({
    today,
    now,
    actor: 'seed',
    sealer: encrypted ? envelopeSealer(secret) : plainSealer,
    reservationStream: (nrn) => `nrn-reservation-${nrn}`,
    seed: 7,
    reservedNumbers,
  });
}

const dossierRows = (dossier: BenchDossier) => dossier.rows.filter((row) => row.streamId === `dossier-${dossier.dossierId}`);

describe('bench dataset', () => {
  it('writes realistic histories as the repository stores them: dense versions, an intact hash chain, recorded in order', () => {
    const realistic = new RealisticDossiers(writer(), 2022, today);
    for (let index = 1; index <= 300; index++) {
      const dossier = realistic.dossier(index)!;
      const rows = dossierRows(dossier);
      expect(rows.map((row) => row.version)).toEqual(rows.map((_, i) => i + 1));
      const verdict = verifyChain(
        rows.map((row) => ({
          version: row.version,
          type: row.type,
          data: row.data,
          occurredOn: row.metadata.occurredOn as string,
          actor: row.metadata.actor as string,
          hash: row.metadata.hash,
        })),
      );
      expect(verdict.intact).toBe(true);
      for (const [i, row] of dossier.rows.entries()) {
        expect(row.recordedAt).toBeLessThanOrEqual(now);
        if (i > 0) expect(row.recordedAt).toBeGreaterThanOrEqual(dossier.rows[i - 1].recordedAt);
        expect(row.metadata.recordedAt).toBe(new Date(row.recordedAt).toISOString());
      }
    }
  });

  it('seals the personal block under a key that unwraps with the master secret, and reserves the number first', () => {
    const realistic = new RealisticDossiers(writer(), 2022, today);
    let checked = 0;
    for (let index = 1; checked < 5; index++) {
      const dossier = realistic.dossier(index)!;
      const registration = dossierRows(dossier)[0];
      const key = MasterKey.derive(new TextEncoder().encode(secret)).unwrap(dossier.wrappedKey!, dossier.dossierId);
      const personal = openPersonalData(registration.data.personal as PersonalDataEnvelope, key, dossier.dossierId);
      expect(personal.givenName).toEqual(expect.any(String));
      if (personal.nationalRegisterNumber) {
        expect(dossier.rows[0]).toMatchObject({
          streamId: `nrn-reservation-${personal.nationalRegisterNumber}`,
          version: 1,
          type: 'NationalRegisterNumberReserved',
          data: { dossierId: dossier.dossierId },
        });
        checked++;
      }
    }
  });

  it('leaves the personal block in plain when asked, with no key', () => {
    const dossier = new RealisticDossiers(writer(false), 2022, today).dossier(1)!;
    expect(dossier.wrappedKey).toBeNull();
    expect(dossierRows(dossier)[0].data.personal).toMatchObject({ givenName: expect.any(String) });
  });

  it('refuses a registration whose national register number is already reserved, as the service does', () => {
    const taken = new Set<string>();
    const first = new RealisticDossiers(writer(true, taken), 2022, today);
    const again = new RealisticDossiers(writer(true, taken), 2022, today);
    let refused = 0;
    for (let index = 1; index <= 50; index++) {
      first.dossier(index);
      if (again.dossier(index)!.rows.length === 0) refused++;
    }
    expect(refused).toBeGreaterThan(20);
  });

  it('takes each pool dossier through its whole path, every step valid on the state the one before left', () => {
    const pool = new LifecyclePool(today, 2022);
    for (const index of [0, 1, 2, 3, 4, 199, 4321]) {
      const steps = Array.from({ length: LifecyclePool.STEPS }, (_, step) => pool.step(index, step));
      const dossier = writer().write(`pool/${index}`, pool.registration(index), steps.map((s) => s.command));
      expect(dossier.rows).toHaveLength(1 + LifecyclePool.STEPS);
      expect(dossier.state).toMatchObject({ status: 'left' });
      expect(steps.map((s) => s.http.path.split('/').pop())).toEqual([
        'housed',
        'inburgering-enrolled',
        'vdab-registered',
        'employment-started',
        'rehoused',
        'employment-ended',
        'left',
      ]);
      expect(steps[0].http.body).not.toHaveProperty('type');
    }
  });

  it('makes valid, distinct national register numbers outside the generator’s serials', () => {
    const numbers = new Set<string>();
    for (let index = 0; index < 50_000; index += 7) {
      const { number } = benchNationalRegisterNumber(index);
      expect(isValidNationalRegisterNumber(number)).toBe(true);
      expect(Number(number.slice(6, 9))).toBeGreaterThanOrEqual(998);
      numbers.add(number);
    }
    expect(numbers.size).toBe(Math.ceil(50_000 / 7));
  });

  it('interleaves a block’s rows by recording time, keeping each stream in version order', () => {
    const realistic = new RealisticDossiers(writer(), 2022, today);
    const block = Array.from({ length: 200 }, (_, i) => realistic.dossier(i + 1)!);
    const rows = interleave(block);
    expect(rows).toHaveLength(block.reduce((sum, dossier) => sum + dossier.rows.length, 0));
    for (let i = 1; i < rows.length; i++) expect(rows[i].recordedAt).toBeGreaterThanOrEqual(rows[i - 1].recordedAt);
    const lastVersion = new Map<string, number>();
    for (const row of rows) {
      expect(row.version).toBe((lastVersion.get(row.streamId) ?? 0) + 1);
      lastVersion.set(row.streamId, row.version);
    }
  });
});
