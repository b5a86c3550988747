import assert from "node:assert/strict";
import { proxiesSection, type ProxyView } from "../../reports/sections/proxies_section.ts";

const view = (name: string, trainingData: ProxyView["trainingData"]): ProxyView => ({
  name,
  description: name,
  parameterCount: 1000,
  checkpointSha256: "0".repeat(64),
  status: "trained",
  trainingData,
  drills: name === "7B" ? 0.3 : null,
  step: 10,
  steps: 10,
  loss: 1,
  wallSeconds: 60,
  accuracy: { slopes: { correct: 1, total: 2, accuracy: 0.5 } },
  stepDiagnostics: {
    slopes: {
      completions: 2,
      distinctCompletions: 1,
      operandsCopied: 2,
      firstStepRight: 1,
      equations: 6,
      equationsRight: 3,
    },
  },
  samples: [],
  lossCurve: [{ step: 20, loss: 4 }, { step: 40, loss: 3 }],
  evaluations: [{ step: 1000, accuracy: { slopes: 0.05 } }],
  heldOut: null,
  factualByMentions: {},
});

Deno.test("proxiesSection() warns about weights trained on other documents and shows where chains break", () => {
  const section = proxiesSection([view("7B", "this run"), view("35B", "other")]);
  const text = JSON.stringify(section);
  assert.match(text, /Warning: the 35B checkpoint was trained on other documents/);
  assert.doesNotMatch(text, /Warning: the 7B/);
  assert.match(text, /OTHER documents/);
  assert.match(text, /"7B",1000,"trained","this run's documents","30%"/);
  const steps = section.blocks.find((b) =>
    b.kind === "table" && !!b.caption?.startsWith("Where the reasoning")
  );
  assert.ok(steps && steps.kind === "table");
  assert.deepEqual(steps.rows, [
    ["slopes", "distinct completions", "1/2", "1/2"],
    ["slopes", "copied the operands", "2/2 (100%)", "2/2 (100%)"],
    ["slopes", "first step right", "1/2 (50%)", "1/2 (50%)"],
    ["slopes", "equations right", "3/6 (50%)", "3/6 (50%)"],
  ]);
  const charts = section.blocks.flatMap((b) => b.kind === "chart" ? [b.id] : []);
  assert.deepEqual(charts, ["proxies-accuracy", "proxies-loss", "proxies-learning-curve"]);
  const none = proxiesSection([{
    ...view("7B", "unknown"),
    stepDiagnostics: {},
    lossCurve: [],
    evaluations: [],
  }]);
  assert.ok(!JSON.stringify(none).includes("Where the reasoning"), "no table without reasoning sets");
  assert.match(JSON.stringify(none), /unknown \(no training\.json\)/);
  assert.ok(!JSON.stringify(none).includes("proxies-loss"), "no loss chart without a loss curve");
});

Deno.test("proxiesSection() shows held-out accuracy and factual accuracy by mention count when there are any", () => {
  const diag = {
    completions: 40,
    distinctCompletions: 38,
    operandsCopied: 40,
    firstStepRight: 30,
    equations: 120,
    equationsRight: 100,
  };
  const a = view("7B", "this run"), b = view("35B", "this run");
  const section = proxiesSection([
    {
      ...a,
      heldOut: {
        step: 2000,
        accuracy: { slopes: { correct: 9, total: 40, accuracy: 0.225 } },
        stepDiagnostics: { slopes: diag },
      },
      factualByMentions: { 0: { correct: 0, total: 5 }, 8: { correct: 1, total: 4 } },
    },
    { ...b, factualByMentions: { 0: { correct: 0, total: 5 }, 128: { correct: 4, total: 4 } } },
  ]);
  const held = section.blocks.find((blk) =>
    blk.kind === "table" && !!blk.caption?.startsWith("Held-out prompts")
  );
  assert.ok(held && held.kind === "table");
  // Only the setup whose record graded held-out prompts gets a column, labelled with the step.
  assert.deepEqual(held.columns.map((c) => c.label), ["query set", "measure", "7B (step 2000)"]);
  assert.deepEqual(held.rows, [["slopes", "accuracy", "9/40 (23%)"], [
    "slopes",
    "distinct completions",
    "38/40",
  ]]);
  const mentions = section.blocks.find((blk) =>
    blk.kind === "table" && !!blk.caption?.startsWith("Factual queries answered right")
  );
  assert.ok(mentions && mentions.kind === "table");
  assert.deepEqual(mentions.rows, [
    ["0", "0/5 (0%)", "0/5 (0%)"],
    ["8", "1/4 (25%)", "–"],
    ["128", "–", "4/4 (100%)"],
  ]);
  const charts = section.blocks.flatMap((blk) => blk.kind === "chart" ? [blk.id] : []);
  assert.ok(charts.includes("proxies-factual-mentions"));
  // Without either, neither block appears.
  const plain = JSON.stringify(proxiesSection([a]));
  assert.ok(!plain.includes("Held-out prompts") && !plain.includes("proxies-factual-mentions"));
  assert.ok(!JSON.stringify(section).includes("teacher-forced"), "no recall table without a recorded recall");
});

Deno.test("proxiesSection() shows the recorded teacher-forced recall beside accuracy, per setup that has it", () => {
  const a = view("7B", "this run"), b = view("35B", "this run");
  const section = proxiesSection([
    {
      ...a,
      factualByMentions: { 0: { correct: 0, total: 5 }, 8: { correct: 1, total: 4 } },
      recall: { step: 4000, byMentions: { 8: { queries: 4, value: -3.214, answer: -20.5 } } },
    },
    { ...b, factualByMentions: { 0: { correct: 0, total: 5 } }, recall: null },
  ]);
  const recall = section.blocks.find((blk) =>
    blk.kind === "table" && !!blk.caption?.startsWith("What the proxies recall")
  );
  assert.ok(recall && recall.kind === "table");
  assert.deepEqual(recall.columns.map((c) => c.label), ["mentions", "7B value (step 4000)", "7B answer"]);
  assert.deepEqual(recall.rows, [["0", "–", "–"], ["8", "-3.21", "-20.50"]]);
});

Deno.test("proxiesSection() titles user-brought models 'The models' without the training-only columns", () => {
  const own = (name: string): ProxyView => ({
    ...view(name, "unknown"),
    status: "checkpoint",
    drills: null,
    step: null,
    steps: null,
    loss: null,
    wallSeconds: null,
    lossCurve: [],
    evaluations: [],
  });
  const section = proxiesSection([own("small"), own("large")]);
  assert.equal(section.title, "The models");
  const table = section.blocks[0];
  assert.ok(table.kind === "table");
  assert.deepEqual(table.columns.map((c) => c.label), ["setup", "parameters", "weights sha256"]);
  assert.deepEqual(table.rows[0], ["small", 1000, "0".repeat(16)]);
  // One proxy with a training record keeps the proxies' table for all.
  const mixed = proxiesSection([own("small"), view("large", "this run")]);
  assert.equal(mixed.title, "The proxies");
  assert.ok(mixed.blocks[0].kind === "table" && mixed.blocks[0].columns.length === 9);
});
