import { isValidNationalRegisterNumber, normaliseNationalRegisterNumber } from './national-register-number';

/** Appends the check digits as the register computes them. */
function withCheckDigits(first9: string, bornFrom2000: boolean): string {
  const base = Number(first9) + (bornFrom2000 ? 2_000_000_000 : 0);
  return first9 + String(97 - (base % 97)).padStart(2, '0');
}

describe('national register number', () => {
  it.each([
    ['born 30 July 1985', '850730033', false],
    ['born 4 January 2012', '120104126', true],
    ['a bis number (month + 40)', '854730033', false],
    ['a bis number born in 2005 (month + 20)', '052215001', true],
  ])('accepts %s', (_, first9, bornFrom2000) => {
    expect(isValidNationalRegisterNumber(withCheckDigits(first9, bornFrom2000))).toBe(true);
  });

  it('rejects wrong check digits', () => {
    const valid = withCheckDigits('850730033', false);
    const wrong = valid.slice(0, 9) + String((Number(valid.slice(9)) % 97) + 1).padStart(2, '0');
    expect(isValidNationalRegisterNumber(wrong)).toBe(false);
  });

  it('accepts the check digits of either century, and no others', () => {
    const first9 = '120104126';
    const valid = new Set([withCheckDigits(first9, false), withCheckDigits(first9, true)]);
    expect(valid.size).toBe(2);
    for (let check = 0; check <= 99; check++) {
      const nrn = first9 + String(check).padStart(2, '0');
      expect(isValidNationalRegisterNumber(nrn)).toBe(valid.has(nrn));
    }
  });

  it.each(['8507300336', '850730033612', '85073003361a', ''])('rejects %p for its shape', (nrn) => {
    expect(isValidNationalRegisterNumber(nrn)).toBe(false);
  });

  it('normalises the usual notations', () => {
    expect(normaliseNationalRegisterNumber('85.07.30-033.61')).toBe('85073003361');
    expect(normaliseNationalRegisterNumber(' 850730 033 61 ')).toBe('85073003361');
    expect(normaliseNationalRegisterNumber('85.07.30-033')).toBeNull();
    expect(normaliseNationalRegisterNumber('85.07.30-033.6X')).toBeNull();
  });
});
