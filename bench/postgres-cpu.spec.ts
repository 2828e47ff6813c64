import { clientBackendActivity, PostgresCpuAccount, postgresProcessKind, UNTITLED, type ChildSeen } from './postgres-cpu';

/** A child as a sample of /proc sees it; `title` is its cmdline as PostgreSQL sets it. */
const child = (pid: number, ticks: number, title: string, startTime = pid * 1000): ChildSeen => ({
  pid,
  ticks,
  startTime,
  kind: () => postgresProcessKind(title),
  activity: () => clientBackendActivity(title),
});

describe('postgresProcessKind', () => {
  it.each([
    ['postgres: checkpointer ', 'checkpointer'],
    ['postgres: background writer ', 'background writer'],
    ['postgres: walwriter ', 'walwriter'],
    ['postgres: autovacuum launcher ', 'autovacuum launcher'],
    ['postgres: autovacuum worker bench_pg', 'autovacuum worker'],
    ['postgres: io worker 2', 'io worker'],
    ['postgres: logical replication launcher ', 'logical replication launcher'],
    ['postgres: parallel worker for PID 4242 ', 'parallel worker'],
    ['postgres: postgres bench_pg 127.0.0.1(53422) idle', 'client backend'],
    ['postgres: postgres bench_pg 127.0.0.1(53422) COPY', 'client backend'],
    ['postgres: postgres bench_pg [local] SELECT', 'client backend'],
    ['postgres: main: walwriter ', 'walwriter'],
    ['postgres: main: postgres bench_pg 127.0.0.1(5000) idle in transaction', 'client backend'],
  ])('reads %j as a %s', (title, kind) => {
    // The kernel gives the title NUL-terminated, and padded where it was set shorter than the command line.
    expect(postgresProcessKind(`${title}\0\0\0`)).toBe(kind);
  });

  it('does not name a child that still shows the postmaster command line (forked, not yet titled)', () => {
    expect(postgresProcessKind('/opt/pg/bin/postgres\0-D\0/tmp/data\0-c\0max_connections=200\0')).toBe(UNTITLED);
  });

  it('names a titled process it does not know "other", not a client backend', () => {
    expect(postgresProcessKind('postgres: some extension worker\0')).toBe('other');
  });
});

describe('clientBackendActivity', () => {
  it.each([
    ['postgres: postgres bench_pg 127.0.0.1(53422) COPY', 'COPY'],
    ['postgres: postgres bench_pg 127.0.0.1(53422) idle in transaction', 'idle in transaction'],
    ['postgres: postgres bench_pg [local] SELECT waiting', 'SELECT'],
    ['postgres: postgres bench_pg 127.0.0.1(53422)', 'starting'],
  ])('reads %j as %j', (title, activity) => {
    expect(clientBackendActivity(`${title}\0`)).toBe(activity);
  });

  it('has none for another kind of process', () => {
    expect(clientBackendActivity('postgres: autovacuum worker bench_pg\0')).toBeUndefined();
  });
});

describe('PostgresCpuAccount', () => {
  const checkpointer = 'postgres: checkpointer';
  const backend = 'postgres: postgres bench_pg 127.0.0.1(40000) COPY';
  const autovacuum = 'postgres: autovacuum worker bench_pg';

  it('counts what processes that ended in the stretch spent, from the postmaster’s ended children, by the kind a sample saw', () => {
    const account = new PostgresCpuAccount();
    // Start: the postmaster's own 10 ticks and 100 of children ended before; a checkpointer at 50, a backend at 30.
    account.observe({ ticks: 10, childTicks: 100 }, [child(1, 50, checkpointer), child(2, 30, backend)]);
    // An autovacuum worker started (20 ticks so far); the backend at 40.
    account.observe({ ticks: 12, childTicks: 100 }, [child(1, 60, checkpointer), child(2, 40, backend), child(3, 20, autovacuum)]);
    // End: the backend ended at 45 and the worker at 25, and another worker started and ended between samples with 7.
    account.observe({ ticks: 13, childTicks: 100 + 45 + 25 + 7 }, [child(1, 70, checkpointer)]);

    const split = account.split(10);
    // The postmaster 3, the checkpointer 20, the backend 15 (45 - 30), the workers 25 and 7: 70 ticks.
    expect(split.seconds).toBe(7);
    expect(split.byKind).toEqual({
      checkpointer: 2,
      'autovacuum worker': 2,
      'ended between samples': 1.7,
      'client backend': 1,
      postmaster: 0.3,
    });
    expect(split.processes).toEqual({
      checkpointer: { count: 1, started: 0, ended: 0 },
      'client backend': { count: 1, started: 0, ended: 1 },
      'autovacuum worker': { count: 1, started: 1, ended: 1 },
    });
    // What the bench counted until now: the postmaster and the checkpointer, the processes alive at the end.
    expect(split.aliveAtEndSeconds).toBe(2.3);
    // The backend's 10 ticks seen, under what it ran when seen.
    expect(split.clientBackendsByActivity).toEqual({ COPY: 1 });
  });

  it('splits the client backends’ ticks by the statement each sample saw them run', () => {
    const account = new PostgresCpuAccount();
    const at = (activity: string) => `postgres: postgres bench_pg 127.0.0.1(40000) ${activity}`;
    account.observe({ ticks: 0, childTicks: 0 }, [child(2, 100, at('idle'))]);
    account.observe({ ticks: 0, childTicks: 0 }, [child(2, 130, at('COPY')), child(3, 20, at('SELECT'))]);
    account.observe({ ticks: 0, childTicks: 0 }, [child(2, 135, at('idle in transaction')), child(3, 60, at('SELECT'))]);
    expect(account.split(10)).toMatchObject({ byKind: { 'client backend': 9.5 }, clientBackendsByActivity: { SELECT: 6, COPY: 3, 'idle in transaction': 0.5 } });
  });

  it('counts the whole CPU of a process started in the stretch and alive at its end', () => {
    const account = new PostgresCpuAccount();
    account.observe({ ticks: 0, childTicks: 0 }, []);
    account.observe({ ticks: 0, childTicks: 0 }, [child(5, 80, backend)]);
    expect(account.split(100)).toMatchObject({ seconds: 0.8, byKind: { 'client backend': 0.8 }, aliveAtEndSeconds: 0.8 });
  });

  it('takes a pid used again by a new process for another process', () => {
    const account = new PostgresCpuAccount();
    account.observe({ ticks: 0, childTicks: 0 }, [child(7, 40, backend, 111)]);
    // The backend ended with 40 ticks; an autovacuum worker got its pid and spent 15.
    account.observe({ ticks: 0, childTicks: 40 }, [child(7, 15, autovacuum, 222)]);
    expect(account.split(10)).toMatchObject({ seconds: 1.5, byKind: { 'autovacuum worker': 1.5, 'client backend': 0 } });
  });

  it('names a child first seen before its title by the title a later sample reads, counting from where it was first seen', () => {
    const account = new PostgresCpuAccount();
    account.observe({ ticks: 0, childTicks: 0 }, [child(9, 5, '/opt/pg/bin/postgres\0-D\0/tmp/data\0')]);
    account.observe({ ticks: 0, childTicks: 0 }, [child(9, 35, autovacuum)]);
    expect(account.split(10)).toMatchObject({ seconds: 3, byKind: { 'autovacuum worker': 3 } });
  });
});
