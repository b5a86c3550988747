/**
 * Renders a report in headless Chromium (Debian's `chromium`, which `.ci/run` installs): no console
 * messages (a script smuggled in through corpus text would log), every chart's SVG present and
 * non-empty in the DOM, and a screenshot saved to `reports/out/browser-check.png`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeReport } from "../../reports/render/mod.ts";
import { collectCharts } from "../../reports/render/mod.ts";
import { exampleDocument } from "./example_report.ts";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
const chromium = Deno.env.get("CHROMIUM") ?? CANDIDATES.find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});
if (!chromium) {
  console.warn("browser_test: no Chromium found (set CHROMIUM or install Debian's chromium); skipped");
}

async function runChromium(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const out = await new Deno.Command(chromium!, {
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
  }).output();
  const dec = new TextDecoder();
  const result = { stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  assert.equal(out.code, 0, result.stderr.slice(-2000));
  return result;
}

Deno.test({
  name: "report.html renders in headless Chromium with every chart and no console messages",
  ignore: !chromium,
  async fn() {
    const root = await Deno.makeTempDir();
    // Corpus text that would run a script (and log to the console) if any renderer let markup through.
    const hostile =
      `<script>console.error("escaped-script-ran")</script><img src=x onerror="console.error('img')">`;
    const doc = exampleDocument(hostile);
    const written = await writeReport(root, doc.json.experiment, doc.json.runId, doc);
    const url = `file://${join(written.dir, "report.html")}`;
    const { stdout: dom, stderr } = await runChromium("--dump-dom", url);
    const console = stderr.split("\n").filter((l) => /:CONSOLE\b/.test(l));
    assert.deepEqual(console, [], "console messages while rendering");
    assert.equal(dom.includes("escaped-script-ran</script>"), false);
    for (const chart of collectCharts(doc)) {
      const figure = dom.match(new RegExp(`<figure[^>]*id="chart-${chart.id}"[^>]*>([\\s\\S]*?)</figure>`));
      assert.ok(figure, `chart ${chart.id} is in the DOM`);
      const svg = figure[1].match(/<svg[\s\S]*?<\/svg>/);
      assert.ok(svg, `chart ${chart.id} has an inline SVG`);
      assert.ok(
        (svg[0].match(/<(path|rect|line|text|g)\b/g) ?? []).length > 5,
        `chart ${chart.id} SVG is not empty`,
      );
    }
    await Deno.mkdir("reports/out", { recursive: true });
    const shot = join(Deno.cwd(), "reports/out/browser-check.png");
    await runChromium(`--screenshot=${shot}`, "--window-size=1280,2000", url);
    const png = await Deno.readFile(shot);
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG screenshot");
    assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes`);
    await Deno.remove(root, { recursive: true });
  },
});
