import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationPipe, type ArgumentMetadata, type Type } from '@nestjs/common';
import { CONTROLLER_WATERMARK, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage, IsOptional, IsString } from 'class-validator';
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

/** A query one of whose fields a transform changes (as IsQueryInteger and the lists' splits do). */
class TrimmedQuery {
  @IsOptional()
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  name?: string;

  @IsOptional()
  @IsString()
  other?: string;
}

/** A declared field without a rule: the whole way refuses every query of it (whitelist), this one's own field included. */
class UndecoratedFieldQuery {
  @IsOptional()
  @IsString()
  name?: string;

  note?: string;
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

/** Every @Query() DTO of the service's routes: of every controller under apps/api/src (each *.controller.ts). */
function queryDtos(): Array<Type<object>> {
  const sources = readdirSync(join(__dirname, '..'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.controller.ts'));
  const controllers = sources.flatMap((file) =>
    Object.values(require(join(__dirname, '..', file)) as Record<string, unknown>).filter(
      (exported): exported is Type<unknown> => typeof exported === 'function' && Reflect.getMetadata(CONTROLLER_WATERMARK, exported) === true,
    ),
  );
  expect(controllers.length).toBeGreaterThanOrEqual(sources.length);
  const found = new Set<Type<object>>();
  for (const controller of controllers) {
    for (const method of Object.getOwnPropertyNames(controller.prototype)) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number }>;
      const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as Array<Type<object>>;
      for (const [key, { index }] of Object.entries(args)) {
        if (Number(key.split(':')[0]) === RouteParamtypes.QUERY && types[index] !== Object) found.add(types[index]);
      }
    }
  }
  return [...found];
}

/** Where @nestjs/swagger keeps an @ApiProperty's options (its DECORATORS.API_MODEL_PROPERTIES, not exported). */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

/** Values of every kind a query field is sent with: its documented example, dates and moments valid and not, numbers, lists, nothing. */
const SENT = [
  '', ' ', 'x', 'now', '0', '1', '05', '25', '1e3', '201', '2024-06-01', '2023-02-30', '0000-01-01', '2099-12-31', '2100-01-01', '2024-06',
  '2024-06-01T12:00:00Z', '2024-06-01T12:00:00', '2024-06-01T12:00:00+02:00', ' 2024-06-01', 'province', 'province,cohort', 'month', '11002', '1100',
];

/** Queries of a DTO: empty; each field alone with each value, once as a list; all fields at their examples; an unknown field beside them. */
function queriesOf(metatype: Type<object>): Array<Record<string, unknown>> {
  const fields = Object.keys(getMetadataStorage().groupByPropertyName(getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false)));
  const example = (field: string): unknown => (Reflect.getMetadata(API_MODEL_PROPERTIES, metatype.prototype, field) as { example?: unknown } | undefined)?.example;
  const examples = Object.fromEntries(fields.flatMap((field) => (example(field) === undefined ? [] : [[field, String(example(field))]])));
  const queries: Array<Record<string, unknown>> = [{}, examples, { ...examples, when: 'now' }, { when: 'now' }];
  for (const field of fields) {
    for (const value of [...SENT, ...(field in examples ? [examples[field]] : [])]) queries.push({ [field]: value }, { ...examples, [field]: value });
    queries.push({ [field]: [examples[field] ?? 'x', examples[field] ?? 'x'] }, { [field]: { x: '1' } });
  }
  return queries;
}

const copy = (query: object): object => JSON.parse(JSON.stringify(query)) as object;

