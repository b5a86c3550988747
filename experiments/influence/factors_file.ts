import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import type { LayerEigenbasis, LayerLambda, PreconditionFactors } from "../../engine/influence/mod.ts";
import type { FittedFactors, ModuleFactors } from "../../engine/influence/pipeline/mod.ts";
import { factorLayersSchema, layerShapesSchema, parseArtifactJson } from "./artifact_files.ts";

export type { FittedFactors };

/** What a factors file was fitted for: the model's weights, the tokenizer and the factor settings. */
export interface FactorsProvenance {
  /** sha256 of the model.safetensors the factors were fitted with. */
  modelSha256: string;
  /** sha256 of the tokenizer.json the fit documents were encoded with. */
  tokenizerSha256: string;
  /** The factor settings (canonical JSON). */
  settings: string;
}

/**
 * Encodes the factors as safetensors, F64 throughout: per layer `<name>.A` [in, in], `<name>.S`
 * [out, out], `<name>.Q_A` [in, in] and `<name>.Q_S` [out, out] (eigenvectors as columns),
 * `<name>.A_eigenvalues` [in] and `<name>.S_eigenvalues` [out] (ascending), `<name>.Lambda` and
 * `<name>.D` [out, in]; metadata `layers` (JSON: name, shape, tokens, sequences, blocks, solver accuracy)
 * and the provenance (`model_sha256`, `tokenizer_sha256`, `settings`). A layer without Λ yet (a module
 * file of a streamed fit between its eigendecomposition and pass 2) has no `Lambda` and `D` tensors and
 * `lambdaSequences` 0.
 *
 * @param factors The fitted factors (every layer in the covariances and eigenbases).
 * @param provenance What they were fitted for.
 * @returns The file's bytes.
 */
export function encodeFactors(factors: FittedFactors, provenance: FactorsProvenance): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  const f64 = (shape: number[], data: Float64Array): SafetensorsTensor => ({ dtype: "F64", shape, data });
  const layers = [];
  for (const [name, c] of factors.covariances) {
    const e = factors.eigen.get(name)!, l = factors.lambda.get(name);
    const { inDim: m, outDim: p } = c;
    tensors[`${name}.A`] = f64([m, m], c.a);
    tensors[`${name}.S`] = f64([p, p], c.s);
    tensors[`${name}.Q_A`] = f64([m, m], e.qa);
    tensors[`${name}.Q_S`] = f64([p, p], e.qs);
    tensors[`${name}.A_eigenvalues`] = f64([m], e.aValues);
    tensors[`${name}.S_eigenvalues`] = f64([p], e.sValues);
    if (l !== undefined) {
      tensors[`${name}.Lambda`] = f64([p, m], l.lambda!);
      tensors[`${name}.D`] = f64([p, m], l.diagonal);
    }
    layers.push({
      name,
      outDim: p,
      inDim: m,
      tokens: c.tokens,
      sequences: c.sequences,
      lambdaSequences: l?.sequences ?? 0,
      blocks: c.blocks,
      accuracy: e.accuracy,
    });
  }
  return writeSafetensors(tensors, {
    layers: JSON.stringify(layers),
    model_sha256: provenance.modelSha256,
    tokenizer_sha256: provenance.tokenizerSha256,
    settings: provenance.settings,
  });
}

/**
 * Refuses factors fitted for another model or tokenizer, or with layers the model does not track.
 *
 * @param path The factors file (for the message).
 * @param bytes Its bytes.
 * @param expected The model, tokenizer and tracked layers (name, out, in) the caller will use.
 * @throws {Error} Naming the file and what differs.
 */
