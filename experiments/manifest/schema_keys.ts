import type { z } from "zod";
import type { JsonPath } from "./json_path.ts";

type AnyDef = { type: string; [k: string]: unknown };

/**
 * The object keys a zod schema allows at a path, for "did you mean" suggestions. Walks through
 * defaults, optionals, nullables, records, arrays and unions.
 *
 * @param schema The root schema.
 * @param path The path of the object whose keys are wanted.
 * @returns The allowed keys (empty when the path does not lead to an object schema).
 */
export function schemaKeysAt(schema: z.ZodType, path: JsonPath): string[] {
  let current: z.ZodType[] = [schema];
  for (const seg of path) current = current.flatMap((s) => child(unwrap(s), seg));
  return [...new Set(current.flatMap((s) => unwrap(s).flatMap(keysOf)))];
}

/**
 * Whether the number schema at a path only accepts integers (`z.number().int()`), so messages can say
 * "a positive integer" rather than "positive".
 *
 * @param schema The root schema.
 * @param path The path of the number.
 * @returns True when every schema reaching that path is an integer schema.
 */
export function isIntegerAt(schema: z.ZodType, path: JsonPath): boolean {
  let current: z.ZodType[] = [schema];
  for (const seg of path) current = current.flatMap((s) => child(unwrap(s), seg));
  const leaves = current.flatMap(unwrap);
  return leaves.length > 0 &&
    leaves.every((s) => (s as unknown as { isInt?: boolean }).isInt === true);
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = schema._zod.def as AnyDef;
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "readonly":
    case "catch":
      return unwrap(def.innerType as z.ZodType);
    case "pipe":
      return unwrap(def.in as z.ZodType);
    case "union":
      return (def.options as z.ZodType[]).flatMap(unwrap);
    default:
      return [schema];
  }
}

function child(schemas: z.ZodType[], seg: string | number): z.ZodType[] {
  return schemas.flatMap((s) => {
    const def = s._zod.def as AnyDef;
    if (def.type === "object") {
      const sub = (def.shape as Record<string, z.ZodType>)[String(seg)];
      return sub ? [sub] : [];
    }
    if (def.type === "record") return [def.valueType as z.ZodType];
    if (def.type === "array") return [def.element as z.ZodType];
    return [];
  });
}

function keysOf(schema: z.ZodType): string[] {
  const def = schema._zod.def as AnyDef;
  return def.type === "object" ? Object.keys(def.shape as Record<string, unknown>) : [];
}
