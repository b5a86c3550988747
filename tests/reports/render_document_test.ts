import assert from "node:assert/strict";
import {
  collectCharts,
  DEFAULT_RENDER_LIMITS,
  renderChartSvg,
  renderHtml,
  renderMarkdown,
  type ReportDocument,
} from "../../reports/render/mod.ts";
import { exampleDocument } from "./example_report.ts";

async function svgsOf(doc: ReportDocument): Promise<Map<string, string>> {
  const svgs = new Map<string, string>();
  for (const chart of collectCharts(doc)) {
    svgs.set(chart.id, await renderChartSvg(chart.spec, { idPrefix: `${chart.id}-`, onWarning: () => {} }));
  }
  return svgs;
}

Deno.test("renderMarkdown() holds every section, table, chart link and details block", () => {
  const md = renderMarkdown(exampleDocument());
  for (
    const heading of ["# Report Ordinary text", "## Summary Ordinary text", "## Charts", "## Per-query pages"]
  ) {
    assert.ok(md.includes(`\n${heading}\n`) || md.startsWith(`${heading}\n`), heading);
  }
  assert.ok(md.includes("| Finding Ordinary text | 7B |\n| --- | ---: |\n| F1 Ordinary text | 0.812 |"));
  assert.ok(md.includes("| F2 \\| pipe | \u2013 |"), "pipes in cells are escaped, null is a dash");
  assert.ok(md.includes("![Chart Ordinary text](charts/scores.svg)"));
  assert.ok(md.includes("![Per-query chart](charts/query-1.svg)"));
  assert.ok(md.includes("<details>\n<summary>Query Ordinary text</summary>\n\n"));
  assert.ok(md.includes("> [!WARNING]\n> Note Ordinary text"));
  assert.ok(md.includes("Paragraph **bold** `code` Ordinary text"));
  assert.ok(
    md.includes("````text\nPrompt Ordinary text\n``` fence\n````"),
    "fence is longer than the text's",
  );
  assert.ok(md.includes("Experiment `procedural-knowledge`, run `run-1`"));
});

Deno.test("renderHtml() holds every section, a contents list and inline charts with their specs", async () => {
  const doc = exampleDocument();
  const html = renderHtml(doc, await svgsOf(doc));
  for (const id of ["summary", "charts", "queries"]) {
    assert.ok(html.includes(`<section id="${id}">`), id);
    assert.ok(html.includes(`<a href="#${id}">`), id);
  }
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  const specs = [
    ...html.matchAll(
      /<script type="application\/json" class="vega-lite-spec" data-chart="([^"]+)">([^<]*)<\/script>/g,
    ),
  ];
  assert.deepEqual(specs.map((m) => m[1]), ["scores", "query-1"]);
  assert.deepEqual(
    JSON.parse(specs[0][2]),
    doc.sections[1].blocks[0].kind === "chart" && doc.sections[1].blocks[0].spec,
  );
  assert.ok(html.includes("<details><summary>Query Ordinary text</summary>"));
  assert.ok(html.includes('<td class="al-right">0.812</td>'));
  assert.match(html, /<span class="sn12" title="-1"> Ordinary text<\/span>/);
  assert.match(html, /\.sn12\{background:rgba\(214,47,39,0\.6\)\}/);
});

Deno.test("renderHtml() is self-contained: no external resources, links or stylesheets", async () => {
  const doc = exampleDocument();
  const html = renderHtml(doc, await svgsOf(doc));
  assert.equal(/src\s*=\s*["']?https?:/i.test(html), false);
  assert.equal(/<link\b/i.test(html), false);
  assert.equal(/<script\b(?![^>]*type="application\/json")/i.test(html), false, "no executable scripts");
  for (const [, href] of html.matchAll(/href="([^"]*)"/g)) assert.match(href, /^#/, href);
  assert.equal(/@import|url\(\s*['"]?(?!#)/i.test(html), false);
  assert.ok(html.includes("Content-Security-Policy"));
});

Deno.test("renderHtml() links charts beyond the inline budget instead of inlining them", async () => {
  const doc = exampleDocument();
  const svgs = await svgsOf(doc);
  const budget = svgs.get("scores")!.length + 10;
  const html = renderHtml(doc, svgs, { limits: { ...DEFAULT_RENDER_LIMITS, maxInlineChartBytes: budget } });
  assert.equal((html.match(/<svg /g) ?? []).length, 1);
  assert.ok(html.includes('<a href="charts/scores.vl.json">'), "the first chart's spec no longer fits");
  assert.ok(html.includes('<a href="charts/query-1.svg">'));
});

Deno.test("renderHtml() and renderMarkdown() cap long tables with a note on what was left out", () => {
  const rows = Array.from({ length: 1000 }, (_, i) => [`row ${i}`, i]);
  const doc: ReportDocument = {
    ...exampleDocument(),
    sections: [{
      id: "big",
      title: "Big",
      blocks: [{ kind: "table", columns: [{ label: "a" }, { label: "b" }], rows }],
    }],
  };
  const limits = { ...DEFAULT_RENDER_LIMITS, maxTableRows: 50 };
  const html = renderHtml(doc, new Map(), { limits });
  const md = renderMarkdown(doc, { limits });
  assert.equal((html.match(/<tr>/g) ?? []).length, 51);
  assert.ok(html.includes("Showing the first 50 of 1,000 rows; 950 left out."));
  assert.ok(md.includes("Showing the first 50 of 1,000 rows; 950 left out."));
  assert.equal(md.includes("row 50 |"), false);
});

Deno.test("renderHtml() and renderMarkdown() reject duplicate chart ids and ragged tables", () => {
  const doc = exampleDocument();
  const dup: ReportDocument = { ...doc, sections: [...doc.sections, { ...doc.sections[1], id: "again" }] };
  assert.throws(() => renderMarkdown(dup), /chart "scores": the id is used twice/);
  const ragged: ReportDocument = {
    ...doc,
    sections: [{
      id: "t",
      title: "T",
      blocks: [{ kind: "table", columns: [{ label: "a" }], rows: [["x", 1]] }],
    }],
  };
  assert.throws(() => renderHtml(ragged, new Map()), /row 0 has 2 cells, expected 1/);
});

Deno.test("renderHtml() and renderMarkdown() stop at the body size limit with a note, however many pages", () => {
  const page = (q: number) => ({
    kind: "details" as const,
    summary: `Query ${q}`,
    blocks: [{
      kind: "tokens" as const,
      tokens: Array.from({ length: 3000 }, (_, i) => ({ text: ` tok${i}`, weight: Math.sin(i) })),
    }],
  });
  const doc: ReportDocument = {
    ...exampleDocument(),
    sections: [{ id: "queries", title: "Queries", blocks: Array.from({ length: 200 }, (_, q) => page(q)) }],
  };
  const html = renderHtml(doc, new Map());
  const md = renderMarkdown(doc);
  for (const text of [html, md]) {
    assert.ok(text.length < DEFAULT_RENDER_LIMITS.maxBodyBytes + 50_000, `${text.length} bytes`);
    assert.match(text, /\d+ blocks left out here: this file reached its size limit/);
  }
  assert.ok(html.includes("<summary>Query 0</summary>"));
  assert.equal(html.includes("<summary>Query 199</summary>"), false);
});
