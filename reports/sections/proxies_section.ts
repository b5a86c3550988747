import type { SetStepDiagnostics } from "../analyses/step_diagnostics.ts";
import type { Block, Section } from "../render/mod.ts";

/** One setup's model and answers, as the report shows them. */
export interface ProxyView {
  name: string;
  description: string;
  parameterCount: number;
  checkpointSha256: string;
  /** `trained`, `in-training` (intermediate weights of an unfinished training) or `checkpoint` (loaded as is). */
  status: string;
  /**
   * Whether the weights were trained on this run's tokenized documents: `this run` (trained in the run,
   * or training.json names this run's tokenize key), `other` (it names another), `unknown` (no record).
   */
  trainingData: TrainingData;
  /** Share of arithmetic drill sheets among the training documents, or null when not recorded. */
  drills: number | null;
  step: number | null;
  steps: number | null;
  loss: number | null;
  wallSeconds: number | null;
  accuracy: Record<string, { correct: number; total: number; accuracy: number }>;
  /** Per reasoning set: operands copied, first step right, equations right for their own numbers. */
  stepDiagnostics: Record<string, SetStepDiagnostics>;
  /** A few completions to show: prompt, the model's completion, whether it is right. */
  samples: { set: string; prompt: string; completion: string; correct: boolean }[];
  /** Training loss (nats/token) over steps, from the training record; empty when not recorded. */
  lossCurve: { step: number; loss: number }[];
  /** Accuracy per query set at the checkpoints graded during training; empty when not recorded. */
  evaluations: { step: number; accuracy: Record<string, number> }[];
  /**
   * The held-out prompts (fresh operands in the queries' templates, in no query and no document) at the
   * latest graded step of training, from the training record; null when it has none.
   */
  heldOut: HeldOutView | null;
  /** This run's factual queries answered right, by the fact's number of mentions in pretraining. */
  factualByMentions: Record<string, { correct: number; total: number }>;
  /**
   * Teacher-forced recall of the factual queries' values by mention count (mean log p of the value given
   * the prompt and the reference answer up to it) at the latest graded step of training; null when the
   * training record has none.
   */
  recall?: RecallView | null;
}

/** A training record's latest teacher-forced recall of the facts. */
export interface RecallView {
  /** The training step it was measured at. */
  step: number;
  /** Queries and mean log p (nats) of the value and of the whole reference answer, per mention count. */
  byMentions: Record<string, { queries: number; value: number; answer: number }>;
}

/** A training record's latest held-out evaluation. */
export interface HeldOutView {
  /** The training step it was graded at. */
  step: number;
  /** Right and asked per reasoning set. */
  accuracy: Record<string, { correct: number; total: number; accuracy: number }>;
  /** Where the chains break, per set (distinct completions included). */
  stepDiagnostics: Record<string, SetStepDiagnostics>;
}

/** Whether a setup's weights were trained on the documents of the run that scores them. */
export type TrainingData = "this run" | "other" | "unknown";

/**
 * Whether a model was trained on this run's documents, from its training record.
 *
 * @param source `trained` (in the run's model stage) or `checkpoint` (loaded from a folder).
 * @param record The checkpoint folder's training.json, or null.
 * @param tokenizeKey This run's tokenize-stage key (it covers the world and the tokenizer).
 * @returns `this run`, `other` or `unknown`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingDataOf } from "./proxies_section.ts";
 * assert.equal(trainingDataOf("checkpoint", { data: { tokenize: "ab" } }, "ab"), "this run");
 * assert.equal(trainingDataOf("checkpoint", { data: { tokenize: "cd" } }, "ab"), "other");
 * assert.equal(trainingDataOf("checkpoint", null, "ab"), "unknown");
 * assert.equal(trainingDataOf("trained", null, "ab"), "this run");
 * ```
 */
export function trainingDataOf(
  source: string,
  record: Record<string, unknown> | null,
  tokenizeKey: string,
): TrainingData {
  if (source === "trained") return "this run";
  const data = record?.data as { tokenize?: unknown } | undefined;
  if (typeof data?.tokenize !== "string") return "unknown";
  return data.tokenize === tokenizeKey ? "this run" : "other";
}

/**
 * The report section on the compared models: what each is, how far its training got, and how well it
 * answers each query set (greedy completions graded against the world's gold answers).
 *
 * When no setup has a training record (models brought by the user, e.g. Hugging Face checkpoints), the
 * section is titled "The models" and leaves out the columns only a proxy trained here has.
 *
 * @param proxies One view per setup, in manifest order.
 * @returns The section.
 */
