/**
 * Resolution and validation of GEMM arguments, shared by both GPU families and the CPU reference.
 *
 * Semantics (BLAS-like, row-major, f32): for every batch index `z < batch`,
 * `C_z = α · op(A_z) · op(B_z) + β · C_z`, where `op(X)` is `X` or `Xᵀ`, `op(A_z)` is `[m, k]`,
 * `op(B_z)` is `[k, n]` and `C_z` is `[m, n]`. Element `(r, c)` of the *stored* matrix `A_z` is
 * `a[offsetA + z·strideA + r·lda + c]` (same for B and C). `strideA = 0` broadcasts one A over the
 * batch. When `β = 0`, C is not read (NaN in C does not propagate).
 *
 * @module
 */

/** Options of `matmul()` (all optional; sizes default to the tensors' shapes). */
export interface MatmulOptions {
  /** Use `Aᵀ`: A is stored `[k, m]`. */
  transA?: boolean;
  /** Use `Bᵀ`: B is stored `[n, k]`. */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of the existing C (default 0: C is overwritten, not read). */
  beta?: number;
  /** Rows of op(A) and C; give `m`, `n`, `k` together to override shape inference. */
  m?: number;
  /** Columns of op(B) and C. */
  n?: number;
  /** Inner dimension. */
  k?: number;
  /** Number of independent products (default: product of C's leading dimensions, or 1). */
  batch?: number;
  /** Row stride of stored A in elements (default: its column count). */
  lda?: number;
  /** Row stride of stored B in elements. */
  ldb?: number;
  /** Row stride of C in elements. */
  ldc?: number;
  /** Elements between consecutive batch items of A (0 broadcasts). */
  strideA?: number;
  /** Elements between consecutive batch items of B (0 broadcasts). */
  strideB?: number;
  /** Elements between consecutive batch items of C. */
  strideC?: number;
  /** Element index of A's first element. */
  offsetA?: number;
  /** Element index of B's first element. */
  offsetB?: number;
  /** Element index of C's first element. */
  offsetC?: number;
}

/** Fully resolved GEMM problem; every field is a validated non-negative integer (α, β finite). */
export interface GemmSpec {
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** Number of independent products. */
  batch: number;
  /** Use `Aᵀ`: A is stored `[k, m]`. */
  transA: boolean;
  /** Use `Bᵀ`: B is stored `[n, k]`. */
  transB: boolean;
  /** Scale α of the product. */
  alpha: number;
  /** Scale β of the existing C (0: C is not read). */
  beta: number;
  /** Row stride of stored A in elements. */
  lda: number;
  /** Row stride of stored B in elements. */
  ldb: number;
  /** Row stride of C in elements. */
  ldc: number;
  /** Elements between consecutive batch items of A (0 broadcasts). */
  strideA: number;
  /** Elements between consecutive batch items of B (0 broadcasts). */
  strideB: number;
  /** Elements between consecutive batch items of C. */
  strideC: number;
  /** Element index of A's first element. */
  offsetA: number;
  /** Element index of B's first element. */
  offsetB: number;
  /** Element index of C's first element. */
  offsetC: number;
}

/** What `resolveGemm` needs to know about an operand. */
export interface GemmOperand {
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its element count. */
  readonly size: number;
}

function matrixOf(shape: readonly number[], what: string): [number, number, number] {
  if (shape.length < 2) {
    throw new RangeError(`matmul: ${what} must have at least 2 dimensions, got [${shape}]`);
  }
  const rows = shape[shape.length - 2], cols = shape[shape.length - 1];
  const batch = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return [batch, rows, cols];
}

