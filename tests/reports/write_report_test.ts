import assert from "node:assert/strict";
import { join } from "node:path";
import {
  readLatest,
  type ReportDocument,
  writeReport,
  writeTextFileAtomic,
} from "../../reports/render/mod.ts";
import { exampleDocument, exampleReportJson } from "./example_report.ts";

const EXPERIMENT = "procedural-knowledge";
const quiet = { onChartWarning: () => {} };

function docFor(runId: string, createdAt = "2025-01-02T03:04:05.000Z"): ReportDocument {
  return { ...exampleDocument(), json: exampleReportJson({ runId, createdAt }) };
}

async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) names.push(entry.name);
  return names.sort();
}

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "report_test_" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("writeReport() writes report.json, report.md, report.html and the chart files", () =>
  withRoot(async (root) => {
    const written = await writeReport(root, EXPERIMENT, "run-1", docFor("run-1"), quiet);
    const dir = join(root, EXPERIMENT, "run-1");
    assert.equal(written.dir, dir);
    assert.deepEqual(await listDir(dir), ["charts", "report.html", "report.json", "report.md"]);
    assert.deepEqual(await listDir(join(dir, "charts")), [
      "query-1.svg",
      "query-1.vl.json",
      "scores.svg",
      "scores.vl.json",
    ]);
    const jsonText = await Deno.readTextFile(join(dir, "report.json"));
    assert.deepEqual(JSON.parse(jsonText), docFor("run-1").json);
    assert.ok(jsonText.startsWith('{\n  "createdAt": '), "pretty-printed with sorted keys");
    assert.ok((await Deno.readTextFile(join(dir, "charts", "scores.svg"))).startsWith("<svg"));
    assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "charts", "scores.vl.json"))).width, 240);
    assert.ok((await Deno.readTextFile(join(dir, "report.html"))).includes('<section id="queries">'));
  }));

Deno.test("writeReport() points latest.json at the newest run and never moves it backwards", () =>
  withRoot(async (root) => {
    await writeReport(root, EXPERIMENT, "run-1", docFor("run-1", "2025-01-02T00:00:00Z"), quiet);
    const second = await writeReport(
      root,
      EXPERIMENT,
      "run-2",
      docFor("run-2", "2025-01-03T00:00:00Z"),
      quiet,
    );
    assert.equal(second.latestUpdated, true);
    assert.deepEqual(await readLatest(join(root, EXPERIMENT)), {
      runId: "run-2",
      createdAt: "2025-01-03T00:00:00Z",
      path: "run-2",
    });
    const old = await writeReport(root, EXPERIMENT, "run-0", docFor("run-0", "2024-12-31T00:00:00Z"), quiet);
    assert.equal(old.latestUpdated, false);
    assert.equal((await readLatest(join(root, EXPERIMENT)))?.runId, "run-2");
  }));

Deno.test("writeReport() leaves no report folder and latest.json untouched when a write fails", () =>
  withRoot(async (root) => {
    await writeReport(root, EXPERIMENT, "run-1", docFor("run-1"), quiet);
    const latestBefore = await Deno.readTextFile(join(root, EXPERIMENT, "latest.json"));
    let calls = 0;
    const failing = async (path: string, text: string) => {
      if (++calls === 3) throw new Error("disk full");
      await writeTextFileAtomic(path, text);
    };
    await assert.rejects(
      writeReport(root, EXPERIMENT, "run-2", docFor("run-2", "2026-01-01T00:00:00Z"), {
        ...quiet,
        writeFile: failing,
      }),
      /disk full/,
    );
    assert.equal(calls, 3);
    assert.deepEqual(await listDir(join(root, EXPERIMENT)), ["latest.json", "run-1"]);
    assert.equal(await Deno.readTextFile(join(root, EXPERIMENT, "latest.json")), latestBefore);
  }));

Deno.test("writeReport() refuses an existing run folder unless told to overwrite it", () =>
  withRoot(async (root) => {
    await writeReport(root, EXPERIMENT, "run-1", docFor("run-1"), quiet);
    await assert.rejects(
      writeReport(root, EXPERIMENT, "run-1", docFor("run-1"), quiet),
      Deno.errors.AlreadyExists,
    );
    const doc = { ...docFor("run-1"), title: "Second version" };
    await writeReport(root, EXPERIMENT, "run-1", doc, { ...quiet, overwrite: true });
    const md = await Deno.readTextFile(join(root, EXPERIMENT, "run-1", "report.md"));
    assert.ok(md.startsWith("# Second version\n"));
    assert.deepEqual(await listDir(join(root, EXPERIMENT)), ["latest.json", "run-1"]);
  }));

Deno.test("writeReport() removes temporary folders left by a killed writer of the same run", () =>
  withRoot(async (root) => {
    await Deno.mkdir(join(root, EXPERIMENT, "run-1.tmp-deadbeef0000", "charts"), { recursive: true });
    await writeReport(root, EXPERIMENT, "run-1", docFor("run-1"), quiet);
    assert.deepEqual(await listDir(join(root, EXPERIMENT)), ["latest.json", "run-1"]);
  }));

Deno.test("writeReport() rejects an invalid report.json, mismatched ids and unsafe names before writing", () =>
  withRoot(async (root) => {
    const bad = { ...docFor("run-1"), json: exampleReportJson({ schemaVersion: "one" }) };
    await assert.rejects(
      writeReport(root, EXPERIMENT, "run-1", bad, quiet),
      /schemaVersion: expected a semantic version/,
    );
    await assert.rejects(writeReport(root, EXPERIMENT, "run-9", docFor("run-1"), quiet), /names experiment/);
    await assert.rejects(
      writeReport(root, EXPERIMENT, "../escape", docFor("../escape"), quiet),
      /run id "\.\.\/escape"/,
    );
    await assert.rejects(
      writeReport(root, EXPERIMENT, "latest.json", docFor("latest.json"), quiet),
      TypeError,
    );
    assert.deepEqual(await listDir(root), []);
  }));
