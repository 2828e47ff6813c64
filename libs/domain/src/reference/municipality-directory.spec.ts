import { defaultMunicipalityDirectory as directory, type Region } from './municipality-directory';

function countValid(region: Region, on: string): number {
  const codes = new Set(directory.all().filter((m) => m.region === region).map((m) => m.nis));
  return [...codes].filter((nis) => directory.find(nis, on)).length;
}

describe('municipality directory', () => {
  it.each([
    ['flanders', '2024-12-31', 300],
    ['flanders', '2025-01-01', 285],
    ['brussels', '2022-02-24', 19],
    ['brussels', '2025-01-01', 19],
  ] as const)('counts %s municipalities on %s', (region, on, expected) => {
    expect(countValid(region, on)).toBe(expected);
  });

  it('ends Borsbeek when it merges into Antwerpen, which continues', () => {
    expect(directory.find('11007', '2024-06-01')?.name).toBe('Borsbeek');
    expect(directory.find('11007', '2025-02-01')).toBeNull();
    expect(directory.history('11007')).toEqual([expect.objectContaining({ validTo: '2024-12-31', mergedInto: '11002' })]);
    expect(directory.find('11002', '2024-06-01')?.name).toBe('Antwerpen');
    expect(directory.find('11002', '2025-02-01')?.name).toBe('Antwerpen');
  });

  it('starts Pajottegem in 2025', () => {
    expect(directory.find('23106', '2024-12-31')).toBeNull();
    expect(directory.find('23106', '2025-01-01')).toEqual({
      nis: '23106',
      name: 'Pajottegem',
      province: { nis: '20001', name: 'Vlaams-Brabant' },
      region: 'flanders',
      validFrom: '2025-01-01',
      validTo: null,
    });
  });

  it('puts Beveren-Kruibeke-Zwijndrecht in Oost-Vlaanderen, though Zwijndrecht was in Antwerpen', () => {
    expect(directory.find('11056', '2024-12-31')?.province?.name).toBe('Antwerpen');
    expect(directory.find('46030', '2025-01-01')).toMatchObject({
      name: 'Beveren-Kruibeke-Zwijndrecht',
      province: { nis: '40000', name: 'Oost-Vlaanderen' },
    });
  });

  it('resolves a recorded code: its period on the date, else its latest, else nothing', () => {
    expect(directory.resolve('11007', '2024-06-01')?.name).toBe('Borsbeek');
    expect(directory.resolve('11007', '2025-06-01')).toMatchObject({ name: 'Borsbeek', validTo: '2024-12-31' });
    expect(directory.resolve('11056')).toMatchObject({ name: 'Zwijndrecht', province: { name: 'Antwerpen' } });
    expect(directory.resolve('23106', '2024-06-01')?.name).toBe('Pajottegem');
    expect(directory.resolve('25005', '2024-06-01')).toBeUndefined();
  });

  it('knows Brussels, which has no province', () => {
    expect(directory.find('21004', '2025-06-01')).toMatchObject({ name: 'Brussel', province: null, region: 'brussels' });
  });

  it('leaves out Wallonia', () => {
    expect(directory.find('25005', '2024-06-01')).toBeNull();
    expect(directory.history('25005')).toEqual([]);
    expect(directory.all().every((m) => m.region === 'flanders' || m.region === 'brussels')).toBe(true);
  });

  it('ends the municipalities of the 2019 mergers', () => {
    expect(directory.find('44011', '2018-12-31')?.name).toBe('Deinze');
    expect(directory.find('44011', '2019-01-01')).toBeNull();
    expect(directory.find('44083', '2019-01-01')?.name).toBe('Deinze');
  });

  it('lists every period sorted by NIS code', () => {
    const all = directory.all();
    const keys = all.map((m) => `${m.nis} ${m.validFrom}`);
    expect(keys).toEqual([...keys].sort());
    expect(all.find((m) => m.validTo !== null && m.validTo < m.validFrom)).toBeUndefined();
  });
});
