import { textDefect, withoutTextDefects } from './text';

describe('text defects', () => {
  it.each(['Olena', 'Ковале́нко', 'emoji 🇺🇦 pairs', 'tab\tnew line\ncarriage return\r', '', 'ÿ\u00a0\u2028'])('finds none in %j', (value) => {
    expect(textDefect(value)).toBeUndefined();
  });

  it.each(['a\u0000b', '\u0001', 'esc\u001b[31m', 'del\u007f', 'form\u000cfeed'])('finds a control character in %j', (value) => {
    expect(textDefect(value)).toBe('control-character');
  });

  it.each(['x\ud83d', '\ud83dx', '\ude00', 'a\ude00\ud83d', '\ud83d\ud83d\ude00'.slice(0, 2)])('finds an unpaired surrogate in %j', (value) => {
    expect(textDefect(value)).toBe('unpaired-surrogate');
  });

  it('replaces each defect, and only defects', () => {
    expect(withoutTextDefects('a\u0000b\ud83d🇺🇦\t')).toBe('a\ufffdb\ufffd🇺🇦\t');
  });
});
