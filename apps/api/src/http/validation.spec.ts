import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { Expose, Transform } from 'class-transformer';
import { DiffQuery, DossierAtQuery } from '../dossiers/dossier.dto';
import type { ProblemError } from './problem';
import { createValidationPipe } from './validation';

/** A query whose absent field a transform fills: class-transformer runs it for an exposed field only. */
class DefaultedQuery {
  @Expose()
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => value ?? 'default', { toClassOnly: true })
  name?: string;
}

const asQuery = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype, data: undefined });

/** What the pipe answers: the value it gives the route, or the problem it refuses with. */
async function answer(transform: () => Promise<unknown>): Promise<unknown> {
  try {
    return { given: await transform() };
  } catch (refusal) {
    return { refused: (refusal as ProblemError).problem };
  }
}

describe('the validation pipe: an empty query', () => {
  let wholeWay: jest.SpyInstance;
  beforeEach(() => {
    wholeWay = jest.spyOn(ValidationPipe.prototype, 'transform');
  });
  afterEach(() => wholeWay.mockRestore());

  it('of a dossier read becomes a bare DossierAtQuery, validated the whole way the first time only', async () => {
    const pipe = createValidationPipe();
    const answers = [];
    for (const empty of [{}, Object.create(null) as object, {}]) answers.push(await pipe.transform(empty, asQuery(DossierAtQuery)));
    for (const given of answers) {
      expect(given).toBeInstanceOf(DossierAtQuery);
      expect(given).toEqual(new DossierAtQuery());
    }
    expect(answers[1]).not.toBe(answers[2]);
    expect(wholeWay).toHaveBeenCalledTimes(1);
  });

  it('gives what the whole way gives, for every query DTO of the dossier routes and one a transform fills', async () => {
    for (const metatype of [DossierAtQuery, DiffQuery, DefaultedQuery]) {
      const pipe = createValidationPipe();
      for (let i = 0; i < 3; i++) {
        const shortcut = await answer(() => pipe.transform({}, asQuery(metatype)));
        expect(shortcut).toEqual(await answer(() => ValidationPipe.prototype.transform.call(pipe, {}, asQuery(metatype))));
        expect(shortcut).toEqual(metatype === DiffQuery ? { refused: expect.objectContaining({ status: 400 }) } : { given: expect.any(metatype) });
      }
    }
  });

  it('of a DTO with required fields is refused each time as before (diff without from and to)', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 3; i++) {
      await expect(pipe.transform({}, asQuery(DiffQuery))).rejects.toMatchObject({
        problem: { status: 400, type: '/problems/validation-failed', errors: [expect.objectContaining({ field: 'from' }), expect.objectContaining({ field: 'to' })] },
      });
    }
    // Once to learn it is refused, then each time: the refusal is the whole way's.
    expect(wholeWay).toHaveBeenCalledTimes(3);
  });

  it('filled by a transform goes the whole way each time', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i++) expect(await pipe.transform({}, asQuery(DefaultedQuery))).toEqual(Object.assign(new DefaultedQuery(), { name: 'default' }));
    expect(wholeWay).toHaveBeenCalledTimes(2);
  });

  it('is the only shortcut: a query with a field, valid or not, goes the whole way', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({}, asQuery(DossierAtQuery));
    expect(await pipe.transform({ validOn: '2023-01-31' }, asQuery(DossierAtQuery))).toEqual(Object.assign(new DossierAtQuery(), { validOn: '2023-01-31' }));
    await expect(pipe.transform({ asOf: 'yesterday' }, asQuery(DossierAtQuery))).rejects.toMatchObject({ problem: { status: 400 } });
    await expect(pipe.transform({ when: 'now' }, asQuery(DossierAtQuery))).rejects.toMatchObject({ problem: { status: 400 } });
    expect(wholeWay).toHaveBeenCalledTimes(4);
  });
});
