import { closest, distance } from "fastest-levenshtein";
import type { z } from "zod";
import { describeValue, formatPath, getAtPath, type JsonPath } from "./json_path.ts";

/** What the formatter may ask the schema about a path. */
export interface SchemaLookup {
  /** Keys allowed at a path, for unknown-key suggestions. */
  keysAt(path: JsonPath): string[];
  /** Whether the number at a path must be an integer. */
  isIntegerAt(path: JsonPath): boolean;
}

/**
 * Turns one zod issue into a one-line message naming the JSON path, what was expected and what was
 * found. Unknown keys get a "did you mean" suggestion from the keys the schema knows at that place.
 *
 * @param issue The zod issue.
 * @param raw The raw manifest value the issue's path points into (to show what was found).
 * @param prefix Path segments prepended to the issue's own path (e.g. `["setups", "7B"]`).
 * @param lookup Schema facts by full path (keys, integer-ness); paths include the prefix.
 * @returns Lines such as `setups.7B.model.layers must be a positive integer, got -1`.
 */
export function formatIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  prefix: JsonPath = [],
  lookup: SchemaLookup = { keysAt: () => [], isIntegerAt: () => false },
): string[] {
  const local = issue.path as (string | number)[];
  const path = [...prefix, ...local];
  const where = formatPath(path);
  const found = describeValue(getAtPath(raw, local));
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const known = lookup.keysAt(path);
        const hint = suggest(key, known);
        const at = path.length === 0 ? "the top level" : where;
        return `${at} has unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ""}`;
      });
    case "invalid_type": {
      const expected = issue.expected === "number" && lookup.isIntegerAt(path)
        ? "an integer"
        : expectedType(issue);
      if (getAtPath(raw, local) === undefined) return [`${where} is required (${expected})`];
      return [`${where} must be ${expected}, got ${found}`];
    }
    case "too_small":
      return [`${where} must be ${bound(issue, "min", lookup.isIntegerAt(path))}, got ${found}`];
    case "too_big":
      return [`${where} must be ${bound(issue, "max", lookup.isIntegerAt(path))}, got ${found}`];
    case "invalid_value":
      return [
        `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${found}`,
      ];
    case "invalid_format":
      return [`${where} must match ${issue.pattern ?? issue.format}, got ${found}`];
    case "not_multiple_of":
      return [`${where} must be a multiple of ${issue.divisor}, got ${found}`];
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (options) {
        return [`${where} must be one of ${options.map((v) => JSON.stringify(v)).join(", ")}, got ${found}`];
      }
      return [`${where} does not match any allowed form, got ${found}`];
    }
    case "invalid_key": {
      const key = String(local[local.length - 1]);
      const inner = issue.issues[0];
      const rule = inner && inner.code === "invalid_format"
        ? `must match ${inner.pattern ?? inner.format}`
        : "is not allowed";
      return [`${formatPath(path.slice(0, -1))} key ${JSON.stringify(key)} ${rule}`];
    }
    default:
      return [`${where} ${issue.message}`];
  }
}

function expectedType(issue: z.core.$ZodIssueInvalidType): string {
  const names: Record<string, string> = {
    number: "a number",
    int: "an integer",
    string: "a string",
    boolean: "true or false",
    object: "an object",
    array: "an array",
    record: "an object",
    null: "null",
  };
  return names[issue.expected] ?? issue.expected;
}

function bound(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  side: "min" | "max",
  integer: boolean,
): string {
  const limit = "minimum" in issue ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  if (issue.origin === "array" || issue.origin === "set") {
    if (side === "min" && Number(limit) === 1) return "a non-empty list";
    return side === "min" ? `a list of at least ${limit} items` : `a list of at most ${limit} items`;
  }
  if (issue.origin === "string") {
    return side === "min" ? `at least ${limit} characters long` : `at most ${limit} characters long`;
  }
  const kind = integer ? "an integer" : "a number";
  if (side === "min" && Number(limit) === 0 && !inclusive) return integer ? "a positive integer" : "positive";
  const op = side === "min" ? (inclusive ? ">=" : ">") : (inclusive ? "<=" : "<");
  return `${kind} ${op} ${limit}`;
}

function suggest(key: string, known: string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(key, known);
  return distance(key.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3))
    ? best
    : undefined;
}
