import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/**
 * Each spec file's worker runs with the V8 options the service runs with (scripts/start-node.sh,
 * asked as the bench asks it), the heap's sizes aside (its bound and its young generation's, fixed
 * at a process's start). Why it matters: with allocation-site pretenuring on, a worker that has run
 * other specs may have learned to allocate pg's rows in the old generation, and then the specs that
 * measure what a statement's result keeps past the young generation's collections
 * (libs/projection-engine/src/one-pass.spec.ts, libs/event-store/src/postgres/postgres-event-store.spec.ts)
 * measured that, not the statement's form: both failed so in a full run, after other specs, and
 * passed alone.
 */
const options = execFileSync('sh', [join(__dirname, '../../scripts/start-node.sh'), '--options'], { encoding: 'utf8' }).trim().split(/\s+/);
for (const option of options) if (!/^--(max-old-space|min-semi-space|max-semi-space)-size=/.test(option)) setFlagsFromString(option);
