/**
 * Several matrices of query rows scored in one pass over the documents: stacked for the products,
 * split again per matrix.
 *
 * @module
 */

import type { TrackedLayer } from "../tracked_layers.ts";
import type { ModuleSource } from "./module_groups.ts";
import type { ScoreChunk } from "./score_documents.ts";

/** One matrix of query rows of `InfluencePipeline.scoreMatrices`. */
export interface QueryMatrix {
  /**
   * Rows per tracked layer, F32 [rows, out, in] row-major (preconditioned, or raw for the identity):
   * resident, or loaded one module group at a time.
   */
  p: ModuleSource<Float32Array>;
  /** Number of rows (0 allowed). */
  rows: number;
  /** Whether to keep this matrix's per-layer scores (default true; false: `perLayer` is empty). */
  perLayer?: boolean;
}

/**
 * The matrices' rows stacked in order, per tracked layer.
 *
 * @param op The caller, for errors.
 * @param layers The tracked layers.
 * @param matrices The matrices, their rows resident.
 * @returns Rows per layer, F32 [Σ rows, out, in], and Σ rows.
 * @throws {RangeError} When there is no matrix, or a matrix lacks a layer or has the wrong size.
 */
export function stackMatrices(
  op: string,
  layers: readonly TrackedLayer[],
  matrices: readonly (QueryMatrix & { p: ReadonlyMap<string, Float32Array> })[],
): { p: Map<string, Float32Array>; rows: number } {
  if (matrices.length === 0) throw new RangeError(`${op}: expected at least one query matrix, found none`);
  const rows = matrices.reduce((n, m) => n + m.rows, 0);
  const p = new Map<string, Float32Array>();
  for (const { name, outDim, inDim } of layers) {
    const size = outDim * inDim;
    const out = new Float32Array(rows * size);
    let offset = 0;
    matrices.forEach((m, i) => {
      const data = m.p.get(name);
      if (!Number.isSafeInteger(m.rows) || m.rows < 0) {
        throw new RangeError(`${op}: matrix ${i}: rows must be a non-negative integer, found ${m.rows}`);
      }
      if (data === undefined || data.length !== m.rows * size) {
        throw new RangeError(
          `${op}: matrix ${i}, layer ${name}: expected ${
            m.rows * size
          } floats ([${m.rows}, ${outDim}, ${inDim}]), found ${data?.length ?? "none"}`,
        );
      }
      out.set(data, offset);
      offset += data.length;
    });
    p.set(name, out);
  }
  return { p, rows };
}

/**
 * The matrices' rows of some layers (one module group), loaded where a matrix loads its rows, stacked
 * in order ({@linkcode stackMatrices}).
 *
 * @param op The caller, for errors.
 * @param layers The layers wanted.
 * @param matrices The matrices.
 * @returns Rows per layer, F32 [Σ rows, out, in], and Σ rows.
 * @throws {RangeError} As {@linkcode stackMatrices}.
 */
export async function stackLoaded(
  op: string,
  layers: readonly TrackedLayer[],
  matrices: readonly QueryMatrix[],
): Promise<{ p: Map<string, Float32Array>; rows: number }> {
  const names = layers.map((l) => l.name);
  const loaded = await Promise.all(
    matrices.map(async (m) => ({ ...m, p: typeof m.p === "function" ? await m.p(names) : m.p })),
  );
  return stackMatrices(op, layers, loaded);
}

/**
 * One scored chunk of stacked rows split into each matrix's chunk.
 *
 * @param chunk Scores of the stacked rows, [Σ rows, count].
 * @param matrices The matrices, in stacking order.
 * @param count Documents in the chunk.
 * @returns One chunk per matrix (its rows' scores; per-layer scores when kept; the shared norms).
 */
export function splitChunk(chunk: ScoreChunk, matrices: readonly QueryMatrix[], count: number): ScoreChunk[] {
  let first = 0;
  return matrices.map((m) => {
    const [from, to] = [first * count, (first + m.rows) * count];
    first += m.rows;
    return {
      scores: chunk.scores.slice(from, to),
      perLayer: m.perLayer === false ? [] : chunk.perLayer.map((l) => l.slice(from, to)),
      norms: chunk.norms.slice(),
    };
  });
}
