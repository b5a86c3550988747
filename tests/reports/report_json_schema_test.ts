import assert from "node:assert/strict";
import {
  isCompatibleSchemaVersion,
  REPORT_SCHEMA_VERSION,
  reportJsonSchema,
  reportJsonSchemaAsJsonSchema,
} from "../../reports/render/mod.ts";
import { exampleReportJson } from "./example_report.ts";

Deno.test("reportJsonSchema accepts a complete report and keeps extra fields", () => {
  const json = { ...exampleReportJson(), analysisExtras: { f2Curve: [1, 2] } };
  const parsed = reportJsonSchema.parse(json);
  assert.deepEqual(parsed.analysisExtras, { f2Curve: [1, 2] });
  assert.equal(
    reportJsonSchema.safeParse(exampleReportJson({ schemaVersion: REPORT_SCHEMA_VERSION })).success,
    true,
  );
});

Deno.test("reportJsonSchema rejects a bad schemaVersion, createdAt, verdict or missing provenance", () => {
  for (const schemaVersion of ["1.0", "v1.0.0", "1.0.0.0", ""]) {
    const result = reportJsonSchema.safeParse(exampleReportJson({ schemaVersion }));
    assert.equal(result.success, false, schemaVersion);
    assert.deepEqual(result.error?.issues[0].path, ["schemaVersion"]);
  }
  assert.equal(reportJsonSchema.safeParse(exampleReportJson({ createdAt: "yesterday" })).success, false);
  const [f1] = exampleReportJson().findings;
  const badVerdict = exampleReportJson({ findings: [{ ...f1, verdict: "maybe" as "partial" }] });
  assert.equal(reportJsonSchema.safeParse(badVerdict).success, false);
  const { provenance: _p, ...noProvenance } = exampleReportJson();
  assert.equal(reportJsonSchema.safeParse(noProvenance).success, false);
});

Deno.test("isCompatibleSchemaVersion() compares major versions only", () => {
  assert.equal(isCompatibleSchemaVersion("1.0.0", "1.9.3"), true);
  assert.equal(isCompatibleSchemaVersion("1.0.0", "2.0.0"), false);
  assert.equal(isCompatibleSchemaVersion("1.0.0", "1.0"), false);
});

Deno.test("reportJsonSchemaAsJsonSchema() exports the required fields as JSON Schema", () => {
  const schema = reportJsonSchemaAsJsonSchema();
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(
    new Set(schema.required as string[]),
    new Set([
      "schemaVersion",
      "experiment",
      "runId",
      "createdAt",
      "provenance",
      "timings",
      "setups",
      "influence",
      "findings",
      "validation",
    ]),
  );
  JSON.stringify(schema);
});

/** A 1.4.0 finding: 7B fails a gate, 35B is measured with its effect size beside the p-value. */
function gatedFinding(
  overrides: Record<string, unknown> = {},
): { measured: Record<string, Record<string, unknown>>; [key: string]: unknown } {
  return {
    id: "F1",
    paperFigure: { "7B": "r ≈ 0.89", "35B": "r 0.16" },
    measured: {
      "7B": {
        a: 0.2,
        b: 0.1,
        pValue: 0.01,
        difference: 0.1,
        cohensD: 1.2,
        applicable: false,
        reason: "slopes: 1/20 answered right (5%), below 80%",
      },
      "35B": {
        a: 0.3,
        b: 0.05,
        pValue: 0.002,
        difference: 0.25,
        differenceLow: 0.1,
        differenceHigh: 0.4,
        cohensD: 1.9,
        applicable: true,
        note: "factual: 3 answered right and 20 wrong",
      },
    },
    statistic: { name: "set-label permutation (Δ mean r)", value: 0.1, pValue: 0.01, perSetup: true },
    verdicts: { "7B": "not-applicable", "35B": "reproduced" },
    verdict: "reproduced",
    verdictText: "reproduced (35B only; 7B not applicable)",
    ...overrides,
  };
}

Deno.test("reportJsonSchema accepts a 1.4.0 report with a setup not applicable, and still the older ones", () => {
  assert.equal(REPORT_SCHEMA_VERSION, "1.7.0");
  const json = { ...exampleReportJson({ schemaVersion: REPORT_SCHEMA_VERSION }), findings: [gatedFinding()] };
  assert.equal(
    reportJsonSchema.safeParse(json).success,
    true,
    JSON.stringify(reportJsonSchema.safeParse(json).error),
  );
  const none = gatedFinding({
    verdicts: { "7B": "not-applicable" },
    measured: {
      "7B": { a: 1, applicable: false, reason: "slopes: 4 distinct completions of 20 (20%), below 90%" },
    },
    verdict: "not-applicable",
  });
  assert.equal(reportJsonSchema.safeParse({ ...exampleReportJson(), findings: [none] }).success, true);
  // Reports written before 1.4.0 (numbers only, no per-setup verdicts) still validate.
  for (const schemaVersion of ["1.0.0", "1.3.0"]) {
    assert.equal(
      reportJsonSchema.safeParse(exampleReportJson({ schemaVersion })).success,
      true,
      schemaVersion,
    );
  }
});

Deno.test("reportJsonSchema 1.5.0: a finding's controls hold measured and verdicts shaped as its own", () => {
  const g = gatedFinding();
  const controls = {
    identity: { measured: g.measured, verdicts: { "7B": "not-applicable", "35B": "reproduced" } },
    lexical: {
      measured: { "35B": { a: 0.1, b: 0.1, cohensD: 0, applicable: true } },
      verdicts: { "35B": "inconclusive" },
    },
  };
  const parse = (f: Record<string, unknown>) =>
    reportJsonSchema.safeParse({ ...exampleReportJson({ schemaVersion: "1.5.0" }), findings: [f] });
  assert.equal(parse(gatedFinding({ controls, explainedBy: { "35B": [] } })).success, true);
  // A control without verdicts, or with an unknown one, is refused.
  assert.equal(parse(gatedFinding({ controls: { lexical: { measured: {} } } })).success, false);
  assert.equal(
    parse(gatedFinding({ controls: { lexical: { measured: {}, verdicts: { "35B": "maybe" } } } })).success,
    false,
  );
});

Deno.test("reportJsonSchema ties not-applicable to a measurement that says why", () => {
  const parse = (f: Record<string, unknown>) =>
    reportJsonSchema.safeParse({ ...exampleReportJson(), findings: [f] });
  const g = gatedFinding();
  // not-applicable without applicable: false.
  const unflagged = gatedFinding({
    measured: { ...g.measured, "7B": { ...g.measured["7B"], applicable: true } },
  });
  assert.deepEqual(parse(unflagged).error?.issues[0].path, ["findings", 0, "verdicts", "7B"]);
  // applicable: false with a verdict other than not-applicable.
  assert.equal(parse(gatedFinding({ verdicts: { "7B": "reproduced", "35B": "reproduced" } })).success, false);
  // applicable: false without a reason.
  const { reason: _r, ...noReason } = g.measured["7B"];
  assert.equal(parse(gatedFinding({ measured: { ...g.measured, "7B": noReason } })).success, false);
  // An unknown per-setup verdict.
  assert.equal(
    parse(gatedFinding({ verdicts: { "7B": "not-applicable", "35B": "partial" } })).success,
    false,
  );
});
