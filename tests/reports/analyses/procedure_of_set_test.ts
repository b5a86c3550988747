import assert from "node:assert/strict";
import { procedureOfSet } from "../../../reports/analyses/procedure_of_set.ts";

Deno.test("procedureOfSet() maps reasoning sets to their procedure and others to null", () => {
  assert.equal(procedureOfSet("arithmetic"), "arithmetic");
  assert.equal(procedureOfSet("slopes"), "slope");
  assert.equal(procedureOfSet("linear"), "linear");
  for (const set of ["factual", "factual_control", "reasoning_control"] as const) {
    assert.equal(procedureOfSet(set), null);
  }
});
