/**
 * Counterfactual fine-tunes: the ground truth for influence scores (docs/method.md, "Counterfactual
 * checks"). A fine-tune from a model's final weights on a set of documents, on the tracked weights only,
 * with the plain-gradient or the PBRF protocol, and the change of each query's log p(completion | prompt)
 * it causes; on the float64 reference ({@linkcode ReferenceBackend}) or the GPU Llama
 * ({@linkcode GpuBackend}).
 *
 * @module
 */

export * from "./kl_to_targets.ts";
export * from "./fine_tune_backend.ts";
export * from "./fine_tune.ts";
export * from "./reference_backend.ts";
export * from "./gpu_backend.ts";
