/**
 * Colours for signed per-token weights.
 *
 * @module
 */

import type { WeightedToken } from "./document.ts";

/** RGB of the hue for positive weights (blue). */
export const POSITIVE_RGB = [33, 102, 172] as const;
/** RGB of the hue for negative weights (red). */
export const NEGATIVE_RGB = [214, 47, 39] as const;
/** Opacity at full intensity; kept below 1 so dark text stays readable. */
export const MAX_SHADE_ALPHA = 0.6;

/**
 * The |weight| that gets full colour when a block names none: the largest finite |weight|.
 *
 * @param tokens The block's tokens.
 * @returns The scale, 0 when no token has a finite non-zero weight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultShadeScale } from "./token_shade.ts";
 * assert.equal(defaultShadeScale([{ text: "a", weight: -2 }, { text: "b", weight: 1 }]), 2);
 * ```
 */
export function defaultShadeScale(tokens: readonly WeightedToken[]): number {
  let scale = 0;
  for (const { weight } of tokens) {
    if (Number.isFinite(weight)) scale = Math.max(scale, Math.abs(weight));
  }
  return scale;
}

/**
 * CSS background colour for a token: blue for positive, red for negative weights, opacity linear in
 * |weight| / scale (clipped to 1). Weights that are zero, not finite, or a zero scale give `transparent`.
 *
 * @param weight The token's signed weight.
 * @param scale The |weight| that gets full colour.
 * @returns A CSS colour such as `rgba(33,102,172,0.3)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenShade } from "./token_shade.ts";
 * assert.equal(tokenShade(0.5, 1), "rgba(33,102,172,0.3)");
 * assert.equal(tokenShade(-2, 1), "rgba(214,47,39,0.6)");
 * assert.equal(tokenShade(0, 1), "transparent");
 * ```
 */
export function tokenShade(weight: number, scale: number): string {
  if (!Number.isFinite(weight) || weight === 0 || !(scale > 0) || !Number.isFinite(scale)) {
    return "transparent";
  }
  const alpha = Math.round(Math.min(1, Math.abs(weight) / scale) * MAX_SHADE_ALPHA * 1000) / 1000;
  if (alpha === 0) return "transparent";
  const [r, g, b] = weight > 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Shade levels per sign: a token's opacity is rounded to one of these steps of `MAX_SHADE_ALPHA`. */
export const SHADE_LEVELS = 12;

/**
 * The shade step of a token, for class-based shading that keeps long shaded texts small: the sign of the
 * weight times round(|weight| / scale × {@linkcode SHADE_LEVELS}), clipped to ±SHADE_LEVELS; 0 for
 * zero, non-finite or unscaled weights.
 *
 * @param weight The token's signed weight.
 * @param scale The |weight| that gets full colour.
 * @returns An integer in [−SHADE_LEVELS, SHADE_LEVELS].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenShadeLevel } from "./token_shade.ts";
 * assert.equal(tokenShadeLevel(0.5, 1), 6);
 * assert.equal(tokenShadeLevel(-3, 1), -12);
 * assert.equal(tokenShadeLevel(Number.NaN, 1), 0);
 * ```
 */
export function tokenShadeLevel(weight: number, scale: number): number {
  if (!Number.isFinite(weight) || !(scale > 0) || !Number.isFinite(scale)) return 0;
  const level = Math.round(Math.min(1, Math.abs(weight) / scale) * SHADE_LEVELS);
  return weight < 0 ? -level : level;
}

/**
 * CSS rules for the shade classes `sp1`…`spN` (positive) and `sn1`…`snN` (negative).
 *
 * @returns The style sheet text.
 */
export function tokenShadeCss(): string {
  const rules: string[] = [];
  for (let level = 1; level <= SHADE_LEVELS; level++) {
    const alpha = Math.round((level / SHADE_LEVELS) * MAX_SHADE_ALPHA * 1000) / 1000;
    rules.push(`.sp${level}{background:rgba(${POSITIVE_RGB.join(",")},${alpha})}`);
    rules.push(`.sn${level}{background:rgba(${NEGATIVE_RGB.join(",")},${alpha})}`);
  }
  return rules.join("\n");
}
