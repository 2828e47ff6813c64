/**
 * JSON with object keys in sorted order (by UTF-16 code units, as JavaScript sorts strings) and
 * no insignificant whitespace, so equal values always serialise to the same bytes. Used for
 * request fingerprints and the event hash chain (docs/tamper-evidence.md).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
