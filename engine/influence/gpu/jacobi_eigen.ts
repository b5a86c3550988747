/**
 * Eigendecomposition of symmetric matrices on the GPU by the parallel cyclic Jacobi method
 * (round-robin / Brent-Luk ordering, `jacobi_rotate.wgsl`), in f32, with the conventions of the
 * float64 reference `symmetricEigen`: ascending eigenvalues, eigenvectors as columns, each
 * eigenvector's largest-magnitude component (the first such) positive.
 *
 * @module
 */

import type { Gpu } from "../../gpu.ts";
import { jacobiRotate, jacobiStepsPerSweep } from "../../kernels/jacobi_rotate.ts";
import { readTensors, Tensor } from "../../tensor.ts";
import type { SymmetricEigen } from "../cpu/symmetric_eigen.ts";

/** One matrix to decompose. */
export interface JacobiProblem {
  /** A, [n, n] row-major, float64 (symmetrised as (A + Aᵀ)/2 first); not modified. */
  matrix: Float64Array;
  /** The order n. */
  n: number;
  /**
   * Equal diagonal blocks of A (1, 2, 4, …; default 1); every entry outside them must be zero. Each block
   * is decomposed on its own, which is what the full solver would do (a rotation never mixes blocks).
   */
  blocks?: number;
}

/** Options of {@linkcode jacobiEigen}. */
export interface JacobiEigenOptions {
  /**
   * Stop a matrix when its off-diagonal Frobenius norm is at most this times ‖A‖_F (checked after each
   * sweep, in float64 on the read-back matrix); default 1e-7 (f32 resolution).
   */
  tolerance?: number;
  /** Give up (RangeError) after this many sweeps; default 64. */
  maxSweeps?: number;
}

/** A block solved on the GPU: its place in a problem and its power-of-two scale. */
interface Block {
  problem: number;
  offset: number;
  scale: number;
  /** Index in its group's batch. */
  slot: number;
}

/** Blocks of one order, solved together as one batch. */
interface Group {
  n: number;
  blocks: Block[];
  /** The scaled blocks as uploaded, [batch, n, n]. */
  initial: Float32Array;
  a: [Tensor<"f32">, Tensor<"f32">];
  v: [Tensor<"f32">, Tensor<"f32">];
  current: 0 | 1;
  sweeps: number;
}

/**
 * Decomposes every matrix A = Q diag(values) Qᵀ. Blocks of equal order are batched into the same
 * dispatches; every sweep is n − 1 (n even) or n (n odd) dispatches of `jacobi_rotate`, followed by one
 * read-back of all unfinished matrices to test convergence. Each block is scaled by a power of two to
 * max |a| ∈ (0.5, 1] before the f32 solve (exact). The read-back f32 eigenvectors are finished in
 * float64 on the host, O(n³) like the accuracy measures: columns renormalised (undoing the f32 rotations'
 * norm drift), eigenvalues taken as Rayleigh quotients qᵀAq against the float64 input (far more
 * accurate for small eigenvalues than the f32 diagonal), sorted, signs fixed, and ‖QᵀQ − I‖_max and
 * ‖Q diag Qᵀ − A‖_max / ‖A‖_max measured.
 *
 * @param gpu The device.
 * @param problems The matrices.
 * @param options Convergence settings.
 * @returns One result per problem, in order (`sweeps`: sweeps of the slowest block).
 * @throws {RangeError} When a matrix is misshapen, non-finite, not block-diagonal as declared, or does
 *   not converge.
 */
