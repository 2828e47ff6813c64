import type { Response } from 'express';
import { jsonText } from './json-text';

const response = () => {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response & { headers: Record<string, string> };
};

describe('the JSON text of an answer', () => {
  it('is what res.json writes, with its content type', () => {
    const view = { from: '2022-01-01', periods: [{ period: '2022-01', registrations: { value: 12, suppressed: false }, note: undefined }], none: null, share: 0.527 };
    const sent = response();
    expect(jsonText(sent, view)).toBe(JSON.stringify(view));
    expect(sent.headers['Content-Type']).toBe('application/json; charset=utf-8');
  });

  it('is kept from the second ask of an answer (the kept answer is the same object) and sent as it is after that; another answer has its own', () => {
    const kept = { periods: [{ value: 1 }] };
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      const first = jsonText(response(), kept);
      expect(jsonText(response(), kept)).toBe(first);
      expect(stringify).toHaveBeenCalledTimes(2);
      for (let ask = 3; ask <= 5; ask++) expect(jsonText(response(), kept)).toBe(first);
      expect(stringify).toHaveBeenCalledTimes(2);
      expect(jsonText(response(), { periods: [{ value: 2 }] })).toBe('{"periods":[{"value":2}]}');
      expect(stringify).toHaveBeenCalledTimes(3);
    } finally {
      stringify.mockRestore();
    }
  });
});
