import { deterministicUuid } from './deterministic-uuid';

describe('deterministicUuid', () => {
  it('gives the same version-5 UUID for the same name and another for another name', () => {
    const id = deterministicUuid('command/alice/key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('command/alice/key-1')).toBe(id);
    expect(deterministicUuid('command/bob/key-1')).not.toBe(id);
  });
});