export function proxiesSection(proxies: ProxyView[]): Section {
  const sets = [...new Set(proxies.flatMap((p) => Object.keys(p.accuracy)))];
  const ownModels = proxies.every((p) => p.trainingData === "unknown" && p.step === null);
  const blocks: Block[] = [
    ownModels ? ownModelsTable(proxies) : {
      kind: "table",
      caption: "The models compared. Steps and loss come from the checkpoint's training record; arithmetic " +
        "drills are the share of drill sheets added to the training documents (training.arithmeticDrills).",
      columns: [
        { label: "setup", align: "left" },
        { label: "parameters", format: { style: "integer" } },
        { label: "status", align: "left" },
        { label: "trained on", align: "left" },
        { label: "arithmetic drills", align: "left" },
        { label: "steps", align: "left" },
        { label: "loss (nats/token)", format: { style: "fixed", digits: 3 } },
        { label: "training time (h)", format: { style: "fixed", digits: 2 } },
        { label: "weights sha256", align: "left" },
      ],
      rows: proxies.map((p) => [
        p.name,
        p.parameterCount,
        p.status,
        p.trainingData === "this run"
          ? "this run's documents"
          : p.trainingData === "other"
          ? "OTHER documents"
          : "unknown (no training.json)",
        p.drills === null ? "" : p.drills === 0 ? "none" : `${+(100 * p.drills).toFixed(1)}%`,
        p.step === null ? "" : `${p.step} / ${p.steps}`,
        p.loss,
        p.wallSeconds === null ? null : p.wallSeconds / 3600,
        p.checkpointSha256.slice(0, 16),
      ]),
    },
    {
      kind: "table",
      caption:
        "Accuracy of greedy completions per query set (final number, or the gold text for factual sets).",
      columns: [{ label: "query set", align: "left" }, ...proxies.map((p) => ({ label: p.name }))],
      rows: sets.map((set) => [
        set,
        ...proxies.map((p) => {
          const a = p.accuracy[set];
          return a ? `${a.correct}/${a.total} (${(100 * a.accuracy).toFixed(0)}%)` : "not asked";
        }),
      ]),
    },
    ...proxies.filter((p) => p.trainingData === "other").map((p): Block => ({
      kind: "paragraph",
      text: `Warning: the ${p.name} checkpoint was trained on other documents than this run's (its ` +
        "training.json names another tokenize key: another world or tokenizer). Its influence scores rank " +
        "documents it did not learn from; retrain it with deno task train, or point the setup at weights " +
        "trained on this world.",
    })),
    ...stepTable(proxies),
    ...heldOutTable(proxies),
    {
      kind: "chart",
      id: "proxies-accuracy",
      title: "Accuracy per query set",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: 360,
        height: 180,
        data: {
          values: proxies.flatMap((p) =>
            Object.entries(p.accuracy).map(([set, a]) => ({ setup: p.name, set, accuracy: a.accuracy }))
          ),
        },
        mark: "bar",
        encoding: {
          y: { field: "set", type: "nominal", title: null },
          yOffset: { field: "setup", type: "nominal" },
          x: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" } },
          color: { field: "setup", type: "nominal" },
        },
      },
    },
  ];
  blocks.push(...mentionBlocks(proxies));
  blocks.push(...trainingCharts(proxies));
  for (const p of proxies) {
    if (p.samples.length === 0) continue;
    blocks.push({
      kind: "details",
      summary: `Sample completions of ${p.name}`,
      blocks: p.samples.flatMap((s): Block[] => [
        { kind: "heading", level: 4, text: `${s.set}: ${s.correct ? "right" : "wrong"}` },
        { kind: "code", text: `${s.prompt}\n--- completion ---${s.completion}` },
      ]),
    });
  }
  return { id: "proxies", title: ownModels ? "The models" : "The proxies", blocks };
}

/** The models table when every setup's weights were brought by the user (no training record). */
function ownModelsTable(proxies: ProxyView[]): Block {
  return {
    kind: "table",
    caption: "The models compared, as loaded from their checkpoint folders (no training record: their " +
      "pretraining data is not this run's corpus, so a score ranks documents by how much training on them " +
      "would change a completion, not by how much they did).",
    columns: [
      { label: "setup", align: "left" },
      { label: "parameters", format: { style: "integer" } },
      { label: "weights sha256", align: "left" },
    ],
    rows: proxies.map((p) => [p.name, p.parameterCount, p.checkpointSha256.slice(0, 16)]),
  };
}

