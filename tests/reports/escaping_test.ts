import assert from "node:assert/strict";
import {
  collectCharts,
  escapeHtml,
  escapeMarkdown,
  jsonForHtmlScript,
  renderChartSvg,
  renderHtml,
  renderMarkdown,
} from "../../reports/render/mod.ts";
import { exampleDocument, HOSTILE } from "./example_report.ts";

const ATTACK = `${HOSTILE} </script> **x** [link](javascript:alert(3)) | # \`\`\` \u0000\u001b[31m`;

Deno.test("renderHtml() leaves no live tag from untrusted text, chart labels included", async () => {
  const doc = exampleDocument(ATTACK);
  const svgs = new Map<string, string>();
  for (const chart of collectCharts(doc)) {
    svgs.set(chart.id, await renderChartSvg(chart.spec, { idPrefix: `${chart.id}-`, onWarning: () => {} }));
  }
  const html = renderHtml(doc, svgs);
  assert.equal(/<img/i.test(html), false);
  assert.equal(/<a\s/i.test(html.replace(/<a href="#[a-z-]+">/g, "")), false, "only the contents links");
  // Text escapes every "<", so each "<" starts a real tag: none may carry an event handler.
  // Attribute values escape '"', so each name="value" pair below is a real attribute.
  for (const [tag] of html.matchAll(/<[a-z][^>]*>/gi)) {
    const names = [...tag.matchAll(/\s([\w:-]+)(?:="[^"]*")?/g)].map((m) => m[1].toLowerCase());
    assert.equal(names.some((name) => name.startsWith("on") || name === "src"), false, tag);
  }
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.equal(scripts.length, 2, "only the two chart spec blocks, none broken out of");
  assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /^ type="application\/json"/);
    assert.equal(/[<>&]/.test(body), false);
    assert.equal(
      JSON.parse(body).encoding.x.title.startsWith("<script>") || JSON.parse(body).title === "Scores q1",
      true,
    );
  }
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"));
  assert.equal(html.includes("\u001b"), false, "control characters are replaced");
});

Deno.test("renderMarkdown() leaves no raw HTML, link or formatting from untrusted text", () => {
  const md = renderMarkdown(exampleDocument(ATTACK));
  // Fenced code shows text verbatim and is inert; the <summary> line is raw HTML (HTML-escaped);
  // everything else must be markdown-escaped.
  const outsideCode = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "").replace(/^<summary>.*$/gm, "");
  assert.ok(
    md.includes("<summary>Query &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
  );
  assert.equal(/<(?!details|\/details)[a-z/]/i.test(outsideCode), false);
  assert.equal(/(?<!\\)\]\(/.test(outsideCode.replace(/\]\(charts\/[\w.-]+\)/g, "")), false, "no links");
  assert.ok(outsideCode.includes("\\*\\*x\\*\\* \\[link\\](javascript:alert(3)) \\| \\#"));
  assert.equal(md.includes("\u0000") || md.includes("\u001b"), false);
});

Deno.test("escapeHtml() and jsonForHtmlScript() neutralise markup and script end tags", () => {
  assert.equal(escapeHtml(`"'<>&`), "&quot;&#39;&lt;&gt;&amp;");
  const json = jsonForHtmlScript({ label: "</script><!-- \u2028 &" });
  assert.equal(/[<>&\u2028]/.test(json), false);
  assert.deepEqual(JSON.parse(json), { label: "</script><!-- \u2028 &" });
});

Deno.test("escapeMarkdown() escapes block markers at line starts and keeps ordinary text readable", () => {
  assert.equal(
    escapeMarkdown("# title\n- item\n1. first\n> quote\n==="),
    "\\# title\n\\- item\n1\\. first\n&gt; quote\n\\===",
  );
  assert.equal(escapeMarkdown("a\nb", { inline: true }), "a b");
  assert.equal(escapeMarkdown("r = 0.89, p < 0.05"), "r = 0.89, p &lt; 0.05");
});
