/**
 * Step 4 of EK-FAC: the damping λ of every tracked layer.
 *
 * @module
 */

import type { DampingSetting, InfluenceStrategy } from "../settings.ts";
import { kfacEigenvalues } from "./kfac_eigenvalues.ts";
import type { PreconditionFactors } from "./precondition_factors.ts";

/**
 * λ per layer. Heuristic: factor × the mean of the strategy's own eigenvalue matrix (as kronfluence):
 * Λ for `ekfac`, D for `diagonal`, (T/N_seq) s_i a_j for `kfac`. Absolute: the value everywhere. The
 * `identity` strategy is undamped (an empty map).
 *
 * @param strategy The preconditioner.
 * @param setting Heuristic or absolute damping.
 * @param factors The fitted factors the strategy reads.
 * @returns λ by weight name.
 * @throws {RangeError} When the factors the strategy needs are missing or the setting is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDamping } from "./resolve_damping.ts";
 * const lambda = new Map([["w", {
 *   name: "w", outDim: 1, inDim: 2, diagonal: new Float64Array([1, 3]), sequences: 1,
 * }]]);
 * const damping = resolveDamping("diagonal", { mode: "heuristic", factor: 0.1 }, { lambda });
 * assert.ok(Math.abs(damping.get("w")! - 0.2) < 1e-15);
 * ```
 */
export function resolveDamping(
  strategy: InfluenceStrategy,
  setting: DampingSetting,
  factors: PreconditionFactors,
): Map<string, number> {
  const amount = setting.mode === "heuristic" ? setting.factor : setting.value;
  if (!(amount >= 0) || !Number.isFinite(amount)) {
    throw new RangeError(
      `resolveDamping(): damping ${setting.mode} must be a finite number ≥ 0, got ${amount}`,
    );
  }
  const damping = new Map<string, number>();
  if (strategy === "identity") return damping;
  const values = eigenvalueMatrices(strategy, factors);
  for (const [name, matrix] of values) {
    damping.set(name, setting.mode === "absolute" ? amount : amount * mean(matrix));
  }
  return damping;
}

/**
 * The eigenvalue matrix, [out, in], the strategy divides by (before damping), per layer.
 *
 * @param strategy `diagonal`, `kfac` or `ekfac`.
 * @param factors The fitted factors.
 * @returns D, (T/N_seq) s_i a_j or Λ by weight name.
 * @throws {RangeError} When the needed factors are missing.
 */
export function eigenvalueMatrices(
  strategy: Exclude<InfluenceStrategy, "identity">,
  factors: PreconditionFactors,
): Map<string, Float64Array> {
  if (strategy === "kfac") {
    if (factors.eigen === undefined) throw new RangeError("kfac needs the eigenbases of A and S");
    return new Map([...factors.eigen].map(([name, basis]) => [name, kfacEigenvalues(basis)]));
  }
  if (factors.lambda === undefined) throw new RangeError(`${strategy} needs the fitted Λ and diagonal`);
  return new Map([...factors.lambda].map(([name, entry]) => {
    const matrix = strategy === "diagonal" ? entry.diagonal : entry.lambda;
    if (matrix === undefined) throw new RangeError(`ekfac needs Λ for ${name}; fit it with its eigenbasis`);
    return [name, matrix];
  }));
}

function mean(values: Float64Array): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