describe('the validation pipe', () => {
  let wholeWay: jest.SpyInstance;
  beforeEach(() => {
    wholeWay = jest.spyOn(ValidationPipe.prototype, 'transform');
  });
  afterEach(() => wholeWay.mockRestore());

  it('answers every query DTO of the routes as the whole way does, valid queries and refusals alike (the refusal body included)', async () => {
    const dtos = queryDtos();
    expect(dtos).toEqual(expect.arrayContaining([DossierAtQuery, DiffQuery]));
    expect(dtos.length).toBeGreaterThanOrEqual(10);
    const pipe = createValidationPipe();
    let given = 0;
    for (const metatype of [...dtos, DefaultedQuery, TrimmedQuery, UndecoratedFieldQuery]) {
      for (const query of queriesOf(metatype)) {
        // Each its own copy (the whole way strips prototype keys in place), made in this realm as a request's query is.
        const shortcut = await answer(() => pipe.transform(copy(query), asQuery(metatype)));
        const whole = await answer(() => ValidationPipe.prototype.transform.call(pipe, copy(query), asQuery(metatype)));
        expect({ metatype: metatype.name, query, answer: shortcut }).toStrictEqual({ metatype: metatype.name, query, answer: whole });
        if ('given' in (whole as object)) given++;
      }
    }
    // Not only refusals: the comparison covers accepted queries of every kind.
    expect(given).toBeGreaterThan(200);
  });

  it('takes a dossier read with asOf, validOn, both or neither straight to the DTO, without the whole way', async () => {
    const pipe = createValidationPipe();
    for (const query of [{}, Object.create(null) as object, { asOf: '2024-06-01T12:00:00Z' }, { asOf: '2024-06-01' }, { validOn: '2023-01-31' }, { validOn: '2023-01-31', asOf: '2024-06-01T14:00:00+02:00' }]) {
      const given = await pipe.transform(query, asQuery(DossierAtQuery));
      expect(given).toBeInstanceOf(DossierAtQuery);
      expect(given).toStrictEqual(Object.assign(new DossierAtQuery(), query));
    }
    expect(wholeWay).not.toHaveBeenCalled();
  });

  it('leaves a refusal to the whole way: a malformed asOf is answered with its problem as before', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({ asOf: 'yesterday' }, asQuery(DossierAtQuery))).rejects.toMatchObject({
      problem: {
        type: '/problems/validation-failed',
        title: 'Invalid request',
        status: 400,
        detail: 'One or more fields are invalid; see errors.',
        errors: [{ field: 'asOf', messages: ['asOf must be a date or an ISO 8601 date-time with Z or an offset, such as 2024-06-01T12:00:00Z, from 1900-01-01 to 2099-12-31'] }],
      },
    });
    await expect(pipe.transform({ asOf: '2024-06-01T12:00:00Z', when: 'now' }, asQuery(DossierAtQuery))).rejects.toMatchObject({
      problem: { status: 400, errors: [{ field: 'when', messages: ['property when should not exist'] }] },
    });
    await expect(pipe.transform({ asOf: ['2024-06-01', '2024-06-02'] }, asQuery(DossierAtQuery))).rejects.toMatchObject({ problem: { status: 400 } });
    expect(wholeWay).toHaveBeenCalledTimes(3);
  });

  it('leaves to the whole way each time a DTO with required fields (diff), a field a transform changes, and a DTO with @Expose', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i++) {
      await expect(pipe.transform({}, asQuery(DiffQuery))).rejects.toMatchObject({
        problem: { status: 400, type: '/problems/validation-failed', errors: [expect.objectContaining({ field: 'from' }), expect.objectContaining({ field: 'to' })] },
      });
      expect(await pipe.transform({ from: '2', to: '4' }, asQuery(DiffQuery))).toStrictEqual(Object.assign(new DiffQuery(), { from: 2, to: 4 }));
      expect(await pipe.transform({ name: ' a ' }, asQuery(TrimmedQuery))).toStrictEqual(Object.assign(new TrimmedQuery(), { name: 'a' }));
      expect(await pipe.transform({}, asQuery(DefaultedQuery))).toStrictEqual(Object.assign(new DefaultedQuery(), { name: 'default' }));
    }
    expect(wholeWay).toHaveBeenCalledTimes(8);
    // A field no transform touches, of the same DTO, is taken straight to it.
    expect(await pipe.transform({ other: ' b ' }, asQuery(TrimmedQuery))).toStrictEqual(Object.assign(new TrimmedQuery(), { other: ' b ' }));
    expect(wholeWay).toHaveBeenCalledTimes(8);
  });
});
