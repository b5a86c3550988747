import assert from "node:assert/strict";
import { renderChartSvg } from "../../reports/render/mod.ts";
import { exampleSpec } from "./example_report.ts";

const quiet = { onWarning: () => {} };

Deno.test("renderChartSvg() renders a non-empty SVG headlessly", async () => {
  const svg = await renderChartSvg(exampleSpec(), quiet);
  assert.match(svg, /^<svg [^>]*width="\d+"/);
  assert.ok(svg.includes("<rect") && svg.includes("reasoning"), "bars and labels are drawn");
  assert.ok(svg.length > 1000);
});

Deno.test("renderChartSvg() gives identical output for the same spec, also when run concurrently", async () => {
  const spec = {
    ...exampleSpec(),
    mark: {
      type: "area" as const,
      color: {
        gradient: "linear" as const,
        stops: [{ offset: 0, color: "white" }, { offset: 1, color: "green" }],
      },
    },
  };
  const first = await renderChartSvg(spec, quiet);
  const [a, b, c] = await Promise.all([spec, exampleSpec(), spec].map((s) => renderChartSvg(s, quiet)));
  assert.ok(first.includes('id="gradient_0"'));
  assert.equal(a, first);
  assert.equal(c, first);
  assert.notEqual(b, first);
});

Deno.test("renderChartSvg() prefixes element ids and their references", async () => {
  const spec = {
    ...exampleSpec(),
    encoding: { ...exampleSpec().encoding, color: { field: "score", type: "quantitative" as const } },
  };
  const svg = await renderChartSvg(spec, { ...quiet, idPrefix: "f1-" });
  const ids = [...svg.matchAll(/ id="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(ids.length > 0);
  assert.ok(ids.every((id) => id.startsWith("f1-")));
  assert.ok([...svg.matchAll(/url\(#([^)]*)\)/g)].every((m) => ids.includes(m[1])));
});

Deno.test("renderChartSvg() escapes untrusted labels and titles", async () => {
  const svg = await renderChartSvg(exampleSpec("</script><img src=x onerror=alert(1)>"), quiet);
  assert.equal(svg.includes("<img"), false);
  assert.equal(svg.includes("</script>"), false);
  assert.ok(svg.includes("&lt;img src=x onerror=alert(1)&gt;"));
});

Deno.test("renderChartSvg() refuses specs without sizes, with data URLs, links or images", async () => {
  const { width: _w, ...unsized } = exampleSpec();
  await assert.rejects(renderChartSvg(unsized, quiet), /explicit numeric width and height/);
  await assert.rejects(
    renderChartSvg({ ...exampleSpec(), data: { url: "https://example.com/data.json" } }, quiet),
    /spec\.data\.url loads data/,
  );
  const link = {
    ...exampleSpec(),
    data: { values: [{ group: "a", score: 1, u: "javascript:alert(1)" }] },
    encoding: { ...exampleSpec().encoding, href: { field: "u", type: "nominal" as const } },
  };
  await assert.rejects(renderChartSvg(link, quiet), /<a> element/);
  const image = {
    width: 50,
    height: 50,
    data: { values: [{ x: 1, u: "https://example.com/x.png" }] },
    mark: { type: "image" as const, width: 10, height: 10 },
    encoding: {
      x: { field: "x", type: "quantitative" as const },
      url: { field: "u", type: "nominal" as const },
    },
  };
  await assert.rejects(renderChartSvg(image, quiet), /<image> element/);
});

Deno.test("renderChartSvg() reports an invalid spec as a TypeError naming the chart", async () => {
  // deno-lint-ignore no-explicit-any
  const bad = { ...exampleSpec(), mark: "nonsense" } as any;
  await assert.rejects(renderChartSvg(bad, { ...quiet, label: 'chart "x"' }), TypeError, 'chart "x"');
});
