/**
 * Factors and query rows written per tracked module (docs/streaming.md): the layout the `factors` and
 * `query_gradients` stages write when a setup's memory plan streams modules (`deviceMemoryGiB`), so that
 * no stage holds every module's factors or rows at once. `factors/<layer>.safetensors` is a factors file
 * of one layer (`encodeFactors`, provenance included); `queries/<layer>.safetensors` holds that layer's
 * preconditioned rows `<layer>` and, when kept, its raw rows `raw.<layer>`. Every file is written with
 * `atomicWrite`: a failed run never leaves a partial one. Readers take either layout: the one-file
 * `factors.safetensors` / `queries.safetensors` of a resident run, or these folders.
 *
 * @module
 */

import { join } from "node:path";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import type { PreconditionFactors, TrackedLayer } from "../../engine/influence/mod.ts";
import type { FactorStore, ModuleFactors } from "../../engine/influence/pipeline/mod.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";
import {
  checkFactorsFor,
  decodeFactorModules,
  decodeFactors,
  encodeFactors,
  type FactorsProvenance,
} from "./factors_file.ts";

/** The folder of per-module factor files in a `factors` artifact. */
export const FACTOR_MODULES_DIR = "factors";
/** The folder of per-module query-row files in a `query_gradients` artifact. */
export const QUERY_MODULES_DIR = "queries";

/**
 * A module's file in a folder of per-module files.
 *
 * @param dir The folder.
 * @param name The tracked weight name.
 * @returns `<dir>/<name>.safetensors`.
 */
export function moduleFile(dir: string, name: string): string {
  return join(dir, `${name}.safetensors`);
}

/** Whether a path exists (a file or a folder). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * A {@linkcode FactorStore} of per-module factors files in a folder: each write replaces one module's file
 * atomically (with the provenance), each read decodes the modules asked for.
 */
export class FileFactorStore implements FactorStore {
  /** The folder. */
  readonly dir: string;
  readonly #provenance: FactorsProvenance;

  /**
   * A store in a folder (created at the first write).
   *
   * @param dir The folder.
   * @param provenance What the factors are fitted for, recorded in every file.
   */
  constructor(dir: string, provenance: FactorsProvenance) {
    this.dir = dir;
    this.#provenance = provenance;
  }

  /**
   * Writes one module's file atomically.
   *
   * @param name The tracked weight name.
   * @param factors Its factors (Λ absent until pass 2 is finished).
   */
  async write(name: string, factors: ModuleFactors): Promise<void> {
    const one = <T>(value: T | undefined) => new Map(value === undefined ? [] : [[name, value]]);
    const bytes = encodeFactors(
      { covariances: one(factors.covariance), eigen: one(factors.eigen), lambda: one(factors.lambda) },
      this.#provenance,
    );
    await atomicWrite(moduleFile(this.dir, name), bytes);
  }

  /**
   * Reads modules' files.
   *
   * @param names Tracked weight names.
   * @returns Their factors.
   * @throws {Error} When a file is missing or does not hold its module.
   */
  async read(names: readonly string[]): Promise<ReadonlyMap<string, ModuleFactors>> {
    const out = new Map<string, ModuleFactors>();
    for (const name of names) {
      const path = moduleFile(this.dir, name);
      const m = decodeFactorModules(await Deno.readFile(path), path).get(name);
      if (m === undefined) throw new Error(`Cannot read factors "${path}": it does not hold layer ${name}`);
      out.set(name, m);
    }
    return out;
  }
}

/** What a factors artifact was fitted for, as `checkFactorsFor` checks it (layers: the tracked ones). */
export type FactorsExpected = Parameters<typeof checkFactorsFor>[2];

/**
 * The factors of a `factors` artifact as a preconditioner reads them: the decoded `factors.safetensors`
 * (one file: resident), or a loader of the per-module files of the groups asked for. Each file is checked
 * against the model, the tokenizer and its layer (`checkFactorsFor`) when read.
 *
 * @param dir The artifact's folder.
 * @param expected The model, tokenizer and tracked layers, or null to check nothing (identity strategy).
 * @returns Resident factors or a loader.
 * @throws {Error} Naming the file, when a checked file was fitted for something else.
 */
