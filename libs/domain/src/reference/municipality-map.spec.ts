import { defaultMunicipalityDirectory as directory } from './municipality-directory';
import { AS_RECORDED, municipalityMap } from './municipality-map';

describe('a recorded code on the map of a date (onMap)', () => {
  it('follows the merger from the day it takes effect', () => {
    expect(directory.onMap('71022', '2024-12-31')).toMatchObject({ nis: '71022', name: 'Hasselt' });
    expect(directory.onMap('71022', '2025-01-01')).toMatchObject({ nis: '71072', name: 'Hasselt' });
    expect(directory.onMap('73040', '2025-01-01')).toMatchObject({ nis: '71072', name: 'Hasselt' });
    expect(directory.onMap('37018', '2026-06-30')).toMatchObject({ nis: '37021', name: 'Wingene' });
    expect(directory.onMap('11007', '2025-03-01')).toMatchObject({ nis: '11002', name: 'Antwerpen' });
  });

  it('moves Zwijndrecht to Oost-Vlaanderen with Beveren-Kruibeke-Zwijndrecht', () => {
    expect(directory.onMap('11056', '2024-06-30')?.province?.name).toBe('Antwerpen');
    expect(directory.onMap('11056', '2025-06-30')).toMatchObject({ nis: '46030', province: { nis: '40000', name: 'Oost-Vlaanderen' } });
  });

  it('keeps a municipality the merger created on an earlier map: it cannot be split back', () => {
    expect(directory.onMap('71072', '2024-06-30')).toMatchObject({ nis: '71072', name: 'Hasselt', validFrom: '2025-01-01' });
    expect(directory.onMap('46030', '1990-01-01')?.province?.name).toBe('Oost-Vlaanderen');
  });

  it('keeps codes that did not merge, codes that ended without a successor recorded, and knows nothing of unknown codes', () => {
    expect(directory.onMap('44021', '2025-06-30')).toMatchObject({ nis: '44021', name: 'Gent' });
    expect(directory.onMap('21004', '2025-06-30')).toMatchObject({ nis: '21004', province: null });
    expect(directory.onMap('44011', '2025-06-30')).toMatchObject({ nis: '44011', name: 'Deinze', validTo: '2018-12-31' });
    expect(directory.onMap('25005', '2025-06-30')).toBeUndefined();
  });
});

describe('municipalityMap: the places of an answer, never two of one name', () => {
  const namesAreUnique = (names: string[]) => expect(new Set(names).size).toBe(names.length);

  it.each([AS_RECORDED, '2022-02-24', '2024-12-31', '2025-01-01', '2026-06-30'])('gives every place of the %s map its own name', (map) => {
    const places = new Map(municipalityMap(directory, map).places().map(({ place }) => [place.nis, place.name]));
    namesAreUnique([...places.values()]);
  });

  it('as recorded: each code itself, the two Hasselts told apart by code and years', () => {
    const map = municipalityMap(directory, AS_RECORDED);
    expect(map.place('71022')).toEqual({ nis: '71022', name: 'Hasselt (71022, until 2024)', province: { nis: '70000', name: 'Limburg' } });
    expect(map.place('71072')?.name).toBe('Hasselt (71072, from 2025)');
    expect(map.place('37018')?.name).toBe('Wingene (37018, until 2024)');
    expect(map.place('46014')?.name).toBe('Lokeren (46014, until 2024)');
    expect(map.place('11056')).toMatchObject({ nis: '11056', name: 'Zwijndrecht', province: { name: 'Antwerpen' } });
    expect(map.place('44021')?.name).toBe('Gent');
  });

  it('on a 2025 map: the merged codes land on the new municipality, which needs no code in its name', () => {
    const map = municipalityMap(directory, '2025-06-30');
    expect(map.place('71022')).toEqual({ nis: '71072', name: 'Hasselt', province: { nis: '70000', name: 'Limburg' } });
    expect(map.place('73040')).toEqual(map.place('71072'));
    expect(map.place('11056')).toEqual({ nis: '46030', name: 'Beveren-Kruibeke-Zwijndrecht', province: { nis: '40000', name: 'Oost-Vlaanderen' } });
    const flemish = new Set(map.places().filter(({ place }) => place.province).map(({ place }) => place.nis));
    // Flanders' 285 municipalities of 2025, and the few codes that ended before without a successor recorded (Deinze 44011 in 2019, …).
    const valid = [...flemish].filter((nis) => directory.find(nis, '2025-06-30'));
    expect(valid).toHaveLength(285);
  });

  it('on a 2024 map: a code the merger created stays apart, told from its predecessor by its years', () => {
    const map = municipalityMap(directory, '2024-06-30');
    expect(map.place('71022')).toMatchObject({ nis: '71022', name: 'Hasselt (71022, until 2024)' });
    expect(map.place('73040')).toMatchObject({ nis: '73040', name: 'Kortessem' });
    expect(map.place('71072')).toMatchObject({ nis: '71072', name: 'Hasselt (71072, from 2025)' });
  });
});
