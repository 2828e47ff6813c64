import { hasUnstorableCharacter, REPLACEMENT_CHARACTER, storableText } from './storable';

/**
 * Text the service takes in: what PostgreSQL cannot hold (storable.ts: U+0000, an unpaired UTF-16
 * surrogate) would be accepted and then fail, or be altered, wherever it is written; the other C0
 * control characters (all but tab, line feed and carriage return) and DEL hold no meaning in a
 * name, a reason or a search, and only garble logs, terminals and CSV files.
 */
export type TextDefect = 'control-character' | 'unpaired-surrogate';

const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

/** What is wrong with a string as input, or undefined when nothing is. */
export function textDefect(value: string): TextDefect | undefined {
  if (CONTROL_CHARACTER.test(value)) return 'control-character';
  // What is left that PostgreSQL cannot store is a surrogate without its pair.
  if (hasUnstorableCharacter(value)) return 'unpaired-surrogate';
  return undefined;
}

/** The string with every defect replaced by U+FFFD, to name a bad value (a field's name) without repeating the defect. */
export function withoutTextDefects(value: string): string {
  return storableText(value).replace(CONTROL_CHARACTERS, REPLACEMENT_CHARACTER);
}
