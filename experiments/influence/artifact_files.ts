/**
 * Schemas of the JSON files stages read from other stages' artifacts (`queries.json` of
 * query_gradients, `scores.json` of scores, `controls.json` of controls, the `layers` metadata of
 * `factors.safetensors`), and the reader that checks them: a file that is not what its writer writes
 * stops with one line naming the file, the field, what was expected and what was found.
 *
 * @module
 */

import { z } from "zod";
import { formatIssue } from "../manifest/format_issue.ts";
import type { ControlsFile } from "../stages/controls_stage.ts";
import type { QueriesFile } from "../stages/query_gradients_stage.ts";

const ids = z.array(z.string());
const numbers = z.array(z.number());
const count = z.number().int().min(0);
const layer = z.object({ name: z.string().min(1), outDim: count, inDim: count });

/**
 * Adds an issue for each array (by path) whose length differs from the `rows` entries of `rowsKey`.
 */
function sameLength(
  ctx: z.RefinementCtx,
  rowsKey: string,
  rows: number,
  arrays: [(string | number)[], readonly unknown[] | undefined][],
): void {
  for (const [path, value] of arrays) {
    if (value !== undefined && value.length !== rows) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `must have one entry per ${rowsKey} entry (${rows}), got ${value.length}`,
      });
    }
  }
}

const selectionObject = z.object({
  pool: count,
  right: count,
  wrong: count,
  keptRight: count,
  keptWrong: count,
  paperDraw: z.boolean(),
  balanced: z.boolean(),
  chosen: ids,
});

const queriesObject = z.object({
  ids,
  sets: ids,
  nats: numbers,
  correct: z.array(z.boolean()),
  measurement: z.array(z.enum(["own", "gold"])),
  completionTokens: z.array(count),
  selection: selectionObject,
  strategy: z.enum(["ekfac", "kfac", "diagonal", "identity"]),
  damping: z.record(z.string(), z.number()),
  queryRank: z.number().int().positive().nullable(),
  layers: z.array(layer),
  rawGradients: z.boolean().optional(),
  rawRows: count.optional(),
});

/** `queries.json` of the query_gradients stage. */
export const queriesFileSchema: z.ZodType<QueriesFile> = queriesObject.superRefine((f, ctx) =>
  sameLength(ctx, "ids", f.ids.length, [
    [["sets"], f.sets],
    [["nats"], f.nats],
    [["correct"], f.correct],
    [["measurement"], f.measurement],
    [["completionTokens"], f.completionTokens],
  ])
);

const scoresObject = z.looseObject({
  queries: ids,
  sets: ids,
  measurement: z.array(z.enum(["own", "gold"])).optional(),
  correct: z.array(z.boolean()).optional(),
  nats: numbers,
  documents: ids,
  damping: z.record(z.string(), z.number()).optional(),
  layers: z.array(layer).optional(),
  controls: ids.optional(),
});

/** `scores.json` of the scores stage, as its readers take it (other fields, e.g. the influence settings, kept unchecked). */
export type ScoresFile = z.output<typeof scoresObject>;

/** `scores.json` of the scores stage. */
export const scoresFileSchema: z.ZodType<ScoresFile> = scoresObject.superRefine((f, ctx) =>
  sameLength(ctx, "queries", f.queries.length, [
    [["sets"], f.sets],
    [["measurement"], f.measurement],
    [["correct"], f.correct],
    [["nats"], f.nats],
  ])
);

const controlsObject = z.object({
  queries: ids,
  documents: ids,
  lexical: z.object({ k1: z.number(), b: z.number(), terms: z.string() }),
  untrained: z.object({ strategy: z.literal("identity"), seed: z.number().int(), nats: numbers }),
});

/** `controls.json` of the controls stage. */
export const controlsFileSchema: z.ZodType<ControlsFile> = controlsObject.superRefine((f, ctx) =>
  sameLength(ctx, "queries", f.queries.length, [[["untrained", "nats"], f.untrained.nats]])
);

/** Tracked layers as files record them: name and [out, in] (other fields not checked). */
export const layerShapesSchema = z.array(layer);

const accuracy = z.object({ sweeps: count, orthogonalityError: z.number(), reconstructionError: z.number() });

/** One entry of the `layers` metadata of `factors.safetensors` (`encodeFactors`). */
export const factorLayerSchema = layer.extend({
  tokens: count,
  sequences: count,
  lambdaSequences: count,
  blocks: z.union([z.literal(1), z.literal(2), z.literal(4)]).optional(),
  accuracy: z.object({ a: accuracy, s: accuracy }),
});

/** The `layers` metadata of `factors.safetensors`. */
export const factorLayersSchema = z.array(factorLayerSchema);

/** A factors file's layer entry. */
export type FactorLayer = z.output<typeof factorLayerSchema>;

/**
 * Parses JSON text of an artifact file and checks it against its schema.
 *
 * @param path The file (or `file#field` for JSON inside a file), for the message.
 * @param text Its text.
 * @param schema What it must be.
 * @returns The checked value.
 * @throws {Error} One line: `Cannot read "<path>": <field> must be …, got …` (or: not JSON).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArtifactJson, scoresFileSchema } from "./artifact_files.ts";
 * assert.throws(
 *   () => parseArtifactJson("scores.json", '{"queries": ["q"], "sets": ["a"], "nats": [1], "documents": 3}', scoresFileSchema),
 *   { message: 'Cannot read "scores.json": documents must be an array, got 3' },
 * );
 * ```
 */
export function parseArtifactJson<T>(path: string, text: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot read "${path}": not JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const line = issue.code === "custom"
    ? `${issue.path.map(String).join(".")} ${issue.message}`
    : formatIssue(issue, raw)[0];
  throw new Error(`Cannot read "${path}": ${line}`);
}

/**
 * Reads an artifact's JSON file and checks it against its schema.
 *
 * @param path The file.
 * @param schema What it must be.
 * @returns The checked value.
 * @throws {Error} One line naming the file and the field (see {@linkcode parseArtifactJson}).
 */
export async function readArtifactJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  return parseArtifactJson(path, await Deno.readTextFile(path), schema);
}
