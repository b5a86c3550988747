import assert from "node:assert/strict";
import {
  capDocument,
  DEFAULT_RENDER_LIMITS,
  formatNumber,
  parseInline,
  type ReportDocument,
  shortenText,
  stableStringify,
  tokenShade,
} from "../../reports/render/mod.ts";
import { exampleReportJson } from "./example_report.ts";

Deno.test("formatNumber() shows integers grouped, fractions with 4 significant digits, extremes exponentially", () => {
  assert.equal(formatNumber(5_000_000), "5,000,000");
  assert.equal(formatNumber(-1234), "-1,234");
  assert.equal(formatNumber(0.89123), "0.8912");
  assert.equal(formatNumber(1.5e-7), "1.500e-7");
  assert.equal(formatNumber(Number.NaN), "NaN");
  assert.equal(formatNumber(0.21, { style: "percent", digits: 1 }), "21.0%");
  assert.throws(() => formatNumber(1, { style: "fixed", digits: -1 }), RangeError);
});

Deno.test("parseInline() keeps unmatched markers literal", () => {
  assert.deepEqual(parseInline("2 ** 3 and `x"), [{ style: "text", text: "2 ** 3 and `x" }]);
  assert.deepEqual(parseInline("**`a`**"), [{ style: "bold", text: "`a`" }]);
});

Deno.test("tokenShade() scales opacity with |weight| and clips at the scale", () => {
  assert.equal(tokenShade(0.25, 1), "rgba(33,102,172,0.15)");
  assert.equal(tokenShade(-5, 1), "rgba(214,47,39,0.6)");
  assert.equal(tokenShade(Number.NaN, 1), "transparent");
  assert.equal(tokenShade(1, 0), "transparent");
});

Deno.test("capDocument() shortens long text, lists and token runs inside details blocks, with notes", () => {
  const limits = { ...DEFAULT_RENDER_LIMITS, maxTextChars: 10, maxListItems: 1, maxTokens: 2 };
  const doc: ReportDocument = {
    title: "t",
    json: exampleReportJson(),
    sections: [{
      id: "s",
      title: "S",
      blocks: [{
        kind: "details",
        summary: "q",
        blocks: [
          { kind: "code", text: "x".repeat(25) },
          { kind: "list", items: ["a", "b", "c"] },
          { kind: "tokens", tokens: [1, 2, 3, 4].map((w) => ({ text: `t${w}`, weight: w })) },
        ],
      }],
    }],
  };
  const [details] = capDocument(doc, limits).sections[0].blocks;
  assert.equal(details.kind, "details");
  const texts = details.kind === "details" ? details.blocks.map((b) => "text" in b ? b.text : b.kind) : [];
  assert.deepEqual(texts, [
    `${"x".repeat(10)}\u2026`,
    "Text shortened to 10 of 25 characters.",
    "list",
    "2 more items left out.",
    "tokens",
    "Showing the first 2 tokens; 2 left out.",
  ]);
  assert.equal(shortenText("a\u{1F600}b", 2), "a\u2026", "no half surrogate pair");
});

Deno.test("stableStringify() sorts keys at every level and refuses non-finite numbers", () => {
  assert.equal(
    stableStringify({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: null }, 0),
    '{"a":null,"b":{"c":[{"e":2,"f":1}],"d":1}}\n',
  );
  assert.throws(() => stableStringify({ findings: [{ r: Number.NaN }] }), /\$\.findings\[0\]\.r/);
});
