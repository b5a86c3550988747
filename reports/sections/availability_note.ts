import type { Block } from "../render/mod.ts";
import type { Findings } from "../findings/compute_findings.ts";
import { type FindingId, unavailableSentence } from "../findings/availability.ts";

/**
 * A warning note for a findings section on a corpus of one's own: which of its findings the corpus does
 * not allow (and why), and which ran on part of their queries; nothing for the synthetic world.
 *
 * @param findings The measured findings.
 * @param ids The section's findings (cross-setup ids F1x and F2m read `crossAvailability`).
 * @returns The note, or no block.
 */
export function availabilityNote(findings: Findings, ids: readonly FindingId[]): Block[] {
  const cross = findings.cross && findings.crossAvailability
    ? [{ setup: `${findings.cross.small}→${findings.cross.large}`, availability: findings.crossAvailability }]
    : [];
  const perSetup = ids.filter((id) => id !== "F1x" && id !== "F2m");
  const crossIds = ids.filter((id) => id === "F1x" || id === "F2m");
  const text = [unavailableSentence(findings.setups, perSetup), unavailableSentence(cross, crossIds)]
    .filter((t): t is string => t !== null).join(" ");
  return text === "" ? [] : [{ kind: "note", tone: "warning", text }];
}

/**
 * The groups of a corpus of one's own query sets in words, e.g. "capitals: factual; gsm8k: reasoning",
 * or null for the synthetic world.
 *
 * @param findings The measured findings.
 * @returns The list, or null.
 */
export function groupsSentence(findings: Findings): string | null {
  const groups = Object.assign({}, ...findings.setups.map((s) => s.groups ?? {})) as Record<string, string>;
  const entries = Object.entries(groups);
  return entries.length === 0 ? null : entries.map(([set, g]) => `${set}: ${g}`).join("; ");
}
