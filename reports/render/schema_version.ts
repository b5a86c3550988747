/**
 * Versioning of the `report.json` format.
 *
 * @module
 */

/**
 * The `report.json` format version this code writes. Bump the major version when a field changes
 * meaning or is removed, the minor version when fields are added (1.1.0: `provenance.adapter.kernels`; 1.2.0: `setups.*.stepDiagnostics`;
 * 1.3.0: `setups.*.stepDiagnostics.*.distinctCompletions`; 1.4.0: the applicability gates — verdict
 * `not-applicable` (per setup in `findings[].verdicts`, overall in `findings[].verdict`),
 * `findings[].measured.*.applicable`, `.reason`, `.note`, `findings[].verdictText` — and effect sizes
 * beside every p-value: `findings[].measured.*.difference`, `differenceLow`, `differenceHigh`, `cohensD`,
 * `aN`, `bN`, `draws`; `setups.*.gates`, `setups.*.factualDraw`; 1.5.0: the controls —
 * `findings[].controls.{identity,lexical,untrained}.{measured,verdicts}`, `findings[].explainedBy` — and
 * `setups.*.heldOut`, `setups.*.factualByMentions`, `validation.*.identity`; 1.6.0: the counterfactual checks,
 * when the manifest asks for them — `validation.counterfactual.<setup>` (`k`, `queries`, `protocol`,
 * `{mean, low, high}` for `topk`, `random`, `bottomk`, `identity`, `lexical`, and `bySet`) and
 * `validation.lds.<setup>.<strategy>` (`{mean, low, high, subsets}`); 1.7.0: a corpus of one's own —
 * verdict `not-available` (per setup and overall) with `findings[].measured.*.available` false and its
 * `reason`, `validation.notAvailable` (checks the corpus does not allow, with their reasons), and in
 * `world` (`corpus: "user"`) `queryGroups`).
 */
export const REPORT_SCHEMA_VERSION = "1.7.0";

/** Semantic version pattern (major.minor.patch, optional pre-release and build parts). */
export const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * Reads the major version of a semantic version string.
 *
 * @param version A version such as `"1.2.3"`.
 * @returns The major version number.
 * @throws {SyntaxError} If `version` is not a semantic version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { semverMajor } from "./schema_version.ts";
 * assert.equal(semverMajor("2.1.0"), 2);
 * ```
 */
export function semverMajor(version: string): number {
  const match = SEMVER_PATTERN.exec(version);
  if (match === null) {
    throw new SyntaxError(
      `Cannot read schema version ${JSON.stringify(version)}: expected major.minor.patch`,
    );
  }
  return Number(match[1]);
}

/**
 * Whether reports written in two schema versions can be read by the same code: the same major
 * version. Malformed versions are never compatible.
 *
 * @param a A schema version.
 * @param b Another schema version.
 * @returns `true` when both are semantic versions with the same major version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCompatibleSchemaVersion } from "./schema_version.ts";
 * assert.equal(isCompatibleSchemaVersion("1.0.0", "1.4.2"), true);
 * assert.equal(isCompatibleSchemaVersion("1.0.0", "2.0.0"), false);
 * ```
 */
export function isCompatibleSchemaVersion(a: string, b: string): boolean {
  if (!SEMVER_PATTERN.test(a) || !SEMVER_PATTERN.test(b)) return false;
  return semverMajor(a) === semverMajor(b);
}
