import { join } from "node:path";
import { readSafetensors } from "../../engine/io/mod.ts";
import type { Query, QuerySet } from "../../fixtures/world/mod.ts";
import { procedureOfSet } from "../../reports/analyses/procedure_of_set.ts";
import type { QueryGroup, UserCorpus } from "../../reports/findings/findings_input.ts";
import type { CorpusSettings } from "../schema/manifest_schema.ts";
import { groupOfQuery, type UserQuery } from "./corpus_world.ts";
import type { GradedCompletion } from "../../reports/analyses/applicability.ts";
import {
  computeControlFindings,
  type ControlName,
  type Findings,
} from "../../reports/findings/compute_findings.ts";
import { computeFindingsParallel } from "../../reports/findings/parallel_findings.ts";
import { findingRows } from "../../reports/findings/findings_table.ts";
import type { SetupScores } from "../../reports/findings/findings_input.ts";
import { readCompletions } from "../influence/select_queries.ts";
import type { StageContext, StageDef } from "../run/stage.ts";
import { readWorldArtifact } from "./world_stage.ts";
import { controlsFileSchema, readArtifactJson, scoresFileSchema } from "../influence/artifact_files.ts";

/**
 * Reads one setup's scores for the findings: the raw and per-nat matrices and the rows measured with
 * the model's own completion (gold rows are for the planted-fact check only).
 *
 * @param dir The scores artifact folder.
 * @param setup Setup name.
 * @param queries The world's queries by id.
 * @param completions The setup's graded completions (the complete stage's `completions.jsonl`; the
 *   applicability gates need them, the query pages do not).
 * @returns The scores as the findings take them, and the document ids in column order.
 */
export async function readSetupScores(
  dir: string,
  setup: string,
  queries: ReadonlyMap<string, Query>,
  completions: readonly GradedCompletion[] = [],
): Promise<SetupScores & { documentIds: string[] }> {
  const meta = await readArtifactJson(join(dir, "scores.json"), scoresFileSchema);
  const tensors = readSafetensors(await Deno.readFile(join(dir, "scores.safetensors"))).tensors;
  const matrix = (name: string) => {
    const t = tensors.get(name);
    if (t?.dtype !== "F32") throw new Error(`${dir}: scores.safetensors lacks F32 "${name}"`);
    return t.data as Float32Array;
  };
  const own = meta.queries.flatMap((id, row) => {
    if ((meta.measurement?.[row] ?? "own") !== "own") return [];
    const query = queries.get(id);
    if (!query) throw new Error(`${dir}: query ${id} is not in the world`);
    return [{ row, query, correct: meta.correct?.[row] ?? false }];
  });
  return {
    setup,
    documents: meta.documents.length,
    scores: matrix("scores"),
    perNat: matrix("per_nat"),
    ...(tensors.has("norm_normalised") ? { normalised: matrix("norm_normalised") } : {}),
    queries: own,
    completions: completions.map(({ id, set, completion, correct }) => ({ id, set, completion, correct })),
    documentIds: meta.documents,
  };
}

/**
 * Stage `analyses`: measures the findings F1-F5 (docs/method.md) on every setup's scores and across the
 * first and last setup, with bootstrap intervals, tests over queries and effect sizes, and each setup's
 * applicability gates from its graded completions. Writes `findings.json` ({@linkcode Findings}).
 */
export const analysesStage: StageDef = {
  name: "analyses",
  version: 3,
  perSetup: false,
  deps: ["world", "complete", "scores", "controls"],
  // A corpus of one's own adds what it allows the findings (the synthetic world's key is unchanged).
  settings: (m) => ({
    analyses: m.analyses,
    seed: m.seed,
    ...(m.corpus === undefined
      ? {}
      : { corpus: { procedureKeywords: Object.keys(m.corpus.procedureKeywords ?? {}), availability: 1 } }),
  }),
  async run(ctx) {
    const findings = await measure(ctx);
    await Deno.writeTextFile(
      join(ctx.outDir, "findings.json"),
      JSON.stringify(findings, keepNonFinite) + "\n",
    );
    return {
      setups: findings.setups.map((s) => s.setup),
      // Per finding, the overall verdict with the gates applied, e.g. "reproduced (35B only; 7B not applicable)".
      verdicts: Object.fromEntries(findingRows(findings).map((r) => [r.id, r.verdictText])),
    };
  },
};