export async function readFactorSource(
  dir: string,
  expected: FactorsExpected | null,
): Promise<PreconditionFactors | ((names: readonly string[]) => Promise<PreconditionFactors>)> {
  const whole = join(dir, "factors.safetensors");
  if (!(await exists(join(dir, FACTOR_MODULES_DIR))) || await exists(whole)) {
    const bytes = await Deno.readFile(whole);
    if (expected !== null) checkFactorsFor(whole, bytes, expected);
    return decodeFactors(bytes);
  }
  return async (names) => {
    const eigen = new Map(), lambda = new Map();
    for (const name of names) {
      const path = moduleFile(join(dir, FACTOR_MODULES_DIR), name);
      const bytes = await Deno.readFile(path);
      if (expected !== null) {
        checkFactorsFor(path, bytes, { ...expected, layers: expected.layers.filter((l) => l.name === name) });
      }
      const one = decodeFactors(bytes);
      eigen.set(name, one.eigen.get(name)), lambda.set(name, one.lambda.get(name));
    }
    return { eigen, lambda };
  };
}

/**
 * Every layer's factors of a `factors` artifact in memory, whichever its layout (for the stages that
 * hold them all: validation, counterfactual checks).
 *
 * @param dir The artifact's folder.
 * @param layers The tracked layers.
 * @returns Eigenbases and Λ/D per layer.
 */
export async function readAllFactors(
  dir: string,
  layers: readonly TrackedLayer[],
): Promise<Required<PreconditionFactors>> {
  const source = await readFactorSource(dir, null);
  const factors = typeof source === "function" ? await source(layers.map((l) => l.name)) : source;
  return { eigen: factors.eigen ?? new Map(), lambda: factors.lambda ?? new Map() };
}

/**
 * Writes one module group's query rows, one file per layer: `<layer>` F32 [rows, out, in] and, when
 * given, `raw.<layer>` F32 [raw rows, out, in].
 *
 * @param dir The folder.
 * @param layers The group's layers.
 * @param p Preconditioned (or plain) rows per layer.
 * @param rows Rows of `p`.
 * @param raw Raw rows per layer, and how many of their first rows to keep, or null.
 */
export async function writeQueryModules(
  dir: string,
  layers: readonly TrackedLayer[],
  p: ReadonlyMap<string, Float32Array>,
  rows: number,
  raw: { v: ReadonlyMap<string, Float32Array>; rows: number } | null,
): Promise<void> {
  for (const { name, outDim, inDim } of layers) {
    const tensors: Record<string, SafetensorsTensor> = {
      [name]: { dtype: "F32", shape: [rows, outDim, inDim], data: p.get(name)! },
    };
    if (raw !== null) {
      tensors[`raw.${name}`] = {
        dtype: "F32",
        shape: [raw.rows, outDim, inDim],
        data: raw.v.get(name)!.subarray(0, raw.rows * outDim * inDim),
      };
    }
    await atomicWrite(moduleFile(dir, name), writeSafetensors(tensors));
  }
}

/**
 * The rows of a `query_gradients` artifact (`""`: P, `"raw."`: V): every layer's from
 * `queries.safetensors` (resident), or a loader of the per-module files of the groups asked for.
 *
 * @param dir The artifact's folder.
 * @param prefix `""` or `"raw."`.
 * @param layers The tracked layers.
 * @returns Resident rows or a loader.
 * @throws {Error} Naming the file, when a tensor is missing or not F32.
 */
export async function readQueryRows(
  dir: string,
  prefix: "" | "raw.",
  layers: readonly TrackedLayer[],
): Promise<
  ReadonlyMap<string, Float32Array> | ((names: readonly string[]) => Promise<Map<string, Float32Array>>)
> {
  const pick = (path: string, bytes: Uint8Array, names: readonly string[]) => {
    const file = readSafetensors(bytes);
    return new Map(names.map((name) => {
      const t = file.tensors.get(`${prefix}${name}`);
      if (t?.dtype !== "F32") throw new Error(`${path} lacks F32 "${prefix}${name}"`);
      return [name, t.data as Float32Array];
    }));
  };
  const modules = join(dir, QUERY_MODULES_DIR);
  if (!(await exists(modules)) || await exists(join(dir, "queries.safetensors"))) {
    const path = join(dir, "queries.safetensors");
    return pick(path, await Deno.readFile(path), layers.map((l) => l.name));
  }
  return async (names) => {
    const out = new Map<string, Float32Array>();
    for (const name of names) {
      const path = moduleFile(modules, name);
      out.set(name, pick(path, await Deno.readFile(path), [name]).get(name)!);
    }
    return out;
  };
}
