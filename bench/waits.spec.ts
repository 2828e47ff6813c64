import { parsePressure, parseSchedstat, WaitProbe, type ProbeReading } from './waits';

describe("what an answer's processes did and waited for", () => {
  it('reads the CPU and the wait for a core of a schedstat line, in ns', () => {
    expect(parseSchedstat('422141069 416276434 642\n')).toEqual([422141069, 416276434]);
    expect(parseSchedstat('')).toBeNull();
  });

  it("reads a pressure file's total stall, in µs", () => {
    const text = 'some avg10=23.87 avg60=33.59 avg300=36.21 total=5078446566\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    expect(parsePressure(text, 'some')).toBe(5078446566);
    expect(parsePressure(text, 'full')).toBe(0);
    expect(parsePressure('', 'some')).toBeNull();
  });

  it('counts a PostgreSQL process only where it was read before and after (one that ends in between is left out)', () => {
    const before: ProbeReading = { times: { service: [0, 0], bench: [0, 0] }, postgres: new Map([[1, [1e6, 2e6]], [2, [900e6, 900e6]]]), cpuStallUs: 0, ioStallUs: 0 };
    const after: ProbeReading = { times: { service: [3e6, 1e6], bench: [1e6, 0] }, postgres: new Map([[1, [2e6, 5e6]], [3, [4e6, 4e6]]]), cpuStallUs: 2_500, ioStallUs: 100 };
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
    expect(waits.service.cpuMs).toBe(waits.bench.cpuMs);
  });
});