export async function jacobiEigen(
  gpu: Gpu,
  problems: readonly JacobiProblem[],
  options: JacobiEigenOptions = {},
): Promise<SymmetricEigen[]> {
  const tolerance = options.tolerance ?? 1e-7, maxSweeps = options.maxSweeps ?? 64;
  const symmetric = problems.map((problem, i) => symmetrise(problem, i));
  // Per problem: eigenvalues by diagonal position, eigenvector columns by diagonal position.
  const values = problems.map(({ n }) => new Float64Array(n));
  const vectors = problems.map(({ n }) => {
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    return q;
  });
  const sweeps = problems.map(() => 0);
  const groups = new Map<number, { blocks: Block[]; data: Float32Array[] }>();
  problems.forEach(({ n, blocks = 1 }, p) => {
    const size = n / blocks;
    for (let b = 0; b < blocks; b++) {
      const offset = b * size;
      const block = new Float32Array(size * size);
      let max = 0;
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          max = Math.max(max, Math.abs(symmetric[p][(offset + i) * n + offset + j]));
        }
      }
      if (max === 0) continue; // a zero block: eigenvalues 0, eigenvectors the unit vectors
      const scale = 2 ** Math.ceil(Math.log2(max));
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          block[i * size + j] = symmetric[p][(offset + i) * n + offset + j] / scale;
        }
      }
      if (size === 1) {
        values[p][offset] = block[0] * scale;
        continue;
      }
      const group = groups.get(size) ?? { blocks: [], data: [] };
      group.blocks.push({ problem: p, offset, scale, slot: group.blocks.length });
      group.data.push(block);
      groups.set(size, group);
    }
  });
  const running: Group[] = [...groups].map(([n, { blocks, data }]) => {
    const a = new Float32Array(blocks.length * n * n), v = new Float32Array(blocks.length * n * n);
    data.forEach((block, z) => {
      a.set(block, z * n * n);
      for (let i = 0; i < n; i++) v[z * n * n + i * n + i] = 1;
    });
    const shape = [blocks.length, n, n];
    return {
      n,
      blocks,
      initial: a,
      a: [Tensor.from(gpu, a, shape), Tensor.zeros(gpu, shape)],
      v: [Tensor.from(gpu, v, shape), Tensor.zeros(gpu, shape)],
      current: 0,
      sweeps: 0,
    };
  });
  try {
    let active = running.filter((group) => !converged(group, group.initial, tolerance));
    while (active.length > 0) {
      for (const group of active) {
        if (group.sweeps === maxSweeps) {
          throw new RangeError(`jacobiEigen(): no convergence after ${maxSweeps} sweeps (n = ${group.n})`);
        }
        sweep(group);
      }
      const host = await readTensors(...active.map((group) => group.a[group.current]));
      active = active.filter((group, i) => !converged(group, host[i], tolerance));
    }
    const finals = await readTensors(
      ...running.flatMap((group) => [group.a[group.current], group.v[group.current]]),
    );
    running.forEach((group, g) => {
      const a = finals[2 * g], v = finals[2 * g + 1], n = group.n;
      for (const { problem, offset, scale, slot } of group.blocks) {
        const full = problems[problem].n, base = slot * n * n;
        sweeps[problem] = Math.max(sweeps[problem], group.sweeps);
        for (let i = 0; i < n; i++) {
          values[problem][offset + i] = a[base + i * n + i] * scale;
          for (let j = 0; j < n; j++) {
            vectors[problem][(offset + i) * full + offset + j] = v[base + i * n + j];
          }
        }
      }
    });
  } finally {
    gpu.flush();
    for (const group of running) for (const t of [...group.a, ...group.v]) t.destroy();
  }
  return problems.map(({ n }, p) => finishEigen(symmetric[p], values[p], vectors[p], n, sweeps[p]));
}

/** The symmetrised float64 input, validated. */
function symmetrise({ matrix, n, blocks = 1 }: JacobiProblem, index: number): Float64Array {
  if (!Number.isSafeInteger(n) || n < 1 || matrix.length !== n * n) {
    throw new RangeError(
      `jacobiEigen(): matrix ${index} has ${matrix.length} values, expected n² for n = ${n}`,
    );
  }
  if (!Number.isSafeInteger(blocks) || blocks < 1 || n % blocks !== 0) {
    throw new RangeError(`jacobiEigen(): matrix ${index} of order ${n} cannot hold ${blocks} equal blocks`);
  }
  if (!matrix.every(Number.isFinite)) {
    throw new RangeError(`jacobiEigen(): matrix ${index} has a non-finite value`);
  }
  const size = n / blocks, sym = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
      if (value !== 0 && Math.floor(i / size) !== Math.floor(j / size)) {
        throw new RangeError(
          `jacobiEigen(): matrix ${index} has entry (${i}, ${j}) outside its ${blocks} blocks`,
        );
      }
      sym[i * n + j] = value;
    }
  }
  return sym;
}

