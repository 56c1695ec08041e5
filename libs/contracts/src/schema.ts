import { Static, StringOptions, TSchema, Type } from '@sinclair/typebox';

// Building blocks of the contracts' schemas: each contract is declared once as a JSON Schema
// (TypeBox), compiled by the one Ajv of validation.ts, and its type is derived from it.

/** A string or null, as one JSON Schema type list (Ajv checks it in one step, unlike an anyOf). */
export const NullableString = (options: StringOptions = {}) => Type.Unsafe<string | null>({ ...options, type: ['string', 'null'] });

/** One of these strings, as a JSON Schema `enum`. */
export const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ enum: [...values] });

export const Instant = Type.String({ format: 'date-time' });
export const NullableInstant = NullableString({ format: 'date-time' });
export const Id = Type.String({ minLength: 1, maxLength: 128 });

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The type a schema validates, read-only throughout: contracts are facts, never edited in place. */
export type StaticReadonly<T extends TSchema> = DeepReadonly<Static<T>>;
