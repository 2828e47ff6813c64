export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __runServices?: { stop(): Promise<void> } }).__runServices?.stop();
}
