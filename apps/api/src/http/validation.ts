import { applyDecorators, Injectable, ValidationError, ValidationPipe, type ArgumentMetadata, type PipeTransform, type Type } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min, registerDecorator, validate, type ValidationOptions } from 'class-validator';
import { EARLIEST_SUPPORTED_DATE, isCalendarDate, isSupportedDate, LATEST_SUPPORTED_DATE } from '@app/domain';
import { textDefect, withoutTextDefects, type TextDefect } from '@app/platform';
import { problem } from './problem';
import { queryShortcut, type QueryShortcut } from './query-shortcut';

/** For @Transform: strings without leading and trailing white space. */
export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

const SUPPORTED_RANGE = `from ${EARLIEST_SUPPORTED_DATE} to ${LATEST_SUPPORTED_DATE}`;

function validatedBy(name: string, message: string, validate: (value: unknown) => boolean, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate },
    });
}

/**
 * YYYY-MM-DD naming a real calendar day (no 2023-02-30) in the supported range, 1900-01-01 to
 * 2099-12-31, for every date a request carries: business dates, birth dates and filters alike.
 * Past facts are held to today by the domain (409 `date-in-future`, `birth-date-not-in-past`).
 */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return validatedBy(
    'isCalendarDate',
    `$property must be a calendar date as YYYY-MM-DD ${SUPPORTED_RANGE}`,
    (value) => typeof value === 'string' && isSupportedDate(value),
    options,
  );
}

/** YYYY-MM, a month of the supported range. */
export function IsCalendarMonth(): PropertyDecorator {
  return validatedBy(
    'isCalendarMonth',
    `$property must be a month as YYYY-MM from ${EARLIEST_SUPPORTED_DATE.slice(0, 7)} to ${LATEST_SUPPORTED_DATE.slice(0, 7)}`,
    (value) => typeof value === 'string' && /^\d{4}-\d{2}$/.test(value) && isSupportedDate(`${value}-01`),
  );
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A moment: a date (its midnight UTC), or a date and time with `Z` or an offset (a time without
 * one names no moment), on a day of the supported range.
 */
export function IsTimestamp(): PropertyDecorator {
  return validatedBy(
    'isTimestamp',
    `$property must be a date or an ISO 8601 date-time with Z or an offset, such as 2024-06-01T12:00:00Z, ${SUPPORTED_RANGE}`,
    (value) => {
      if (typeof value !== 'string') return false;
      const date = TIMESTAMP.exec(value)?.[1];
      if (!date || !isCalendarDate(date) || Number.isNaN(Date.parse(value))) return false;
      return isSupportedDate(new Date(value).toISOString().slice(0, 10));
    },
  );
}

/** A 5-digit NIS code (whether it names a municipality on a date is the domain's rule). */
export const IsNisCode = (): PropertyDecorator => Matches(/^\d{5}$/, { message: '$property must be a 5-digit NIS code' });

/** Digits as a decimal integer is written: no sign, exponent, fraction, spaces or leading zeros. */
const CANONICAL_INTEGER = /^(?:0|[1-9]\d{0,14})$/;

/**
 * An integer query parameter in min..max. Only its canonical decimal form becomes a number;
 * anything else ("", "1e3", "0x10", " 5", "05") stays a string and is refused, never coerced.
 * (Bodies carry JSON numbers: their DTOs check IsInt on what was sent.)
 */
export function IsQueryInteger(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && CANONICAL_INTEGER.test(value) ? Number(value) : value)),
    IsInt({ message: '$property must be an integer written in decimal digits' }),
    Min(min),
    Max(max),
  );
}

export interface FieldError {
  field: string;
  messages: string[];
}

export function validationFailed(errors: FieldError[]) {
  return problem(400, 'validation-failed', 'Invalid request', 'One or more fields are invalid; see errors.', { errors });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const VALIDATION = { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } } as const;

