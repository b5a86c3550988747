/**
 * Training: the {@linkcode TrainableModel} contract, AdamW with GPU gradient-norm clipping, the
 * learning-rate schedule, seeded data order and batching, resumable training states, and `train()`.
 *
 * ```ts ignore
 * import { train } from "./mod.ts";
 * const record = await train(model, corpus.documents, { ...settings, seed }, {
 *   maxSeqLen: config.maxPositionEmbeddings,
 *   loadState: () => readIfExists("train_state.safetensors"),
 *   saveState: (bytes) => atomicWrite("train_state.safetensors", bytes),
 *   onProgress: (p) => console.log(p.step, p.loss.toFixed(3), p.tokensPerSecond.toFixed(0)),
 * });
 * ```
 *
 * @module
 */
export * from "./trainable_model.ts";
export * from "./train_settings.ts";
export * from "./learning_rate.ts";
export * from "./document_tokens.ts";
export * from "./data_order.ts";
export * from "./make_batch.ts";
export * from "./adamw_optimizer.ts";
export * from "./step_log.ts";
export * from "./train_hook.ts";
export * from "./train_state.ts";
export * from "./train_fingerprint.ts";
export * from "./check_resumable.ts";
export * from "./incompatible_train_state_error.ts";
export * from "./training_record.ts";
export * from "./trainer.ts";
