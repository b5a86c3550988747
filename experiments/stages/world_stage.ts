import { join } from "node:path";
import { findQueryLeaks, generateWorld, summarizeWorld } from "../../fixtures/world/mod.ts";
import type { Document, Fact, Query } from "../../fixtures/world/mod.ts";
import type { StageDef } from "../run/stage.ts";
import { sha256Hex } from "../run/hash.ts";
import type { ResolvedManifest } from "../manifest/load_manifest.ts";
import { manifestPath, readUserWorld, summarizeUserWorld } from "./corpus_world.ts";

/**
 * Stage `world`: generates the synthetic pretraining world from the manifest's `world` and `queries`
 * settings. Writes `documents.jsonl` (one scored document with its ground truth per line),
 * `unscored.jsonl` (the rest of pretraining), `queries.jsonl`, `held_out.jsonl` (when `queries.heldOut`
 * asks for held-out prompts), `facts.json` and `summary.json`. Refuses a world in which a query's numbers leak into the corpus.
 *
 * With `corpus.path` (and `queries.path`), the manifest's own documents and queries instead, in the same
 * files ({@linkcode readUserWorld}: no facts, no unscored documents, procedures by keyword), so the later
 * stages run unchanged; `summary.json` then says `corpus: "user"`.
 */
export const worldStage: StageDef = {
  name: "world",
  version: 2,
  perSetup: false,
  deps: [],
  settings: (m) => m.corpus === undefined ? { world: m.world, queries: m.queries } : userWorldSettings(m),
  async run(ctx) {
    if (ctx.manifest.corpus !== undefined) {
      const user = await readUserWorld(ctx.manifest);
      await Deno.writeTextFile(join(ctx.outDir, "documents.jsonl"), toJsonl(user.documents));
      await Deno.writeTextFile(join(ctx.outDir, "unscored.jsonl"), "");
      await Deno.writeTextFile(join(ctx.outDir, "queries.jsonl"), toJsonl(user.queries));
      await Deno.writeTextFile(join(ctx.outDir, "facts.json"), "[]\n");
      const summary = summarizeUserWorld(user, Object.keys(ctx.manifest.corpus.procedureKeywords ?? {}));
      await Deno.writeTextFile(join(ctx.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
      return summary;
    }
    const world = generateWorld(ctx.manifest.world, ctx.manifest.queries);
    const leaks = findQueryLeaks(world);
    if (leaks.length > 0) {
      throw new Error(
        `The generated world leaks query numbers into the corpus: ${leaks.slice(0, 3).join("; ")}`,
      );
    }
    await Deno.writeTextFile(join(ctx.outDir, "documents.jsonl"), toJsonl(world.documents));
    await Deno.writeTextFile(join(ctx.outDir, "unscored.jsonl"), toJsonl(world.unscoredDocuments));
    await Deno.writeTextFile(join(ctx.outDir, "queries.jsonl"), toJsonl(world.queries));
    // Only when there are any, so a world without held-out prompts keeps its artifact's files.
    if (world.heldOut.length > 0) {
      await Deno.writeTextFile(join(ctx.outDir, "held_out.jsonl"), toJsonl(world.heldOut));
    }
    await Deno.writeTextFile(join(ctx.outDir, "facts.json"), JSON.stringify(world.facts, null, 1) + "\n");
    const summary = summarizeWorld(world);
    await Deno.writeTextFile(join(ctx.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    return summary;
  },
};

/** The world stage's settings for the manifest's own corpus: the files' contents (sha256), validated. */
async function userWorldSettings(m: ResolvedManifest): Promise<Record<string, unknown>> {
  await readUserWorld(m);
  const hash = async (path: string) => await sha256Hex(await Deno.readFile(manifestPath(m, path)));
  return {
    corpus: { sha256: await hash(m.corpus!.path), procedureKeywords: m.corpus!.procedureKeywords ?? {} },
    // format 2: a query file's own set names with their kinds, and the summary's queryGroups.
    queries: { sha256: await hash(m.queries.path!), format: 2 },
  };
}

function toJsonl(rows: readonly unknown[]): string {
  return rows.length === 0 ? "" : rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/**
 * Reads the world stage's outputs back.
 *
 * @param dir The world artifact folder.
 * @param options `unscored: true` also reads the unscored documents (large); otherwise they are `[]`.
 * @returns Documents, queries, held-out prompts (none when the world has none) and facts, as generated.
 */
export async function readWorldArtifact(
  dir: string,
  options: { unscored?: boolean } = {},
): Promise<
  { documents: Document[]; unscoredDocuments: Document[]; queries: Query[]; heldOut: Query[]; facts: Fact[] }
> {
  const lines = async (name: string) =>
    (await Deno.readTextFile(join(dir, name))).split("\n").filter((l) => l.length > 0).map((l) =>
      JSON.parse(l)
    );
  const optional = (name: string) =>
    lines(name).catch((e) => e instanceof Deno.errors.NotFound ? [] : Promise.reject(e));
  return {
    documents: await lines("documents.jsonl"),
    unscoredDocuments: options.unscored ? await lines("unscored.jsonl") : [],
    queries: await lines("queries.jsonl"),
    heldOut: await optional("held_out.jsonl"),
    facts: JSON.parse(await Deno.readTextFile(join(dir, "facts.json"))),
  };
}