const isPlainObject = (value: unknown): value is object => {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * Nest's ValidationPipe, but a query that its DTO's decorators say the whole way would accept
 * as it is (a dossier read's asOf or validOn, an empty query) becomes an instance of the DTO at
 * once (queryShortcut: the same rules, read off the same metadata, without class-transformer's
 * and class-validator's per-call work); anything else, every refusal included, goes the whole
 * way, so the answers are the same as without the shortcut (bench/README.md, "Dossier reads'
 * per-request work", fourteenth and fifteenth sessions). The shortcut reads the options of
 * createValidationPipe (whitelist, forbidNonWhitelisted, no groups, no transform options).
 */
class QueryValidationPipe extends ValidationPipe {
  /** Per query DTO: its shortcut, or undefined where it has none. */
  private readonly shortcuts = new Map<Type<unknown>, QueryShortcut | undefined>();

  // Not an async function: every parameter of every request comes through here, and an async
  // wrapper around the whole way would cost each of them a promise and its microtasks.
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (metadata.type === 'query' && metatype && isPlainObject(value) && this.toValidate(metadata)) {
      let shortcut = this.shortcuts.get(metatype);
      if (shortcut === undefined && !this.shortcuts.has(metatype)) {
        shortcut = queryShortcut(metatype as Type<object>);
        this.shortcuts.set(metatype, shortcut);
      }
      const instance = shortcut?.(value);
      if (instance !== undefined) return Promise.resolve(instance);
    }
    return super.transform(value, metadata);
  }
}

/** Rejects unknown fields too: a misspelt optional field must not be silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new QueryValidationPipe({ ...VALIDATION, transform: true, exceptionFactory: (errors) => validationFailed(flatten(errors)) });
}

/**
 * Parameters validated as the global pipe validates a DTO, for an operation that takes another
 * operation's parameters besides its own (GET /statistics/revisions); `sentAs` names a field as
 * the request sent it where that differs.
 */
export async function validatedAs<T extends object>(type: new () => T, value: Record<string, unknown>, sentAs: Record<string, string> = {}): Promise<T> {
  const instance = plainToInstance(type, value);
  const errors = flatten(await validate(instance, VALIDATION));
  if (errors.length > 0) {
    throw validationFailed(
      errors.map(({ field, messages }) => {
        const name = sentAs[field] ?? field;
        return { field: name, messages: messages.map((message) => (message.startsWith(`${field} `) ? `${name}${message.slice(field.length)}` : message)) };
      }),
    );
  }
  return instance;
}

const DEFECT_MESSAGES: Record<TextDefect, string> = {
  'control-character': 'must not contain U+0000 or other control characters (tab, line feed and carriage return are fine)',
  'unpaired-surrogate': 'must not contain an unpaired UTF-16 surrogate (U+D800 to U+DFFF outside a pair): send well-formed Unicode',
};

/**
 * Every string of a request's body, query and path parameters, at any depth, keys included:
 * none may carry a text defect (libs/platform text.ts). Runs before the DTOs' validation, as the
 * first global pipe, so a defect is refused the same way in every field of every operation.
 */
@Injectable()
export class TextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const errors = textDefects(value, metadata.data ?? '');
    if (errors.length > 0) throw validationFailed(errors);
    return value;
  }
}

function textDefects(root: unknown, rootField: string): FieldError[] {
  const errors: FieldError[] = [];
  const pending: Array<{ value: unknown; field: string }> = [{ value: root, field: rootField }];
  const report = (field: string, defect: TextDefect) => {
    // Named without the defect itself: the problem is kept (idempotency) and logged like any other.
    const name = withoutTextDefects(field) || '(body)';
    errors.push({ field: name, messages: [`${name.split('.').pop()} ${DEFECT_MESSAGES[defect]}`] });
  };
  // Breadth first, without recursion: the fields are reported in the order they were sent.
  for (let next = 0; next < pending.length; next++) {
    const { value, field } = pending[next];
    if (typeof value === 'string') {
      const defect = textDefect(value);
      if (defect) report(field, defect);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childField = field ? `${field}.${key}` : key;
        const defect = textDefect(key);
        if (defect) report(childField, defect);
        else pending.push({ value: child, field: childField });
      }
    }
  }
  return errors;
}
