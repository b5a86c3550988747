import type { Block, Section } from "../render/mod.ts";
import { formatNumber } from "../render/format_number.ts";

/** A mean over queries with its bootstrap interval (nats, or a correlation for the LDS). */
export interface IntervalView {
  mean: number;
  low: number;
  high: number;
}

/** One setup's counterfactual checks, as the counterfactual stage wrote them (`counterfactual.json`). */
export interface CounterfactualView {
  setup: string;
  /** null: the manifest has no `counterfactual` block. */
  settings:
    | { protocol: "gradient" | "pbrf"; lr: number; steps: number; epsilon: number; iterations: number }
    | null;
  k: number;
  queries: string[];
  strategy: string;
  arms: Record<string, IntervalView>;
  bySet: Record<string, Record<string, IntervalView>>;
  /** One per sampled query and arm (null: not a finite number). */
  points: {
    query: string;
    set: string;
    arm: string;
    measured: number | null;
    predicted: number | null;
    identity: number | null;
  }[];
  lds: Record<string, IntervalView & { subsets: number }>;
  linearity: number | null;
  pbrf: { maxResidual: number } | null;
}

const ARMS = ["topk", "random", "bottomk", "identity", "lexical"];
const ARM_LABELS: Record<string, string> = {
  topk: "top-k (scores)",
  random: "random-k",
  bottomk: "bottom-k (scores)",
  identity: "top-k (gradient dot product)",
  lexical: "top-k (BM25)",
};
/** The strategies the LDS compares, in the report's order. */
export const LDS_STRATEGIES = ["ekfac", "kfac", "diagonal", "identity"] as const;

/** NaN is written to report.json as null: both read as "no value". */
const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);
const interval = (v: IntervalView | undefined) =>
  v === undefined || !finite(v.mean)
    ? "–"
    : finite(v.low) && finite(v.high)
    ? `${formatNumber(v.mean)} [${formatNumber(v.low)}, ${formatNumber(v.high)}]`
    : formatNumber(v.mean);

/** What the top-k comparison says, in plain words, for one setup. */
function armsVerdict(v: CounterfactualView): string {
  const a = v.arms;
  const above = (x: string, y: string) => finite(a[x].low) && finite(a[y].high) && a[x].low > a[y].high;
  const parts = [
    above("topk", "random")
      ? "the top-k documents raised log p(completion) more than random ones (intervals apart)"
      : a.topk.mean > a.random.mean
      ? "the top-k documents raised log p(completion) more than random ones on average, with overlapping intervals"
      : "the top-k documents did **not** raise log p(completion) more than random ones",
    above("random", "bottomk")
      ? "the bottom-k lowered it below random"
      : "the bottom-k did not clearly lower it below random",
    a.topk.mean >= a.identity.mean
      ? `the ${v.strategy} top-k moved it at least as much as the gradient dot product's top-k`
      : `the gradient dot product's top-k moved it more than the ${v.strategy} top-k`,
    a.topk.mean >= a.lexical.mean ? "and more than the BM25 top-k" : "but the BM25 top-k moved it more",
  ];
  return `${v.setup}: ${parts.join("; ")}.`;
}

/**
 * The "Counterfactual checks" section: per setup, the change of log p(completion | prompt) after
 * fine-tuning on each sampled query's top, random and bottom documents and the controls' top
 * documents, the LDS per strategy, a predicted-against-measured chart, and what it means for trusting
 * the findings. Empty (no section) when no setup ran the checks.
 *
 * @param views One per setup.
 * @returns The section, or null when the checks did not run.
 */
