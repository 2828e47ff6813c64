import type { Response } from 'express';
import { CHECKPOINT_TABLE } from '@app/projection-engine';
import { openReadModelDatabase } from '@app/projection-engine/testing';
import { FLOW_STATISTICS, FlowStatisticsReader, periodsBetween, READ_MODEL_MIGRATIONS, REGISTRATION_AS_RECORDED } from '@app/read-models';
import { jsonBody } from './json-body';

const response = () => {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response & { headers: Record<string, string> };
};

describe('the JSON of an answer', () => {
  it('is what res.json writes, with its content type', () => {
    const view = { from: '2022-01-01', periods: [{ period: '2022-01', registrations: { value: 12, suppressed: false }, note: undefined }], none: null, share: 0.527 };
    const sent = response();
    expect(jsonBody(sent, view)).toBe(JSON.stringify(view));
    expect(sent.headers['Content-Type']).toBe('application/json; charset=utf-8');
  });

  it('is written for each ask of an answer the cache did not give (nothing kept beside it)', () => {
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      const view = { periods: [{ value: 1 }] };
      expect(jsonBody(response(), view)).toBe('{"periods":[{"value":1}]}');
      expect(jsonBody(response(), view)).toBe('{"periods":[{"value":1}]}');
      expect(stringify).toHaveBeenCalledTimes(2);
    } finally {
      stringify.mockRestore();
    }
  });

  it("is the bytes the reader's cache wrote when it kept the answer (the text Express sent before, in UTF-8), not written again, the answer computed or kept", async () => {
    const database = await openReadModelDatabase(READ_MODEL_MIGRATIONS);
    try {
      await database.dataSource.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, position_commit, position_prepare) VALUES ($1, 7, 7)`, [FLOW_STATISTICS]);
      const reader = new FlowStatisticsReader(database.dataSource);
      const ask = () => reader.flows('2022-01-01', '2022-03-31', 'month', 'none', periodsBetween('2022-01-01', '2022-03-31', 'month', 3)!, 'events', REGISTRATION_AS_RECORDED);
      const computed = await ask();
      // What the reply was before: the text, which Express's res.send encoded as UTF-8.
      const sentBefore = Buffer.from(JSON.stringify(computed), 'utf8');
      const kept = await ask();
      for (const answer of [computed, kept, await ask()]) {
        const stringify = jest.spyOn(JSON, 'stringify');
        try {
          const body = jsonBody(response(), answer);
          expect(Buffer.isBuffer(body) && body.equals(sentBefore)).toBe(true);
          expect(stringify).not.toHaveBeenCalled();
        } finally {
          stringify.mockRestore();
        }
      }
    } finally {
      await database.close();
    }
  });
});
