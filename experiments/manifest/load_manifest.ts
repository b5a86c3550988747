import type { z } from "zod";
import { manifestFileSchema, manifestParseSchema } from "../schema/manifest_schema.ts";
import { setupSchema, type SetupSettings } from "../schema/setup_schema.ts";
import { QUERY_SETS } from "../../fixtures/world/vocabulary.ts";
import type { AnalysesSettings, ReportSettings } from "../schema/analyses_schema.ts";
import type { CounterfactualSettings } from "../schema/counterfactual_schema.ts";
import type { CorpusSettings, TokenizerSettings } from "../schema/manifest_schema.ts";
import type { QueriesConfig, WorldConfig } from "../../fixtures/world/config.ts";
import { checkLimits } from "./check_limits.ts";
import { deepMerge } from "./deep_merge.ts";
import { deriveSeed } from "./derive_seed.ts";
import { formatIssue } from "./format_issue.ts";
import { getAtPath, type JsonPath } from "./json_path.ts";
import { ManifestError } from "./manifest_error.ts";
import { parseJsonc } from "./parse_jsonc.ts";
import { isIntegerAt, schemaKeysAt } from "./schema_keys.ts";
import { applySetOverride } from "./set_override.ts";

/**
 * A setup with its seeds resolved (never null). With the manifest's own `queries.path` and no
 * `querySets` given, `everyQuerySet` is true and `querySets` empty: the setup is asked every set of that
 * file ({@linkcode asksSet}; the sets named are checked at plan time, when the file is read).
 */
export type ResolvedSetup = SetupSettings & {
  /** Asked every set of the manifest's own query file (present only then). */
  everyQuerySet?: true;
  name: string;
  training: SetupSettings["training"] & { seed: number };
  influence: SetupSettings["influence"] & { seed: number };
};

/** A manifest after overrides, defaults, setup merging and seed derivation. */
export interface ResolvedManifest {
  /** The file it came from, as given. */
  file: string;
  /** Experiment name: names the cache and report folders. */
  experiment: string;
  /** What the experiment is for. */
  description: string;
  /** Root seed. */
  seed: number;
  /** The synthetic world's settings, its seed resolved. */
  world: WorldConfig;
  /** Query counts per set. */
  queries: QueriesConfig;
  /** Your own documents instead of the synthetic world; absent when the manifest has none. */
  corpus?: CorpusSettings;
  /** The character tokenizer's settings; absent for one token per character. */
  tokenizer?: TokenizerSettings;
  /** Setups in manifest order. */
  setups: ResolvedSetup[];
  /** Settings of the findings' analyses. */
  analyses: AnalysesSettings;
  /** What the report shows. */
  report: ReportSettings;
  /** The counterfactual checks; absent when the manifest has no `counterfactual` block. */
  counterfactual?: CounterfactualSettings;
  /** The `--set` assignments applied, in order. */
  overrides: string[];
}

/** Options of {@link parseManifest}. */
export interface ParseManifestOptions {
  /** File name for messages. */
  file: string;
  /** `PATH=VALUE` overrides, applied in order before validation. */
  set?: string[];
}

/**
 * Parses and resolves a manifest's text. Every problem found is reported, one line each, prefixed with
 * `Cannot read manifest "<file>": `.
 *
 * @param text JSONC text of the manifest.
 * @param options File name and overrides.
 * @returns The resolved manifest.
 * @throws {ManifestError} For bad JSONC, a bad override, or any schema violation.
 */
