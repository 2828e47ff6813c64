import { parsePressure, parseSchedstat, WaitProbe, type ProbeReading } from './waits';

describe("what an answer's processes did and waited for", () => {
  it('reads the CPU and the wait for a core of a schedstat line, in ns, into a reading', () => {
    const line = Buffer.from('422141069 416276434 642\n');
    const reading = new Float64Array(4);
    expect(parseSchedstat(line, line.length, reading, 2)).toBe(true);
    expect([...reading]).toEqual([0, 0, 422141069, 416276434]);
    expect(parseSchedstat(Buffer.alloc(0), 0, reading, 0)).toBe(false);
    expect([...reading.slice(0, 2)]).toEqual([NaN, NaN]);
    // Only the bytes read count: the buffer is the probe's, and holds an older reading beyond them.
    expect(parseSchedstat(line, 9, reading, 0)).toBe(false);
  });

  it("reads a pressure file's total stall, in µs", () => {
    const text = Buffer.from('some avg10=23.87 avg60=33.59 avg300=36.21 total=5078446566\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    expect(parsePressure(text, 'some')).toBe(5078446566);
    expect(parsePressure(text, 'full')).toBe(0);
    expect(parsePressure(Buffer.from(''), 'some')).toBeNull();
    expect(parsePressure(text, 'some', 40)).toBeNull();
  });

  it('counts a PostgreSQL process only where it was read before and after (one that ends in between is left out)', () => {
    // The service, the bench, the machine's stalls, then PostgreSQL's processes in the order listed (READING).
    const before: ProbeReading = Float64Array.from([0, 0, 0, 0, 0, 0, 1e6, 2e6, 900e6, 900e6, NaN, NaN]);
    const after: ProbeReading = Float64Array.from([3e6, 1e6, 1e6, 0, 2_500, 100, 2e6, 5e6, NaN, NaN, 4e6, 4e6]);
    const waits = WaitProbe.between(before, after);
    expect(waits).toEqual({
      service: { cpuMs: 3, waitMs: 1 },
      bench: { cpuMs: 1, waitMs: 0 },
      postgres: { cpuMs: 1, waitMs: 3 },
      machineCpuStallMs: 2.5,
      machineIoStallMs: 0.1,
    });
  });

  it('reads this process, its own children and the machine', () => {
    const probe = new WaitProbe(process.pid, process.pid);
    const before = probe.read();
    for (let spin = Date.now(); Date.now() - spin < 20; );
    const waits = WaitProbe.between(before, probe.read());
    expect(waits.bench.cpuMs).toBeGreaterThan(5);
    // The same process read as both, one file after the other: what it ran between the two reads may differ (0.04 ms seen in a CI run).
    expect(Math.abs(waits.service.cpuMs - waits.bench.cpuMs)).toBeLessThan(1);
    probe.close();
  });
});
