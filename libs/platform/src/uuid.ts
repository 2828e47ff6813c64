/** A UUID as the service names things with it and PostgreSQL's `uuid` type prints it: 8-4-4-4-12 hex digits, in either case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}
