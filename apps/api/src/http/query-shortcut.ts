import type { Type } from '@nestjs/common';
import { TransformationType } from 'class-transformer';
import type { MetadataStorage as TransformerMetadata } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

// class-transformer keeps its decorators' metadata here and exports it from no index (Nest's
// mapped-types reads it the same way): the shortcut must know which fields a transform touches.
const transformerMetadata = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: TransformerMetadata }).defaultMetadataStorage;

type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
type ConstraintMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidatorConstraints']>[number];

/** A field as class-validator checks it: its conditions (IsOptional), then its validators. */
interface Field {
  name: string;
  /** A query may carry it: class-transformer copies its string as it is (no transform, type or prototype property of that name). */
  copied: boolean;
  conditions: Array<(object: object, value: unknown) => boolean>;
  /** The validators, each with its constraints; undefined when one of them cannot be run here (async, each, nested, validateIf, IsDefined). */
  validators: Array<{ metadata: ValidationMetadata; constraint: ConstraintMetadata }> | undefined;
}

/** What the whole way makes of a query when it accepts it; undefined when the query must go the whole way to be answered (a refusal, or a field the shortcut does not read). */
export type QueryShortcut = (query: object) => object | undefined;

/**
 * The answer of Nest's ValidationPipe (class-transformer's plainToInstance, then class-validator's
 * validate, with whitelist and forbidNonWhitelisted and neither groups nor transform options) to
 * a query it accepts, read off the same decorators and run through the same validator functions,
 * without the two libraries' per-call work: their metadata looked up again, every registered
 * class walked for inherited rules, a promise per validation. Only a query of strings in fields
 * that no class-transformer decorator touches, whose every check passes, is answered here; the
 * rest (and every refusal) is left to the whole way, so a problem's body is always the whole
 * way's. Undefined for a DTO the shortcut cannot read (an @Expose or @Exclude, no rules at all).
 */
export function queryShortcut(metatype: Type<object>): QueryShortcut | undefined {
  if (
    transformerMetadata.getStrategy(metatype) !== 'none' ||
    transformerMetadata.getExposedMetadatas(metatype).length > 0 ||
    transformerMetadata.getExcludedMetadatas(metatype).length > 0
  ) {
    return undefined;
  }
  const storage = getMetadataStorage();
  // What class-validator's validate(instance) reads: no schema, groups or `always`.
  const rules = storage.getTargetValidationMetadatas(metatype, undefined as unknown as string, false, false, undefined);
  if (rules.length === 0) return undefined; // forbidUnknownValues refuses a class without rules
  const fields = new Map<string, Field>();
  for (const [name, own] of Object.entries(storage.groupByPropertyName(rules))) fields.set(name, fieldOf(metatype, name, own));
  const targetName = metatype.name;

  return (query) => {
    const instance = new metatype() as Record<string, unknown>;
    for (const key of Object.keys(query)) {
      const value = (query as Record<string, unknown>)[key];
      if (typeof value !== 'string' || !fields.get(key)?.copied) return undefined;
      instance[key] = value;
    }
    // whitelist: every own field of the instance (declared fields included) must have a rule.
    for (const key of Object.keys(instance)) if (!fields.has(key)) return undefined;
    for (const field of fields.values()) {
      const value = instance[field.name];
      let validated = true;
      for (const condition of field.conditions) validated = condition(instance, value) && validated;
      if (!validated) continue;
      if (!field.validators) return undefined;
      for (const { metadata, constraint } of field.validators) {
        const args: ValidationArguments = { targetName, property: field.name, object: instance, value, constraints: metadata.constraints };
        const valid: unknown = constraint.instance.validate(value, args);
        if (!valid || (typeof valid === 'object' && 'then' in valid)) return undefined;
      }
    }
    return instance;
  };
}

function fieldOf(metatype: Type<object>, name: string, rules: ValidationMetadata[]): Field {
  const copied =
    !(name in metatype.prototype) &&
    transformerMetadata.findTypeMetadata(metatype, name) === undefined &&
    transformerMetadata.findTransformMetadatas(metatype, name, TransformationType.PLAIN_TO_CLASS).length === 0;
  const conditions: Field['conditions'] = [];
  let validators: Field['validators'] = [];
  for (const metadata of rules) {
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      conditions.push(metadata.constraints[0] as (object: object, value: unknown) => boolean);
    } else if (metadata.type === ValidationTypes.CUSTOM_VALIDATION && !metadata.each && !metadata.validateIf) {
      for (const constraint of getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls)) {
        if (constraint.async) validators = undefined;
        else validators?.push({ metadata, constraint });
      }
    } else if (metadata.type !== ValidationTypes.WHITELIST) {
      validators = undefined;
    }
  }
  return { name, copied, conditions, validators };
}