/** The table of where reasoning completions break, or nothing when no setup answered a reasoning set. */
function stepTable(proxies: ProxyView[]): Block[] {
  const sets = [...new Set(proxies.flatMap((p) => Object.keys(p.stepDiagnostics)))];
  if (sets.length === 0) return [];
  const share = (n: number, of: number) => `${n}/${of} (${of === 0 ? "–" : (100 * n / of).toFixed(0)}%)`;
  const measures: [string, (d: SetStepDiagnostics) => string][] = [
    ["distinct completions", (d) => `${d.distinctCompletions}/${d.completions}`],
    ["copied the operands", (d) => share(d.operandsCopied, d.completions)],
    ["first step right", (d) => share(d.firstStepRight, d.completions)],
    ["equations right", (d) => share(d.equationsRight, d.equations)],
  ];
  return [{
    kind: "table",
    caption: "Where the reasoning completions break. Distinct completions: few means one chain written " +
      "whatever the query, which by itself can make the queries' influence rankings correlate (finding F1). " +
      "Copied: the first equation has the query's operands " +
      "and operator. First step right: its result is the reference's. Equations right: every `x op y = z` " +
      "the model wrote, checked against the numbers it wrote itself.",
    columns: [
      { label: "query set", align: "left" },
      { label: "measure", align: "left" },
      ...proxies.map((p) => ({ label: p.name })),
    ],
    rows: sets.flatMap((set) =>
      measures.map(([label, show]) => [
        set,
        label,
        ...proxies.map((p) => p.stepDiagnostics[set] ? show(p.stepDiagnostics[set]) : "not asked"),
      ])
    ),
  }];
}

/** The held-out prompts' table, or nothing when no setup's training record graded any. */
function heldOutTable(proxies: ProxyView[]): Block[] {
  const withHeld = proxies.filter((p) => p.heldOut !== null);
  if (withHeld.length === 0) return [];
  const sets = [...new Set(withHeld.flatMap((p) => Object.keys(p.heldOut!.accuracy)))];
  return [{
    kind: "table",
    caption:
      "Held-out prompts: fresh operands in the query sets' templates and operand ranges, in no query " +
      "and no training document, graded by deno task train at the step shown (from the training record). " +
      "Accuracy here, unlike on the 20 committed queries, cannot come from recalling a query's chain.",
    columns: [
      { label: "query set", align: "left" },
      { label: "measure", align: "left" },
      ...withHeld.map((p) => ({ label: `${p.name} (step ${p.heldOut!.step})` })),
    ],
    rows: sets.flatMap((set) =>
      [
        ["accuracy", (h: HeldOutView) => {
          const a = h.accuracy[set];
          return a ? `${a.correct}/${a.total} (${(100 * a.accuracy).toFixed(0)}%)` : "not asked";
        }],
        ["distinct completions", (h: HeldOutView) => {
          const d = h.stepDiagnostics[set];
          return d ? `${d.distinctCompletions}/${d.completions}` : "not asked";
        }],
      ].map(([label, show]) => [
        set,
        label as string,
        ...withHeld.map((p) => (show as (h: HeldOutView) => string)(p.heldOut!)),
      ])
    ),
  }];
}

/** The teacher-forced recall table, for the setups whose training record has it. */
function recallBlocks(proxies: ProxyView[], counts: string[]): Block[] {
  const withRecall = proxies.filter((p) => p.recall);
  if (withRecall.length === 0) return [];
  const nats = (v: number) => v.toFixed(2);
  return [{
    kind: "table",
    caption: "What the proxies recall of the same facts, teacher-forced, at the latest graded step of " +
      "training: mean log p of the fact's value given the question and the reference answer up to the value, " +
      "and of the whole reference answer (nats; 0 is certain). Greedy accuracy also needs the model to open " +
      "its answer as the reference does; the value's log-probability shows whether the fact itself is known.",
    columns: [
      { label: "mentions", align: "left" },
      ...withRecall.flatMap((p) => [
        { label: `${p.name} value (step ${p.recall!.step})` },
        { label: `${p.name} answer` },
      ]),
    ],
    rows: counts.map((c) => [
      c,
      ...withRecall.flatMap((p) => {
        const r = p.recall!.byMentions[c];
        return r ? [nats(r.value), nats(r.answer)] : ["–", "–"];
      }),
    ]),
  }];
}

