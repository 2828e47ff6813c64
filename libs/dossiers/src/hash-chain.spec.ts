import { createHash } from 'node:crypto';
import { eventHash, GENESIS_HASH, verifyChain, type ChainLink } from './hash-chain';

function chain(events: Array<Omit<ChainLink, 'version' | 'hash'>>): ChainLink[] {
  let previous = GENESIS_HASH;
  return events.map((event, index) => {
    previous = eventHash(previous, event);
    return { ...event, version: index + 1, hash: previous };
  });
}

const events = [
  { type: 'DossierRegistered', data: { personal: { givenName: 'Олена' }, municipality: '11002' }, occurredOn: '2022-03-24', actor: 'alice' },
  { type: 'PersonHoused', data: { housingType: 'loi', municipality: '11002', on: '2022-04-01' }, occurredOn: '2022-04-01', actor: 'bob' },
  { type: 'VdabRegistered', data: { on: '2022-09-15' }, occurredOn: '2022-09-15', actor: 'alice' },
];

describe('hash chain', () => {
  it('is SHA-256 over the canonical JSON documented in docs/tamper-evidence.md', () => {
    const expected = createHash('sha256')
      .update(
        '{"actor":"alice","data":{"municipality":"11002","personal":{"givenName":"Олена"}},"occurredOn":"2022-03-24",' +
          `"previousHash":"${GENESIS_HASH}","type":"DossierRegistered"}`,
        'utf8',
      )
      .digest('hex');
    expect(eventHash(GENESIS_HASH, events[0])).toBe(expected);
  });

  it('verifies an untouched chain', () => {
    const links = chain(events);
    expect(verifyChain(links)).toEqual({ intact: true, version: 3, lastHash: links[2].hash });
  });

  it.each([
    ['data', (l: ChainLink) => ({ ...l, data: { ...(l.data as object), housingType: 'collective' } })],
    ['business date', (l: ChainLink) => ({ ...l, occurredOn: '2022-03-31' })],
    ['actor', (l: ChainLink) => ({ ...l, actor: 'mallory' })],
    ['type', (l: ChainLink) => ({ ...l, type: 'PersonRehoused' })],
    ['stored hash', (l: ChainLink) => ({ ...l, hash: GENESIS_HASH })],
  ])('names the first event whose %s was altered', (_, alter) => {
    const links = chain(events);
    links[1] = alter(links[1]);
    expect(verifyChain(links)).toMatchObject({ intact: false, firstInvalidVersion: 2 });
  });

  it('notices a removed event', () => {
    const links = chain(events);
    expect(verifyChain([links[0], links[2]])).toMatchObject({ intact: false, firstInvalidVersion: 2 });
  });
});
