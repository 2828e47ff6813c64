import { ValidationError, ValidationPipe } from '@nestjs/common';
import { Matches, registerDecorator, type ValidationOptions } from 'class-validator';
import { problem } from './problem';

/** For @Transform: strings without leading and trailing white space. */
export const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** YYYY-MM-DD naming a real calendar day (no 2023-02-30). */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a calendar date as YYYY-MM-DD', ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
          const date = new Date(`${value}T00:00:00Z`);
          return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
        },
      },
    });
}

/** A 5-digit NIS code (whether it names a municipality on a date is the domain's rule). */
export const IsNisCode = (): PropertyDecorator => Matches(/^\d{5}$/, { message: '$property must be a 5-digit NIS code' });

export interface FieldError {
  field: string;
  messages: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Rejects unknown fields too: a misspelt optional field must not be silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return problem(400, 'validation-failed', 'Invalid request', 'One or more fields are invalid; see errors.', {
        errors: fieldErrors,
      });
    },
  });
}