/** Records one sweep (every pair once) on a group, ping-ponging between its two buffers. */
function sweep(group: Group): void {
  const steps = jacobiStepsPerSweep(group.n);
  for (let step = 0; step < steps; step++) {
    const from = group.current, to = (1 - from) as 0 | 1;
    jacobiRotate(group.a[from], group.v[from], group.a[to], group.v[to], step);
    group.current = to;
  }
  group.sweeps++;
}

/** Whether every matrix of the group has off(A) ≤ tolerance·‖A‖_F (float64 sums over f32 values). */
function converged(group: Group, a: Float32Array, tolerance: number): boolean {
  const n = group.n;
  return group.blocks.every(({ slot }) => {
    let off = 0, total = 0;
    const base = slot * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = a[base + i * n + j] ** 2;
        total += x;
        if (i !== j) off += x;
      }
    }
    return Math.sqrt(off) <= tolerance * Math.sqrt(total);
  });
}

/**
 * Renormalises the columns, takes Rayleigh quotients as eigenvalues, sorts ascending (ties by index),
 * applies the sign rule and measures accuracy, in float64.
 */
function finishEigen(
  a: Float64Array,
  diagonal: Float64Array,
  q: Float64Array,
  n: number,
  sweeps: number,
): SymmetricEigen {
  // The f32 rotations scale the columns of V by (c² + s²)^(1/2) ≠ 1 each time (norm drift ~ rotations·eps,
  // larger than the loss of orthogonality between columns): renormalise them in float64.
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * n + j] ** 2;
    norm = Math.sqrt(norm);
    if (norm > 0) { for (let r = 0; r < n; r++) q[r * n + j] /= norm; }
  }
  // Rayleigh quotients qᵀAq: second order in the eigenvector error, so small eigenvalues come out far
  // more accurately than from the f32 diagonal (which is used for 1 × 1 and zero blocks, where they agree).
  const rayleigh = Float64Array.from(diagonal);
  const column = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < n; r++) column[r] = q[r * n + j];
    let quotient = 0;
    for (let i = 0; i < n; i++) {
      if (column[i] === 0) continue;
      let row = 0;
      for (let k = 0; k < n; k++) row += a[i * n + k] * column[k];
      quotient += column[i] * row;
    }
    rayleigh[j] = quotient;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => rayleigh[i] - rayleigh[j] || i - j);
  const values = Float64Array.from(order, (i) => rayleigh[i]);
  const vectors = new Float64Array(n * n);
  order.forEach((from, j) => {
    let lead = 0;
    for (let r = 1; r < n; r++) if (Math.abs(q[r * n + from]) > Math.abs(q[lead * n + from])) lead = r;
    const sign = q[lead * n + from] < 0 ? -1 : 1;
    for (let r = 0; r < n; r++) vectors[r * n + j] = sign * q[r * n + from];
  });
  let orthogonalityError = 0, reconstruction = 0, scale = 0;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) scaled[k] = vectors[i * n + k] * values[k];
    for (let j = 0; j < n; j++) {
      let gram = 0, rebuilt = 0;
      for (let k = 0; k < n; k++) {
        gram += vectors[k * n + i] * vectors[k * n + j];
        rebuilt += scaled[k] * vectors[j * n + k];
      }
      orthogonalityError = Math.max(orthogonalityError, Math.abs(gram - (i === j ? 1 : 0)));
      reconstruction = Math.max(reconstruction, Math.abs(rebuilt - a[i * n + j]));
      scale = Math.max(scale, Math.abs(a[i * n + j]));
    }
  }
  return {
    values,
    vectors,
    sweeps,
    orthogonalityError,
    reconstructionError: scale === 0 ? reconstruction : reconstruction / scale,
  };
}
