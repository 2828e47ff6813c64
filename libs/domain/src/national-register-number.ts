/**
 * Belgian national register number (rijksregisternummer): YYMMDD, a 3-digit serial and 2 check
 * digits. Bis numbers (no entry in the register) add 20 or 40 to the month.
 */

/** Strips the usual separators (85.07.30-033.61); null unless 11 digits remain. */
export function normaliseNationalRegisterNumber(input: string): string | null {
  const digits = input.replace(/[.\-\s]/g, '');
  return /^\d{11}$/.test(digits) ? digits : null;
}

/**
 * Checks the check digits. The number does not say in which century the person was born, so
 * both the pre-2000 check and the one for births from 2000 (which prefixes a 2) are accepted.
 */
export function isValidNationalRegisterNumber(nrn: string): boolean {
  if (!/^\d{11}$/.test(nrn)) return false;
  const base = Number(nrn.slice(0, 9));
  const check = Number(nrn.slice(9));
  return check === 97 - (base % 97) || check === 97 - ((2_000_000_000 + base) % 97);
}
