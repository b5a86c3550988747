import assert from "node:assert/strict";
import { computeFindings } from "../../reports/findings/compute_findings.ts";
import { findingRows, findingsJson } from "../../reports/findings/findings_table.ts";
import {
  renderMarkdown,
  REPORT_SCHEMA_VERSION,
  reportJsonSchema,
  validateDocument,
} from "../../reports/render/mod.ts";
import { findingsSection } from "../../reports/sections/findings_section.ts";
import { f1Section } from "../../reports/sections/f1_section.ts";
import { f2Section } from "../../reports/sections/f2_section.ts";
import { f3Section, f4Section, f5Section } from "../../reports/sections/f3_f5_sections.ts";
import { exampleReportJson } from "./example_report.ts";
import { documents, settings, syntheticScores } from "./findings/synthetic_scores.ts";

Deno.test("the findings sections show effects beside tests, the gates, and a setup left out", () => {
  // 7B writes one chain for every slopes query; 35B has the F4 effect built in.
  const small = syntheticScores(11);
  small.completions = small.completions.map((c) => (c.set === "slopes" ? { ...c, completion: "same" } : c));
  const findings = computeFindings({
    setups: [{ ...small, setup: "7B" }, { ...syntheticScores(12, { f4: 0.5 }), setup: "35B" }],
    documents,
    settings: { ...settings, bootstrap: { resamples: 200, confidence: 0.95 } },
    seed: 3,
  });
  const rows = findingRows(findings);
  const f4 = rows.find((r) => r.id === "F4")!;
  assert.equal(f4.verdictText, "reproduced (35B only; 7B not applicable)");
  const doc = {
    title: "Findings",
    json: { ...exampleReportJson({ schemaVersion: REPORT_SCHEMA_VERSION }), findings: findingsJson(rows) },
    sections: [
      findingsSection(rows, ["7B", "35B"], findings.setups),
      f1Section(findings),
      f2Section(findings),
      f3Section(findings),
      f4Section(findings),
      f5Section(findings),
    ],
  };
  validateDocument(doc);
  assert.equal(reportJsonSchema.safeParse(doc.json).success, true);
  const md = renderMarkdown(doc);
  assert.match(md, /F4: reproduced \(35B only; 7B not applicable\)/);
  assert.match(
    md,
    /not applicable: slopes: 1 distinct completion of 20 \(5%\), below 90% \(the test alone: \w/,
  );
  assert.match(
    md,
    /Δ = -?[\d.]+ \\\[-?[\d.]+, -?[\d.]+\\\], d = -?\d/,
    "an effect with its interval beside the test",
  );
  assert.match(md, /sign-flip \(t\) = /);
  assert.match(md, /set-label permutation \(Δ mean r\) = /);
  assert.match(md, /\| 7B \| slopes \| 20\/20 \(100%\) \| 1\/20 \(5%\) \| no — slopes: 1 distinct/);
  assert.match(md, /Factual draw — 7B: factual: 20 answered right and 0 wrong \(the paper: 20 and 20/);
});