export function counterfactualSection(views: readonly CounterfactualView[]): Section | null {
  const ran = views.filter((v) => v.settings !== null && v.queries.length > 0);
  if (ran.length === 0) return null;
  const protocol = ran[0].settings!;
  const gradient = protocol.protocol === "gradient";
  const blocks: Block[] = [
    {
      kind: "paragraph",
      text: "An influence score predicts that training on document x changes log p(completion | prompt) by " +
        "about its score. Here that prediction is tested: from each proxy's final weights, a short fine-tune " +
        "of the tracked MLP weights on a query's k top-scored documents, on k random ones, on its k " +
        "bottom-scored ones, and on the top k of the two controls (gradient dot product, BM25), then the " +
        "change of the query's log p(completion | prompt) is measured. " +
        (gradient
          ? `Protocol: ${protocol.steps} plain gradient step(s) of lr = ${protocol.lr} on the documents' summed ` +
            "loss, which moves f by lr × the summed gradient dot products to first order."
          : `Protocol: the proximal Bregman response (KL to the final model + ε × the documents' loss + the ` +
            `damping), ε = ${protocol.epsilon}, ${protocol.iterations} heavy-ball iterations.`),
    },
    {
      kind: "table",
      columns: [
        { label: "setup", align: "left" },
        { label: "k" },
        { label: "queries" },
        ...ARMS.map((arm) => ({ label: `Δ log p, ${ARM_LABELS[arm]}`, align: "right" as const })),
      ],
      rows: ran.map((v) => [v.setup, v.k, v.queries.length, ...ARMS.map((arm) => interval(v.arms[arm]))]),
      caption:
        "Mean change of log p(completion | prompt) over the sampled queries, nats, with a 95% bootstrap " +
        "interval over queries. Random-k: the mean over every random fine-tune.",
    },
    {
      kind: "table",
      columns: [
        { label: "setup", align: "left" },
        { label: "set", align: "left" },
        ...ARMS.map((arm) => ({ label: ARM_LABELS[arm], align: "right" as const })),
      ],
      rows: ran.flatMap((v) =>
        Object.entries(v.bySet).map((
          [set, arms],
        ) => [v.setup, set, ...ARMS.map((arm) => interval(arms[arm]))])
      ),
      caption: "The same per query set (nats).",
    },
    {
      kind: "table",
      columns: [
        { label: "setup", align: "left" },
        ...LDS_STRATEGIES.map((s) => ({ label: `LDS ${s}`, align: "right" as const })),
        { label: "subsets" },
      ],
      rows: ran.map((v) => [
        v.setup,
        ...LDS_STRATEGIES.map((s) => interval(v.lds[s])),
        v.lds.ekfac?.subsets ?? null,
      ]),
      caption: "Linear datamodeling score: per query, the Spearman correlation across random subsets of a " +
        "pool of scored documents between the summed scores of a subset and the measured change after " +
        "fine-tuning on it; mean over queries with a 95% bootstrap interval.",
    },
    {
      kind: "chart",
      id: "counterfactual-predicted-measured",
      title: "Predicted against measured change of log p(completion | prompt)",
      caption: `Each point: one sampled query and one of its fine-tunes. Predicted: ${
        gradient ? "lr × the summed gradient dot products (the first-order change)" : "ε × the summed scores"
      }. On the diagonal the prediction is exact.`,
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        data: {
          values: ran.flatMap((v) =>
            v.points.map((p) => ({
              setup: v.setup,
              arm: ARM_LABELS[p.arm],
              predicted: gradient ? p.identity : p.predicted,
              measured: p.measured,
            }))
          ),
        },
        facet: { column: { field: "setup", type: "nominal", title: null } },
        resolve: { scale: { x: "independent", y: "independent" } },
        spec: {
          width: 260,
          height: 220,
          mark: { type: "point", filled: true },
          encoding: {
            x: { field: "predicted", type: "quantitative", title: "predicted Δ (nats)" },
            y: { field: "measured", type: "quantitative", title: "measured Δ (nats)" },
            color: { field: "arm", type: "nominal", title: null },
          },
        },
      },
    },
    {
      kind: "paragraph",
      text: ran.map(armsVerdict).join(" "),
    },
    {
      kind: "note",
      tone: gradient ? "warning" : "info",
      text: gradient
        ? "What this means: with one small gradient step the measured change is, to first order, lr × the " +
          "gradient dot product, so this protocol checks the scores' **sign and ranking against real " +
          "training** (top above random above bottom) but ranks the identity strategy first in the LDS by " +
          "construction; it cannot show that EK-FAC's curvature helps. Where top-k does not beat random-k, " +
          "the findings that rest on the top documents (F3–F5) rank documents that training does not " +
          'single out. Comparing strategies needs the `pbrf` protocol (docs/method.md, "Counterfactual ' +
          'checks").'
        : "What this means: the PBRF is the response that damped influence functions approximate; a higher " +
          "LDS means the strategy's scores rank the measured effect of training subsets better, so the " +
          "findings' document rankings can be trusted in proportion.",
    },
  ];
  if (gradient) {
    const linear = ran.map((v) => `${v.setup} ${v.linearity === null ? "–" : formatNumber(v.linearity)}`);
    blocks.push({
      kind: "paragraph",
      text: `Linearity check (median measured ÷ first-order prediction, 1 in the linear regime): ${
        linear.join(", ")
      }.`,
    });
  }
  return { id: "counterfactual", title: "Counterfactual checks", blocks };
}
