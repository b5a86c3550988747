import assert from "node:assert/strict";
import { join } from "node:path";
import { diffJson, diffReports, formatReportDiff, type ReportJson } from "../../reports/render/mod.ts";
import { exampleReportJson } from "./example_report.ts";

async function withReports(
  a: ReportJson,
  b: ReportJson,
  fn: (dirA: string, dirB: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "diff_test_" });
  try {
    for (const [name, json] of [["a", a], ["b", b]] as const) {
      await Deno.mkdir(join(root, name));
      await Deno.writeTextFile(join(root, name, "report.json"), JSON.stringify(json));
    }
    await fn(join(root, "a"), join(root, "b"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function changedRun(): ReportJson {
  const json = structuredClone(exampleReportJson({ runId: "run-2", createdAt: "2025-02-01T00:00:00Z" }));
  (json.provenance.manifest as { influence: { damping: number } }).influence.damping = 0.01;
  json.provenance.git.commit = "fedcba9876543210fedcba9876543210fedcba98";
  json.timings.score = 2.5;
  json.findings[0].measured["7B"] = 0.9;
  json.findings[1].verdict = "reproduced";
  (json.findings[1].measured["7B"] as Record<string, number>).factual = 0.04 * (1 + 1e-12);
  json.validation = { ...json.validation, crossCheckPearson: 0.993 };
  return json;
}

Deno.test("diffReports() finds changed settings, provenance, timings, figures and verdicts", () =>
  withReports(exampleReportJson(), changedRun(), async (a, b) => {
    const diff = await diffReports(a, b);
    assert.equal(diff.schemaCompatible, true);
    assert.deepEqual(diff.settings.map((c) => [c.path, c.before, c.after]), [[
      "influence.damping",
      0.1,
      0.01,
    ]]);
    assert.deepEqual(diff.provenance.map((c) => c.path), ["provenance.git.commit"]);
    assert.deepEqual(diff.timings.map((c) => [c.path, c.absolute]), [["timings.score", -0.75]]);
    assert.equal(diff.figures.length, 1);
    const [figure] = diff.figures;
    assert.equal(figure.path, "findings[id=F1].measured.7B");
    assert.ok(Math.abs(figure.absolute! - 0.09) < 1e-12 && Math.abs(figure.relative! - 0.09 / 0.81) < 1e-12);
    assert.deepEqual(diff.values.map((c) => [c.path, c.after]), [["findings[id=F2].verdict", "reproduced"]]);
    assert.deepEqual(diff.added.map((c) => c.path), ["validation.crossCheckPearson"]);
    assert.ok(diff.unchangedFigures >= 5, "the 1e-12 relative change counts as unchanged");

    const text = formatReportDiff(diff);
    assert.ok(text.includes("influence.damping: 0.1 \u2192 0.01 (-0.09, -90%)"));
    assert.ok(text.includes("findings[id=F1].measured.7B: 0.81 \u2192 0.9 (+0.09, +11.1%)"));
    assert.ok(text.includes('findings[id=F2].verdict: "partial" \u2192 "reproduced"'));
    assert.ok(text.includes("Schema: 1.0.0 (compatible)"));
  }));

Deno.test("diffReports() reports a major schema version mismatch", () =>
  withReports(exampleReportJson(), exampleReportJson({ schemaVersion: "2.0.0" }), async (a, b) => {
    const diff = await diffReports(a, b);
    assert.equal(diff.schemaCompatible, false);
    assert.match(formatReportDiff(diff), /Schema: 1\.0\.0 \u2192 2\.0\.0: different major versions/);
  }));

Deno.test("diffReports() names the folder that has no report.json", async () => {
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(diffReports(empty, empty), (error: Error) => {
      assert.ok(error instanceof Deno.errors.NotFound);
      assert.equal(error.message, `Cannot read report "${empty}": no report.json in that folder`);
      return true;
    });
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("diffJson() matches arrays by id, else by index, and reports type changes once", () => {
  const { changes } = diffJson(
    { list: [1, 2], items: [{ id: "b", v: 1 }, { id: "a", v: 2 }], x: { y: 1 } },
    { list: [1, 2, 3], items: [{ id: "a", v: 2 }, { id: "b", v: 1 }], x: "gone" },
  );
  assert.deepEqual(changes.map((c) => [c.path, c.kind]), [["list[2]", "added"], ["x", "changed"]]);
});