async function measure(ctx: StageContext): Promise<Findings> {
  const world = await readWorldArtifact(ctx.inputs.world.dir);
  const queries = new Map(world.queries.map((q) => [q.id, q]));
  const setups = ctx.manifest.setups.filter((s) => ctx.inputs[`scores@${s.name}`]);
  const corpus = ctx.manifest.corpus === undefined
    ? undefined
    : userCorpus(ctx.manifest.corpus, world.queries);
  const scores = await Promise.all(
    setups.map(async (s) => ({
      ...await readSetupScores(
        ctx.inputs[`scores@${s.name}`].dir,
        s.name,
        queries,
        await readCompletions(join(ctx.inputs[`complete@${s.name}`].dir, "completions.jsonl")),
      ),
      ...(corpus === undefined ? {} : { groups: corpus.groups }),
    })),
  );
  const column = new Map(world.documents.map((d) => [d.id, d]));
  const documents = (scores[0]?.documentIds ?? []).map((id) => {
    const doc = column.get(id);
    if (!doc) throw new Error(`Scored document ${id} is not in the world`);
    return doc;
  });
  const input = {
    setups: scores,
    documents,
    settings: ctx.manifest.analyses,
    seed: ctx.manifest.seed,
    ...(corpus === undefined ? {} : { corpus }),
  };
  // F1's permutation tests on every CPU (the findings do not depend on where they run).
  const findings = await computeFindingsParallel(input, navigator.hardwareConcurrency);
  const controls = await Promise.all(setups.map((s, i) => controlScores(ctx, s.name, scores[i])));
  const available = (["identity", "lexical", "untrained"] as const).filter((c) =>
    controls.every((x) => x[c])
  );
  if (available.length === 0) return findings;
  return {
    ...findings,
    controls: computeControlFindings(
      input,
      Object.fromEntries(available.map((c) => [c, controls.map((x) => x[c]!)])),
    ),
  };
}

/**
 * What the manifest's own corpus allows the findings: each query set's group (the queries' `kind`, or a
 * study set's own), and each reasoning set's `corpus.procedureKeywords` key (a study set's procedure, or
 * the set's own name), null when there is none; and the `corpus.sourceGroups` F5 compares, when given.
 *
 * @param corpus The manifest's `corpus` block.
 * @param queries The world stage's queries (the manifest's own file).
 * @returns The findings' {@linkcode UserCorpus}.
 */
export function userCorpus(corpus: CorpusSettings, queries: readonly Query[]): UserCorpus {
  const keys = Object.keys(corpus.procedureKeywords ?? {});
  const groups: Record<string, QueryGroup> = {};
  for (const q of queries) groups[q.set] = groupOfQuery(q as UserQuery);
  const procedures: Record<string, string | null> = {};
  for (const [set, group] of Object.entries(groups)) {
    if (group !== "reasoning") continue;
    const key = procedureOfSet(set as QuerySet) ?? set;
    procedures[set] = keys.includes(key) ? key : null;
  }
  return { groups, procedures, ...(corpus.sourceGroups ? { sourceGroups: corpus.sourceGroups } : {}) };
}

/**
 * One setup's control score matrices as the findings take them: the same rows, documents and completions
 * as its influence scores, with each control's matrix in place of the scores. Per-nat views divide by the
 * nats of the model that made the matrix (the trained model's for identity, the untrained model's for
 * untrained); BM25 has no nats, so its per-nat view is itself.
 */
async function controlScores(
  ctx: StageContext,
  setup: string,
  influence: SetupScores,
): Promise<Partial<Record<ControlName, SetupScores>>> {
  const out: Partial<Record<ControlName, SetupScores>> = {};
  // The controls' own matrices only: no gradient-norm-normalised view of them.
  const { normalised: _normalised, ...main } = influence;
  const sdir = ctx.inputs[`scores@${setup}`].dir;
  const meta = await readArtifactJson(join(sdir, "scores.json"), scoresFileSchema);
  const identity = readSafetensors(await Deno.readFile(join(sdir, "scores.safetensors"))).tensors.get(
    "identity",
  );
  const perNat = (data: Float32Array, nats: readonly number[]) => {
    const nd = main.documents, out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] / nats[Math.floor(i / nd)];
    return out;
  };
  if (identity?.dtype === "F32") {
    const data = identity.data as Float32Array;
    out.identity = { ...main, scores: data, perNat: perNat(data, meta.nats) };
  }
  const cdir = ctx.inputs[`controls@${setup}`]?.dir;
  if (cdir) {
    const tensors = readSafetensors(await Deno.readFile(join(cdir, "controls.safetensors"))).tensors;
    const file = await readArtifactJson(join(cdir, "controls.json"), controlsFileSchema);
    const lexical = tensors.get("lexical"), untrained = tensors.get("untrained");
    if (lexical?.dtype === "F32") {
      out.lexical = { ...main, scores: lexical.data as Float32Array, perNat: lexical.data as Float32Array };
    }
    if (untrained?.dtype === "F32") {
      const data = untrained.data as Float32Array;
      out.untrained = { ...main, scores: data, perNat: perNat(data, file.untrained.nats) };
    }
  }
  return out;
}

/**
 * Reads the analyses stage's findings back.
 *
 * @param dir The analyses artifact folder.
 * @returns The findings.
 */
export async function readFindings(dir: string): Promise<Findings> {
  return JSON.parse(await Deno.readTextFile(join(dir, "findings.json")), restoreNonFinite);
}

/** JSON has no NaN or ±Infinity: they are written as the strings "NaN", "Infinity", "-Infinity". */
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

function restoreNonFinite(_key: string, value: unknown): unknown {
  return value === "NaN" || value === "Infinity" || value === "-Infinity" ? Number(value) : value;
}
