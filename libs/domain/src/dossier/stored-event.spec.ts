import { decodeDossierEvent, dossierEventMetadata, dossierIdOf, schemaVersionOf } from './stored-event';
import { dossierStreamId, type DossierEvent } from './events';
import { UnknownEventError } from './upcasting';

describe('the stored-event envelope', () => {
  const housed: DossierEvent = { type: 'PersonHoused', data: { housingType: 'loi', municipality: '11002', on: '2022-04-01' } };
  const recording = { recordedAt: '2022-04-02T09:00:00.000Z', actor: 'alice', correlationId: 'c-1', causationId: 'k-1' };

  it('stores the schema version, the business date and who recorded the event, with the hash-chain link when there is one', () => {
    expect(dossierEventMetadata(housed, { ...recording, hash: 'ab' })).toEqual({ schemaVersion: 1, occurredOn: '2022-04-01', ...recording, hash: 'ab' });
    expect(dossierEventMetadata(housed, recording)).not.toHaveProperty('hash');
  });

  it('reads an event back at the schema version its metadata names, 1 when it names none', () => {
    const data = housed.data as unknown as Record<string, unknown>;
    expect(decodeDossierEvent({ type: housed.type, metadata: dossierEventMetadata(housed, recording) }, data)).toEqual(housed);
    expect(schemaVersionOf({})).toBe(1);
    expect(schemaVersionOf(null)).toBe(1);
    expect(() => decodeDossierEvent({ type: housed.type, metadata: { schemaVersion: 9 } }, data)).toThrow(UnknownEventError);
    expect(() => decodeDossierEvent({ type: 'Unheard', metadata: {} }, data)).toThrow(UnknownEventError);
  });

  it('names the dossier of a dossier stream', () => {
    expect(dossierIdOf(dossierStreamId('5b0d3c1e-0000-4000-8000-000000000001'))).toBe('5b0d3c1e-0000-4000-8000-000000000001');
  });
});
