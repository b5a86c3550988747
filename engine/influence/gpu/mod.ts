/**
 * The GPU implementation of the influence pipeline (docs/method.md, "EK-FAC, step by step"), mirroring the
 * float64 CPU reference in `../cpu/` step by step and tested against it. It consumes per-layer token
 * records ({@linkcode RecordBatch}: a [N, in] and g [N, out] as f32 tensors, sequences as row ranges)
 * and never runs a model; the harness produces the records.
 *
 * Pipeline: {@linkcode CovarianceAccumulator} (A, S) → {@linkcode eigendecomposeCovariancesGpu} or the
 * reference `eigendecomposeCovariances` (Q_A, Q_S) → {@linkcode LambdaAccumulator} (Λ, D) → the
 * reference `resolveDamping` (λ) → {@linkcode GpuPreconditioner} (P_q for a batch of queries,
 * optionally {@linkcode truncateRankGpu}) → {@linkcode DocumentScorer} (scores, per-layer terms and
 * document-gradient norms, streamed in fixed-size chunks) and {@linkcode tokenScoresGpu}.
 *
 * Conventions are the reference's: row-major, weights [out, in], eigenvalues ascending with
 * eigenvectors as columns, Λ[i, j] pairing S-eigenvector i with A-eigenvector j, A and S per-token
 * averages, Λ and D per-sequence averages, K-FAC eigenvalues scaled by T/N_seq. Fitted factors are read
 * back as the reference's float64 types (`LayerCovariance`, `LayerEigenbasis`, `LayerLambda`) for
 * storage; f64-only steps (1/(E + λ), sorting, finalising averages) run on the host in float64.
 * Every reduction is fixed-order, so repeated runs on one adapter are bit-identical.
 *
 * ```ts ignore
 * import { acquireDevice } from "../../mod.ts";
 * import { resolveDamping } from "../cpu/mod.ts";
 * import { DEFAULT_DAMPING } from "../settings.ts";
 * import {
 *   CovarianceAccumulator, DocumentScorer, eigendecomposeCovariancesGpu, GpuPreconditioner, LambdaAccumulator,
 * } from "./mod.ts";
 * const gpu = await acquireDevice();
 * const pass1 = new CovarianceAccumulator(gpu, layers);
 * for (const batch of fitBatches) pass1.add(batch);
 * const eigen = await eigendecomposeCovariancesGpu(gpu, await pass1.read());
 * const pass2 = new LambdaAccumulator(gpu, layers, { bases: eigen });
 * for (const batch of freshLabelBatches) pass2.add(batch);
 * const lambda = await pass2.read();
 * const damping = resolveDamping("ekfac", DEFAULT_DAMPING, { eigen, lambda });
 * const p = new GpuPreconditioner(gpu, "ekfac", layers, { eigen, lambda }, damping).apply(queryGradients);
 * const scorer = new DocumentScorer(gpu, layers, p, { maxDocuments: 64 });
 * for (const chunk of documentChunks) console.log((await scorer.score(chunk)).scores);
 * ```
 *
 * @module
 */

export * from "./layer_records.ts";
export * from "./sequence_gradients.ts";
export * from "./covariance_accumulator.ts";
export * from "./jacobi_eigen.ts";
export * from "./eigendecompose_covariances_gpu.ts";
export * from "./eigenbasis_tensors.ts";
export * from "./lambda_accumulator.ts";
export * from "./gpu_preconditioner.ts";
export * from "./document_scorer.ts";
export * from "./token_scores_gpu.ts";