export function checkFactorsFor(
  path: string,
  bytes: Uint8Array,
  expected: Omit<FactorsProvenance, "settings"> & {
    layers: { name: string; outDim: number; inDim: number }[];
  },
): void {
  const { metadata } = readSafetensors(bytes);
  const short = (h: string | undefined) => (h ? h.slice(0, 12) : "(none recorded)");
  if (metadata.model_sha256 !== expected.modelSha256) {
    throw new Error(
      `Cannot use factors "${path}": fitted for model ${short(metadata.model_sha256)}, ` +
        `the setup's model is ${short(expected.modelSha256)}; refit them (--force=factors)`,
    );
  }
  if (metadata.tokenizer_sha256 !== expected.tokenizerSha256) {
    throw new Error(
      `Cannot use factors "${path}": fitted with tokenizer ${short(metadata.tokenizer_sha256)}, ` +
        `the corpus uses ${short(expected.tokenizerSha256)}; refit them (--force=factors)`,
    );
  }
  const layers = parseArtifactJson(`${path}#layers`, metadata.layers ?? "[]", layerShapesSchema);
  const shape = (l: { name: string; outDim: number; inDim: number }) => `${l.name} [${l.outDim}, ${l.inDim}]`;
  const have = layers.map(shape).join(", "), want = expected.layers.map(shape).join(", ");
  if (have !== want) {
    throw new Error(`Cannot use factors "${path}": they hold layers ${have || "(none)"}, expected ${want}`);
  }
}

/**
 * Decodes a factors file written by {@linkcode encodeFactors} into what a preconditioner reads.
 *
 * @param bytes The file's bytes.
 * @returns Eigenbases and Λ/D per layer, in the file's layer order.
 * @throws {Error} When a tensor is missing or not F64.
 */
export function decodeFactors(bytes: Uint8Array): Required<PreconditionFactors> {
  const eigen = new Map<string, LayerEigenbasis>();
  const lambda = new Map<string, LayerLambda>();
  for (const [name, m] of decodeFactorModules(bytes, "factors.safetensors")) {
    eigen.set(name, m.eigen);
    if (m.lambda === undefined) {
      throw new Error(`factors.safetensors: tensor "${name}.Lambda" missing or not F64`);
    }
    lambda.set(name, m.lambda);
  }
  return { eigen, lambda };
}

/**
 * Decodes every layer of a factors file written by {@linkcode encodeFactors}: A and S, the eigenbases,
 * and Λ/D where the file has them.
 *
 * @param bytes The file's bytes.
 * @param path The file, for messages.
 * @returns Each layer's factors, in the file's layer order.
 * @throws {Error} When a tensor is missing or not F64.
 */
export function decodeFactorModules(bytes: Uint8Array, path: string): Map<string, ModuleFactors> {
  const file = readSafetensors(bytes);
  const get = (key: string): Float64Array => {
    const t = file.tensors.get(key);
    if (t?.dtype !== "F64") throw new Error(`${path}: tensor "${key}" missing or not F64`);
    return t.data;
  };
  const layers = parseArtifactJson(`${path}#layers`, file.metadata.layers ?? "[]", factorLayersSchema);
  const modules = new Map<string, ModuleFactors>();
  for (const { name, outDim, inDim, tokens, sequences, lambdaSequences, blocks, accuracy } of layers) {
    const shape = { name, outDim, inDim };
    modules.set(name, {
      covariance: {
        ...shape,
        a: get(`${name}.A`),
        s: get(`${name}.S`),
        tokens,
        sequences,
        blocks: blocks ?? 1,
      },
      eigen: {
        ...shape,
        qa: get(`${name}.Q_A`),
        aValues: get(`${name}.A_eigenvalues`),
        qs: get(`${name}.Q_S`),
        sValues: get(`${name}.S_eigenvalues`),
        tokens,
        sequences,
        accuracy,
      },
      ...(file.tensors.has(`${name}.Lambda`)
        ? {
          lambda: {
            ...shape,
            lambda: get(`${name}.Lambda`),
            diagonal: get(`${name}.D`),
            sequences: lambdaSequences,
          },
        }
        : {}),
    });
  }
  return modules;
}
