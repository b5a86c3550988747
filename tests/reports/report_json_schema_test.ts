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
