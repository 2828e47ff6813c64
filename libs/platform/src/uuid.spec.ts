import { randomUUID } from 'node:crypto';
import { isUuid } from './uuid';

describe('isUuid', () => {
  it('takes a UUID in 8-4-4-4-12 hex digits, in either case', () => {
    const id = randomUUID();
    expect(isUuid(id)).toBe(true);
    expect(isUuid(id.toUpperCase())).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['without hyphens', '0e4c2f5a9b7d4c1e8a3f6b2d4e1c7a90'],
    ['in braces', '{0e4c2f5a-9b7d-4c1e-8a3f-6b2d4e1c7a90}'],
    ['a letter beyond f', '0e4c2f5a-9b7d-4c1e-8a3f-6b2d4e1c7a9g'],
    ['one digit short', '0e4c2f5a-9b7d-4c1e-8a3f-6b2d4e1c7a9'],
    ['a trailing newline', '0e4c2f5a-9b7d-4c1e-8a3f-6b2d4e1c7a90\n'],
  ])('refuses %s', (_, text) => {
    expect(isUuid(text)).toBe(false);
  });
});
