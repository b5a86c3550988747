/**
 * The procedure a reasoning query set asks about.
 *
 * @module
 */
import type { ProcedureName, QuerySet } from "../../fixtures/world/types.ts";

const PROCEDURE_OF_SET: Partial<Record<QuerySet, ProcedureName>> = {
  arithmetic: "arithmetic",
  slopes: "slope",
  linear: "linear",
};

/**
 * The procedure whose demonstrations teach a query set: arithmetic → `arithmetic`, slopes → `slope`,
 * linear → `linear`; factual sets and controls have none.
 *
 * @param set A query set.
 * @returns The procedure, or null for a set that asks about none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { procedureOfSet } from "./procedure_of_set.ts";
 * assert.equal(procedureOfSet("slopes"), "slope");
 * assert.equal(procedureOfSet("reasoning_control"), null);
 * ```
 */
export function procedureOfSet(set: QuerySet): ProcedureName | null {
  return PROCEDURE_OF_SET[set] ?? null;
}