function integer(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`matmul: ${what} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/**
 * Resolves `matmul` options against the operands' shapes and checks every access is in bounds.
 *
 * Shape inference (when `m`, `n`, `k` are not all given): the last two dimensions of each tensor are
 * its stored matrix, the leading ones its batch; A and B batches must be 1 (broadcast) or C's.
 *
 * @param a Operand A.
 * @param b Operand B.
 * @param c Output C.
 * @param options Transposes, scalars, explicit sizes/strides/offsets.
 * @returns The resolved problem.
 * @throws {RangeError} On inconsistent shapes or an access outside a tensor.
 *
 * @example
 * ```ts
 * import { resolveGemm } from "./gemm_spec.ts";
 * const op = (shape: number[]) => ({ shape, size: shape[0] * shape[1] });
 * const s = resolveGemm(op([4, 3]), op([5, 3]), op([4, 5]), { transB: true });
 * console.assert(s.m === 4 && s.n === 5 && s.k === 3 && s.ldb === 3);
 * ```
 */
export function resolveGemm(
  a: GemmOperand,
  b: GemmOperand,
  c: GemmOperand,
  options: MatmulOptions = {},
): GemmSpec {
  const transA = options.transA ?? false, transB = options.transB ?? false;
  const alpha = options.alpha ?? 1, beta = options.beta ?? 0;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) {
    throw new RangeError(`matmul: alpha and beta must be finite, got ${alpha}, ${beta}`);
  }
  const explicit = options.m !== undefined || options.n !== undefined || options.k !== undefined;
  let m: number, n: number, k: number, batch: number;
  let inferred: { strideA: number; strideB: number; strideC: number } | null = null;
  if (explicit) {
    if (options.m === undefined || options.n === undefined || options.k === undefined) {
      throw new RangeError("matmul: give m, n and k together");
    }
    m = integer(options.m, "m"), n = integer(options.n, "n"), k = integer(options.k, "k");
    batch = integer(options.batch ?? 1, "batch");
  } else {
    const [batchA, rowsA, colsA] = matrixOf(a.shape, "A");
    const [batchB, rowsB, colsB] = matrixOf(b.shape, "B");
    const [batchC, rowsC, colsC] = matrixOf(c.shape, "C");
    [m, k] = transA ? [colsA, rowsA] : [rowsA, colsA];
    const [kB, nB] = transB ? [colsB, rowsB] : [rowsB, colsB];
    n = nB;
    if (kB !== k) {
      throw new RangeError(`matmul: inner dimensions differ: op(A) is [${m}, ${k}], op(B) is [${kB}, ${n}]`);
    }
    if (rowsC !== m || colsC !== n) {
      throw new RangeError(`matmul: C must be [${m}, ${n}], got [${rowsC}, ${colsC}]`);
    }
    batch = integer(options.batch ?? batchC, "batch");
    for (const [name, bt] of [["A", batchA], ["B", batchB]] as const) {
      if (bt !== 1 && bt !== batch) throw new RangeError(`matmul: ${name} has batch ${bt}, C has ${batch}`);
    }
    inferred = {
      strideA: batchA === 1 ? 0 : rowsA * colsA,
      strideB: batchB === 1 ? 0 : rowsB * colsB,
      strideC: rowsC * colsC,
    };
  }
  const [rowsA, colsA] = transA ? [k, m] : [m, k];
  const [rowsB, colsB] = transB ? [n, k] : [k, n];
  const lda = integer(options.lda ?? colsA, "lda");
  const ldb = integer(options.ldb ?? colsB, "ldb");
  const ldc = integer(options.ldc ?? n, "ldc");
  if (ldc < n) throw new RangeError(`matmul: ldc ${ldc} is smaller than n ${n}`);
  const spec: GemmSpec = {
    m,
    n,
    k,
    batch,
    transA,
    transB,
    alpha,
    beta,
    lda,
    ldb,
    ldc,
    strideA: integer(options.strideA ?? inferred?.strideA ?? rowsA * lda, "strideA"),
    strideB: integer(options.strideB ?? inferred?.strideB ?? rowsB * ldb, "strideB"),
    strideC: integer(options.strideC ?? inferred?.strideC ?? m * ldc, "strideC"),
    offsetA: integer(options.offsetA ?? 0, "offsetA"),
    offsetB: integer(options.offsetB ?? 0, "offsetB"),
    offsetC: integer(options.offsetC ?? 0, "offsetC"),
  };
  checkBounds("A", a.size, spec.offsetA, spec.strideA, rowsA, colsA, lda, batch);
  checkBounds("B", b.size, spec.offsetB, spec.strideB, rowsB, colsB, ldb, batch);
  checkBounds("C", c.size, spec.offsetC, spec.strideC, m, n, ldc, batch);
  return spec;
}

function checkBounds(
  name: string,
  size: number,
  offset: number,
  stride: number,
  rows: number,
  cols: number,
  ld: number,
  batch: number,
): void {
  if (rows === 0 || cols === 0 || batch === 0) return;
  const last = offset + (batch - 1) * stride + (rows - 1) * ld + cols - 1;
  if (last >= size) {
    throw new RangeError(`matmul: ${name} is accessed up to element ${last} but has ${size} elements`);
  }
}
