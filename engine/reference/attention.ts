/**
 * Causal scaled-dot-product attention with grouped-query heads (HF `repeat_kv`: query head h reads
 * key/value head ⌊h / (heads/kvHeads)⌋), on already projected and rotated q, k, v.
 *
 * @module
 */

import { assertLength } from "./assert_length.ts";

/** Shapes of an attention call; rows of q, k, v and out are tokens (b, t) row-major. */
export interface AttentionDims {
  /** Sequences B. */
  batch: number;
  /** Tokens per sequence T. */
  seqLen: number;
  /** Query heads H. */
  heads: number;
  /** Key/value heads KV, dividing H. */
  kvHeads: number;
  /** Head width hd; scores are scaled by 1/sqrt(hd). */
  headDim: number;
}

function check(op: string, q: Float64Array, k: Float64Array, v: Float64Array, dims: AttentionDims): void {
  const { batch, seqLen, heads, kvHeads, headDim } = dims;
  if (heads % kvHeads !== 0) {
    throw new RangeError(`${op}: heads=${heads} is not a multiple of kvHeads=${kvHeads}`);
  }
  assertLength(op, "q", q, { batch, seqLen, heads, headDim });
  assertLength(op, "k", k, { batch, seqLen, kvHeads, headDim });
  assertLength(op, "v", v, { batch, seqLen, kvHeads, headDim });
}

/**
 * out_i = Σ_{j≤i} P_ij v_j with P_i = softmax_j(q_i·k_j / sqrt(hd)) over j ≤ i, per sequence and head.
 *
 * @param q Queries, [B·T, H·hd] row-major.
 * @param k Keys, [B·T, KV·hd].
 * @param v Values, [B·T, KV·hd].
 * @param dims Shapes.
 * @returns out [B·T, H·hd] (the input of o_proj) and probs [B, H, T, T] (zero where j > i).
 * @throws {RangeError} When shapes are inconsistent.
 */
export function attentionForward(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  dims: AttentionDims,
): { out: Float64Array; probs: Float64Array } {
  check("attentionForward()", q, k, v, dims);
  const { batch, seqLen: T, heads, kvHeads, headDim: hd } = dims;
  const group = heads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const out = new Float64Array(batch * T * heads * hd);
  const probs = new Float64Array(batch * heads * T * T);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const qBase = ((b * T + i) * heads + h) * hd;
        const pBase = ((b * heads + h) * T + i) * T;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kBase = ((b * T + j) * kvHeads + kvh) * hd;
          let score = 0;
          for (let e = 0; e < hd; e++) score += q[qBase + e] * k[kBase + e];
          probs[pBase + j] = score * scale;
          max = Math.max(max, score * scale);
        }
        let total = 0;
        for (let j = 0; j <= i; j++) total += probs[pBase + j] = Math.exp(probs[pBase + j] - max);
        for (let j = 0; j <= i; j++) {
          const p = probs[pBase + j] /= total;
          const vBase = ((b * T + j) * kvHeads + kvh) * hd;
          for (let e = 0; e < hd; e++) out[qBase + e] += p * v[vBase + e];
        }
      }
    }
  }
  return { out, probs };
}

/**
 * Backward of {@linkcode attentionForward}. With dP_ij = dOut_i·v_j and
 * dS_ij = P_ij (dP_ij − Σ_l P_il dP_il): dq_i = Σ_j dS_ij k_j / sqrt(hd),
 * dk_j = Σ_i dS_ij q_i / sqrt(hd), dv_j = Σ_i P_ij dOut_i, summed over the query heads of a group.
 *
 * @param q Queries, [B·T, H·hd].
 * @param k Keys, [B·T, KV·hd].
 * @param v Values, [B·T, KV·hd].
 * @param probs From the forward pass, [B, H, T, T].
 * @param dOut Gradient with respect to out, [B·T, H·hd].
 * @param dims Shapes.
 * @returns dq [B·T, H·hd], dk and dv [B·T, KV·hd].
 * @throws {RangeError} When shapes are inconsistent.
 */
export function attentionBackward(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  probs: Float64Array,
  dOut: Float64Array,
  dims: AttentionDims,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  check("attentionBackward()", q, k, v, dims);
  const { batch, seqLen: T, heads, kvHeads, headDim: hd } = dims;
  assertLength("attentionBackward()", "probs", probs, { batch, heads, seqLen: T, keys: T });
  assertLength("attentionBackward()", "dOut", dOut, { batch, seqLen: T, heads, headDim: hd });
  const group = heads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const dP = new Float64Array(T);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / group);
      for (let i = 0; i < T; i++) {
        const qBase = ((b * T + i) * heads + h) * hd;
        const pBase = ((b * heads + h) * T + i) * T;
        let weighted = 0;
        for (let j = 0; j <= i; j++) {
          const vBase = ((b * T + j) * kvHeads + kvh) * hd;
          const p = probs[pBase + j];
          let dot = 0;
          for (let e = 0; e < hd; e++) {
            dot += dOut[qBase + e] * v[vBase + e];
            dv[vBase + e] += p * dOut[qBase + e];
          }
          dP[j] = dot;
          weighted += p * dot;
        }
        for (let j = 0; j <= i; j++) {
          const dScore = probs[pBase + j] * (dP[j] - weighted) * scale;
          const kBase = ((b * T + j) * kvHeads + kvh) * hd;
          for (let e = 0; e < hd; e++) {
            dq[qBase + e] += dScore * k[kBase + e];
            dk[kBase + e] += dScore * q[qBase + e];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
