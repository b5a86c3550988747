/**
 * A small but complete report for the rendering tests: every block kind, a chart, and a valid
 * `report.json`.
 *
 * @module
 */

import type { ReportDocument, ReportJson } from "../../reports/render/mod.ts";

/** The payload text that tests inject into every text field to check escaping. */
export const HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/**
 * A valid `report.json` payload.
 *
 * @param overrides Top-level fields to replace.
 * @returns A fresh object.
 */
export function exampleReportJson(overrides: Partial<ReportJson> = {}): ReportJson {
  return {
    schemaVersion: "1.0.0",
    experiment: "procedural-knowledge",
    runId: "run-1",
    createdAt: "2025-01-02T03:04:05.000Z",
    provenance: {
      manifest: { influence: { damping: 0.1, strategy: "ekfac" }, seed: 7 },
      manifestSha256: "a".repeat(64),
      git: { commit: "0123456789abcdef0123456789abcdef01234567", dirty: false },
      deno: "2.9.6",
      lockfileSha256: "b".repeat(64),
      os: "linux x86_64",
      cpuCount: 2,
      adapter: {
        vendor: "mesa",
        architecture: "",
        device: "llvmpipe",
        description: "llvmpipe (LLVM 17)",
        isFallbackAdapter: false,
      },
      rootSeed: 7,
    },
    timings: { train: 12.5, score: 3.25 },
    setups: {
      "7B": {
        description: "Llama-architecture proxy, 2 layers",
        parameterCount: 1_000_000,
        checkpointSha256: "c".repeat(64),
        accuracy: { factual: 0.55, slopes: 0.3 },
      },
    },
    influence: { strategy: "ekfac", damping: 0.1 },
    findings: [
      {
        id: "F1",
        paperFigure: "r \u2248 0.89",
        measured: { "7B": 0.81 },
        statistic: { name: "pearson", value: 0.81, pValue: 0.001 },
        verdict: "reproduced",
      },
      {
        id: "F2",
        paperFigure: { "7B": 0.039 },
        measured: { "7B": { factual: 0.04, reasoning: 0.02 } },
        statistic: null,
        verdict: "partial",
      },
    ],
    validation: { plantedFactRank1: true },
    ...overrides,
  };
}

/** A bar chart spec with inline data, labels and title set from `label`. */
export function exampleSpec(label = "factual") {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 240,
    height: 120,
    title: `Scores ${label}`,
    data: { values: [{ group: label, score: 0.039 }, { group: "reasoning", score: 0.019 }] },
    mark: "bar" as const,
    encoding: {
      x: { field: "group", type: "nominal" as const, title: label },
      y: { field: "score", type: "quantitative" as const },
    },
  };
}

/**
 * A document using every block kind, with `text` placed in every text field.
 *
 * @param text Text to place everywhere (defaults to ordinary prose).
 * @returns The document.
 */
export function exampleDocument(text = "Ordinary text"): ReportDocument {
  return {
    title: `Report ${text}`,
    subtitle: `Subtitle ${text}`,
    json: exampleReportJson(),
    sections: [
      {
        id: "summary",
        title: `Summary ${text}`,
        blocks: [
          { kind: "heading", text: `Heading ${text}` },
          { kind: "paragraph", text: `Paragraph **bold** \`code\` ${text}` },
          { kind: "paragraph", text: `Quoted ${text}`, plain: true },
          { kind: "note", text: `Note ${text}`, tone: "warning" },
          {
            kind: "table",
            columns: [{ label: `Finding ${text}` }, { label: "7B", format: { style: "fixed", digits: 3 } }],
            rows: [[`F1 ${text}`, 0.81234], ["F2 | pipe", null]],
            caption: `Caption ${text}`,
          },
          { kind: "list", items: [`Item ${text}`, "second"], ordered: true },
          { kind: "keyValue", pairs: [{ key: `Key ${text}`, value: text }, { key: "damping", value: 0.1 }] },
        ],
      },
      {
        id: "charts",
        title: "Charts",
        blocks: [{
          kind: "chart",
          id: "scores",
          title: `Chart ${text}`,
          spec: exampleSpec(text),
          caption: text,
        }],
      },
      {
        id: "queries",
        title: "Per-query pages",
        blocks: [{
          kind: "details",
          summary: `Query ${text}`,
          blocks: [
            { kind: "code", text: `Prompt ${text}\n\`\`\` fence`, language: "text" },
            {
              kind: "tokens",
              tokens: [{ text: "The", weight: 0.5 }, { text: ` ${text}`, weight: -1 }, {
                text: " slope",
                weight: 0,
              }],
              legend: { positive: `raises ${text}`, negative: "lowers" },
              caption: `Tokens ${text}`,
            },
            { kind: "chart", id: "query-1", title: "Per-query chart", spec: exampleSpec("q1") },
          ],
        }],
      },
    ],
  };
}
