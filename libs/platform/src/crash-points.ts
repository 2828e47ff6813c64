/**
 * Crash points, for the crash-safety specs: a process started with CRASH_AT=<name> kills itself
 * with SIGKILL when it reaches the crash point of that name, as a power cut or the OOM killer
 * would at that moment (no shutdown hooks, nothing flushed). The specs start the service as a
 * child process with it set and check that a restart or a retry finishes the job
 * (test/erasure-crash.spec.ts). Unset, as in production, a crash point does nothing.
 */
export function crashPoint(name: string): void {
  if (process.env.CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