export function parseManifest(text: string, options: ParseManifestOptions): ResolvedManifest {
  const file = options.file;
  const raw = parseJsonc(text, file);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ManifestError([`Cannot read manifest "${file}": the top level must be an object`]);
  }
  const tree = raw as Record<string, unknown>;
  for (const assignment of options.set ?? []) applySetOverride(tree, assignment, file);

  const problems: string[] = [];
  const topLookup = {
    keysAt: (path: JsonPath) => schemaKeysAt(manifestFileSchema, path),
    isIntegerAt: (path: JsonPath) => isIntegerAt(manifestFileSchema, path),
  };
  const top = manifestParseSchema.safeParse(tree);
  if (!top.success) problems.push(...top.error.issues.flatMap((i) => formatIssue(i, tree, [], topLookup)));

  const setups: ResolvedSetup[] = [];
  if (top.success) {
    const base = getAtPath(tree, ["setupDefaults"]) ?? {};
    for (const [name, over] of Object.entries(top.data.setups)) {
      const merged = setupSchema.safeParse(deepMerge(base, over));
      if (!merged.success) {
        problems.push(...merged.error.issues.flatMap((issue) => {
          const own = isOwnIssue(issue, over);
          const prefix = own ? ["setups", name] : ["setupDefaults"];
          const source = own ? over : base;
          return formatIssue(issue, source, prefix, {
            keysAt: (p) => schemaKeysAt(setupSchema, p.slice(prefix.length)),
            isIntegerAt: (p) => isIntegerAt(setupSchema, p.slice(prefix.length)),
          });
        }));
        continue;
      }
      const s = merged.data;
      const need = top.data.world.maxDocChars + 2;
      if (s.checkpoint === null && s.model.contextLength < need) {
        problems.push(
          `setups.${name}.model.contextLength must be >= world.maxDocChars + 2 (${need}) to hold a document ` +
            `with BOS and EOS, got ${s.model.contextLength}`,
        );
        continue;
      }
      const ownQueries = top.data.queries.path !== undefined;
      const setsGiven = getAtPath(over, ["querySets"]) !== undefined ||
        getAtPath(base, ["querySets"]) !== undefined;
      if (!ownQueries) {
        // The synthetic world asks the study's six sets; any other name is a query file's own.
        const from = getAtPath(over, ["querySets"]) !== undefined ? `setups.${name}` : "setupDefaults";
        const bad = s.querySets.findIndex((q) => !(QUERY_SETS as readonly string[]).includes(q));
        if (bad >= 0) {
          problems.push(
            `${from}.querySets[${bad}] must be one of ${
              QUERY_SETS.map((q) => JSON.stringify(q)).join(", ")
            }, ` +
              `got ${JSON.stringify(s.querySets[bad])}`,
          );
          continue;
        }
      }
      setups.push({
        ...s,
        ...(ownQueries && !setsGiven ? { querySets: [], everyQuerySet: true as const } : {}),
        name,
        training: { ...s.training, seed: s.training.seed ?? deriveSeed(top.data.seed, `training/${name}`) },
        influence: {
          ...s.influence,
          seed: s.influence.seed ?? deriveSeed(top.data.seed, `influence/${name}`),
        },
      });
    }
    if ((top.data.corpus === undefined) !== (top.data.queries.path === undefined)) {
      problems.push(
        top.data.corpus === undefined
          ? "queries.path needs corpus.path: your own queries are asked about your own documents"
          : "corpus.path needs queries.path: the generated queries ask about the synthetic world",
      );
    }
    if (problems.length === 0) {
      const byName = new Map(setups.map((s) => [s.name, s]));
      problems.push(
        ...checkLimits(top.data.world, top.data.queries, top.data.analyses, byName, top.data.tokenizer),
      );
    }
  }
  if (problems.length > 0) {
    throw new ManifestError([...new Set(problems)].map((p) => `Cannot read manifest "${file}": ${p}`));
  }
  const m = top.data!;
  const worldSeedGiven = getAtPath(tree, ["world", "seed"]) !== undefined;
  return {
    file,
    experiment: m.experiment,
    description: m.description,
    seed: m.seed,
    world: worldSeedGiven ? m.world : { ...m.world, seed: deriveSeed(m.seed, "world") },
    queries: m.queries,
    ...(m.corpus === undefined ? {} : { corpus: m.corpus }),
    ...(m.tokenizer === undefined ? {} : { tokenizer: m.tokenizer }),
    setups,
    analyses: m.analyses,
    report: m.report,
    ...(m.counterfactual === undefined ? {} : { counterfactual: m.counterfactual }),
    overrides: [...(options.set ?? [])],
  };
}

/**
 * Whether a setup is asked a query set: one its `querySets` names, or any with `everyQuerySet`.
 *
 * @param setup The resolved setup.
 * @param set A query set.
 * @returns Whether the setup answers the set's queries.
 */
export function asksSet(setup: Pick<ResolvedSetup, "querySets" | "everyQuerySet">, set: string): boolean {
  return setup.everyQuerySet === true || setup.querySets.includes(set);
}

/**
 * Reads, parses and resolves a manifest file.
 *
 * @param path Path of the `.jsonc` manifest.
 * @param set `PATH=VALUE` overrides.
 * @returns The resolved manifest.
 * @throws {ManifestError} If the file is missing or unreadable, or any problem {@link parseManifest} finds.
 */
export async function loadManifest(path: string, set: string[] = []): Promise<ResolvedManifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw new ManifestError([`Cannot read manifest "${path}": ${why}`]);
  }
  return parseManifest(text, { file: path, set });
}

/** Whether a merged-setup issue comes from the setup's own override rather than from setupDefaults. */
function isOwnIssue(issue: z.core.$ZodIssue, over: unknown): boolean {
  const path = issue.path as JsonPath;
  const here = getAtPath(over, path);
  if (issue.code === "unrecognized_keys") {
    return here !== null && typeof here === "object" && issue.keys.some((k) => k in here);
  }
  if (here !== undefined) return true;
  // A missing required field belongs to the override when the override wrote its parent object.
  return issue.code === "invalid_type" && path.length > 0 && isObject(getAtPath(over, path.slice(0, -1)));
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