/**
 * A training record's latest teacher-forced recall of the facts (the final record's, else the last
 * evaluation's that has one).
 *
 * @param record A checkpoint folder's training.json, or null.
 * @returns The step and the recall per mention count, or null when the record has none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recallOf } from "./proxies_section.ts";
 * const r = { 8: { queries: 2, value: -0.5, answer: -3 } };
 * assert.deepEqual(recallOf({ evaluations: [{ step: 400, factualRecall: r }, { step: 600 }] }), { step: 400, byMentions: r });
 * assert.deepEqual(recallOf({ step: 900, factualRecall: r, evaluations: [] }), { step: 900, byMentions: r });
 * assert.equal(recallOf(null), null);
 * ```
 */
export function recallOf(record: Record<string, unknown> | null): RecallView | null {
  const isRecall = (x: unknown): x is RecallView["byMentions"] => typeof x === "object" && x !== null;
  if (isRecall(record?.factualRecall) && typeof record.step === "number") {
    return { step: record.step, byMentions: record.factualRecall };
  }
  const evaluations = Array.isArray(record?.evaluations)
    ? record.evaluations as Record<string, unknown>[]
    : [];
  const last = evaluations.filter((e) => typeof e?.step === "number" && isRecall(e.factualRecall)).at(-1);
  return last
    ? { step: last.step as number, byMentions: last.factualRecall as RecallView["byMentions"] }
    : null;
}

/** Factual accuracy by a fact's mention count: a table and a chart, or nothing without factual queries. */
function mentionBlocks(proxies: ProxyView[]): Block[] {
  const counts = [...new Set(proxies.flatMap((p) => Object.keys(p.factualByMentions)))]
    .sort((a, b) => Number(a) - Number(b));
  if (counts.length === 0) return [];
  const cell = (v: { correct: number; total: number } | undefined) =>
    v ? `${v.correct}/${v.total} (${(100 * v.correct / v.total).toFixed(0)}%)` : "–";
  return [
    {
      kind: "table",
      caption:
        "Factual queries answered right, by how many pretraining documents state the fact (its mention " +
        "count over everything the proxy trained on). Real models know a fact better the more often it " +
        "occurs in pretraining; facts with no mention cannot be known, so they must come out wrong.",
      columns: [{ label: "mentions", align: "left" }, ...proxies.map((p) => ({ label: p.name }))],
      rows: counts.map((c) => [c, ...proxies.map((p) => cell(p.factualByMentions[c]))]),
    },
    ...recallBlocks(proxies, counts),
    {
      kind: "chart",
      id: "proxies-factual-mentions",
      title: "Factual accuracy by mention count",
      caption: "Share of factual queries answered right per mention count of the asked fact (log scale; a " +
        "fact with no mention is drawn at 0.5).",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: 360,
        height: 180,
        data: {
          values: proxies.flatMap((p) =>
            Object.entries(p.factualByMentions).map(([c, v]) => ({
              setup: p.name,
              mentions: Number(c) === 0 ? 0.5 : Number(c),
              accuracy: v.correct / v.total,
              asked: v.total,
            }))
          ),
        },
        mark: { type: "line", point: true },
        encoding: {
          x: {
            field: "mentions",
            type: "quantitative",
            scale: { type: "log" },
            title: "mentions in pretraining",
          },
          y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" } },
          color: { field: "setup", type: "nominal" },
        },
      },
    },
  ];
}

/**
 * The latest held-out evaluation of a training record: its final `heldOut`, else its last evaluation
 * that graded held-out prompts.
 *
 * @param record A checkpoint folder's training.json, or null.
 * @returns The view, or null when the record graded no held-out prompts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldOutOf } from "./proxies_section.ts";
 * const a = { slopes: { correct: 3, total: 40, accuracy: 0.075 } };
 * const d = { slopes: { completions: 40, distinctCompletions: 31 } };
 * assert.deepEqual(
 *   heldOutOf({ step: 600, evaluations: [{ step: 500, heldOut: { accuracy: a, steps: d } }] }),
 *   { step: 500, accuracy: a, stepDiagnostics: d },
 * );
 * assert.equal(heldOutOf({ evaluations: [{ step: 500 }] }), null);
 * assert.equal(heldOutOf(null), null);
 * ```
 */
