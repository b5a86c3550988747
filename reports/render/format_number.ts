/**
 * Number formatting for tables and key-value blocks; locale-independent and deterministic.
 *
 * @module
 */

import type { NumberFormat, TableCell } from "./document.ts";

/** Dash shown for missing values. */
export const MISSING_VALUE = "\u2013";

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function formatInteger(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? "-" : "";
  return sign + groupThousands(Math.abs(rounded).toFixed(0));
}

function formatAuto(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return formatInteger(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-4 || magnitude >= 1e9) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/**
 * Formats a number for display. Non-finite values print as `NaN`, `∞` or `-∞`.
 *
 * @param value The number.
 * @param format How to show it; defaults to `{ style: "auto" }`.
 * @returns The display text.
 * @throws {RangeError} If a format's `digits` is not an integer in [0, 20] (1..21 for `significant`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNumber } from "./format_number.ts";
 * assert.equal(formatNumber(12345), "12,345");
 * assert.equal(formatNumber(0.0389123), "0.03891");
 * assert.equal(formatNumber(0.254, { style: "percent", digits: 1 }), "25.4%");
 * ```
 */
export function formatNumber(value: number, format: NumberFormat = { style: "auto" }): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "\u221e" : "-\u221e";
  switch (format.style) {
    case "auto":
      return formatAuto(value);
    case "integer":
      return formatInteger(value);
    case "fixed":
      return value.toFixed(checkDigits(format.digits, 0, 20));
    case "significant":
      return value.toPrecision(checkDigits(format.digits, 1, 21));
    case "percent":
      return `${(value * 100).toFixed(checkDigits(format.digits, 0, 20))}%`;
    case "exponential":
      return value.toExponential(checkDigits(format.digits, 0, 20));
  }
}

function checkDigits(digits: number, min: number, max: number): number {
  if (!Number.isInteger(digits) || digits < min || digits > max) {
    throw new RangeError(
      `Cannot format number: digits must be an integer in [${min}, ${max}], got ${digits}`,
    );
  }
  return digits;
}

/**
 * Formats a table or key-value cell: numbers through {@linkcode formatNumber}, null as a dash,
 * booleans as `true`/`false`, strings unchanged (still untrusted: escape them for the output format).
 *
 * @param value The cell value.
 * @param format Number format for numeric values.
 * @returns The display text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCell } from "./format_number.ts";
 * assert.equal(formatCell(null), "\u2013");
 * assert.equal(formatCell(0.5, { style: "fixed", digits: 2 }), "0.50");
 * ```
 */
export function formatCell(value: TableCell | boolean, format?: NumberFormat): string {
  if (value === null) return MISSING_VALUE;
  if (typeof value === "number") return formatNumber(value, format);
  return String(value);
}
