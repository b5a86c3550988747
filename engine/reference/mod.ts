/**
 * Float64 CPU reference of the Llama forward and backward pass. Every GPU kernel is tested against
 * these ops, and the EK-FAC pipeline against the whole-model gradients and layer records.
 *
 * Layouts: every activation is a row-major `Float64Array` whose rows are tokens (b, t), b-major;
 * linear weights are [out, in] as HF `nn.Linear`.
 *
 * @module
 */

export * from "./assert_length.ts";
export * from "./linear.ts";
export * from "./rmsnorm.ts";
export * from "./rope.ts";
export * from "./attention.ts";
export * from "./swiglu.ts";
export * from "./embedding.ts";
export * from "./cross_entropy.ts";
export * from "./llama_forward.ts";
export * from "./llama_backward.ts";
export * from "./llama_loss.ts";