export function heldOutOf(record: Record<string, unknown> | null): HeldOutView | null {
  const final = record?.heldOut as { accuracy?: unknown; stepDiagnostics?: unknown } | undefined;
  if (final && typeof final.accuracy === "object" && typeof record?.step === "number") {
    return {
      step: record.step,
      accuracy: final.accuracy as HeldOutView["accuracy"],
      stepDiagnostics: (final.stepDiagnostics ?? {}) as HeldOutView["stepDiagnostics"],
    };
  }
  const evaluations = Array.isArray(record?.evaluations)
    ? record.evaluations as Record<string, unknown>[]
    : [];
  const last = evaluations.filter((e) =>
    typeof e?.step === "number" && typeof e.heldOut === "object" && e.heldOut
  )
    .at(-1);
  if (!last) return null;
  const held = last.heldOut as { accuracy: HeldOutView["accuracy"]; steps?: HeldOutView["stepDiagnostics"] };
  return { step: last.step as number, accuracy: held.accuracy, stepDiagnostics: held.steps ?? {} };
}

/** Loss and accuracy over training, for the setups whose training record has them. */
function trainingCharts(proxies: ProxyView[]): Block[] {
  const blocks: Block[] = [];
  const losses = proxies.flatMap((p) => p.lossCurve.map(({ step, loss }) => ({ setup: p.name, step, loss })));
  if (losses.length > 0) {
    blocks.push({
      kind: "chart",
      id: "proxies-loss",
      title: "Training loss",
      caption: "Mean next-token loss over each logged window of steps (nats per token; log scale).",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        width: 360,
        height: 180,
        data: { values: losses },
        mark: { type: "line" },
        encoding: {
          x: { field: "step", type: "quantitative" },
          y: { field: "loss", type: "quantitative", scale: { type: "log" }, title: "loss (nats/token)" },
          color: { field: "setup", type: "nominal" },
        },
      },
    });
  }
  const graded = proxies.flatMap((p) =>
    p.evaluations.flatMap(({ step, accuracy }) =>
      Object.entries(accuracy).map(([set, value]) => ({ setup: p.name, set, step, accuracy: value }))
    )
  );
  if (graded.length > 0) {
    blocks.push({
      kind: "chart",
      id: "proxies-learning-curve",
      title: "Accuracy per query set during training",
      caption: "Greedy completions graded at the training checkpoints (deno task train's evaluations), one " +
        "panel per setup.",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: { values: graded },
        facet: { column: { field: "setup", type: "nominal", title: null } },
        spec: {
          width: 240,
          height: 160,
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "step", type: "quantitative" },
            y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" } },
            color: { field: "set", type: "nominal" },
          },
        },
      },
    });
  }
  return blocks;
}

/**
 * The loss curve and graded checkpoints of a training record as the report shows them.
 *
 * @param record A checkpoint folder's training.json (with `record.lossCurve` and `evaluations`), the
 * model stage's `{ status, record }` of a proxy trained in the run, or null.
 * @returns The curve and the accuracies per set (fractions), empty where the record has none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingCurves } from "./proxies_section.ts";
 * const c = trainingCurves({
 *   record: { lossCurve: [{ step: 20, loss: 4.1 }] },
 *   evaluations: [{ step: 1000, accuracy: { slopes: { correct: 1, total: 20, accuracy: 0.05 } } }],
 * });
 * assert.deepEqual(c, { lossCurve: [{ step: 20, loss: 4.1 }], evaluations: [{ step: 1000, accuracy: { slopes: 0.05 } }] });
 * assert.deepEqual(trainingCurves(null), { lossCurve: [], evaluations: [] });
 * ```
 */
export function trainingCurves(
  record: Record<string, unknown> | null,
): Pick<ProxyView, "lossCurve" | "evaluations"> {
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const inner = record?.record as { lossCurve?: unknown } | undefined;
  const lossCurve = Array.isArray(inner?.lossCurve)
    ? (inner.lossCurve as { step?: unknown; loss?: unknown }[])
      .filter((p) => isNumber(p?.step) && isNumber(p?.loss))
      .map((p) => ({ step: p.step as number, loss: p.loss as number }))
    : [];
  const raw = Array.isArray(record?.evaluations) ? record.evaluations as Record<string, unknown>[] : [];
  const evaluations = raw.filter((e) => isNumber(e?.step) && typeof e.accuracy === "object" && e.accuracy)
    .map((e) => ({
      step: e.step as number,
      accuracy: Object.fromEntries(
        Object.entries(e.accuracy as Record<string, { accuracy?: unknown }>)
          .filter(([, a]) => isNumber(a?.accuracy))
          .map(([set, a]) => [set, a.accuracy as number]),
      ),
    }));
  return { lossCurve, evaluations };
}
