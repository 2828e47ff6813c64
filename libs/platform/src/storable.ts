import { isCalendarDate } from '@app/domain';

/**
 * What PostgreSQL can store, for values that come from outside the code (events, requests).
 * - Text: any Unicode text but U+0000, which `text` and `jsonb` refuse. A UTF-16 surrogate
 *   without its pair is no Unicode text at all: `jsonb` refuses its escape, and a `text`
 *   parameter turns it into U+FFFD on the way.
 * - Dates: YYYY-MM-DD naming a day that exists, from 0001-01-01 to 9999-12-31 (PostgreSQL has
 *   no year 0, and refuses 2023-02-30).
 * - Timestamps: ISO 8601 with a time zone, on such a day.
 */
const UNSTORABLE_CHARACTER = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_CHARACTERS = new RegExp(UNSTORABLE_CHARACTER.source, 'g');

export const REPLACEMENT_CHARACTER = '\ufffd';

export function hasUnstorableCharacter(text: string): boolean {
  return UNSTORABLE_CHARACTER.test(text);
}

/** The text with U+0000 and every unpaired surrogate replaced by U+FFFD; the same text when it has none. */
export function storableText(text: string): string {
  return hasUnstorableCharacter(text) ? text.replace(UNSTORABLE_CHARACTERS, REPLACEMENT_CHARACTER) : text;
}

export function isStorableDate(value: unknown): value is string {
  return typeof value === 'string' && isCalendarDate(value) && !value.startsWith('0000');
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/;

export function isStorableTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  // test, not exec: a projection asks this of every event it reads, and exec's match is garbage at once.
  return ISO_TIMESTAMP.test(value) && isStorableDate(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));
}

/**
 * Where in a JSON value (its strings, and the names of its members) there is text PostgreSQL
 * cannot store, as a path like `data.reason` or `data.items[2]`; undefined when there is none.
 * Names the place, never the text.
 */
export function unstorableTextPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return hasUnstorableCharacter(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = unstorableTextPath(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, member] of Object.entries(value)) {
      if (hasUnstorableCharacter(key)) return `${path} (a member name)`;
      const found = unstorableTextPath(member, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
