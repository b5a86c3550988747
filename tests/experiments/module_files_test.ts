import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSafetensors } from "../../engine/io/mod.ts";
import type { ModuleFactors } from "../../engine/influence/pipeline/mod.ts";
import { encodeFactors } from "../../experiments/influence/factors_file.ts";
import {
  FACTOR_MODULES_DIR,
  FileFactorStore,
  moduleFile,
  QUERY_MODULES_DIR,
  readAllFactors,
  readFactorSource,
  readQueryRows,
  writeQueryModules,
} from "../../experiments/influence/module_files.ts";

const provenance = { modelSha256: "a".repeat(64), tokenizerSha256: "b".repeat(64), settings: "{}" };
const layers = [
  { name: "model.layers.0.mlp.up_proj.weight", outDim: 3, inDim: 2 },
  { name: "model.layers.0.mlp.down_proj.weight", outDim: 2, inDim: 3 },
];
const values = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + i));

/** One module's factors with distinct values; Λ only when asked. */
function module(
  { name, outDim, inDim }: typeof layers[number],
  withLambda: boolean,
  seed: number,
): ModuleFactors {
  const shape = { name, outDim, inDim };
  const accuracy = { sweeps: 3, orthogonalityError: 1e-15, reconstructionError: 2e-15 };
  return {
    covariance: {
      ...shape,
      a: values(inDim ** 2, seed),
      s: values(outDim ** 2, seed + 1),
      tokens: 40,
      sequences: 8,
      blocks: 1,
    },
    eigen: {
      ...shape,
      qa: values(inDim ** 2, seed + 2),
      aValues: values(inDim, seed + 3),
      qs: values(outDim ** 2, seed + 4),
      sValues: values(outDim, seed + 5),
      tokens: 40,
      sequences: 8,
      accuracy: { a: accuracy, s: accuracy },
    },
    ...(withLambda
      ? {
        lambda: {
          ...shape,
          lambda: values(outDim * inDim, seed + 6),
          diagonal: values(outDim * inDim, seed + 7),
          sequences: 8,
        },
      }
      : {}),
  };
}

Deno.test("FileFactorStore: each module's file round-trips, with and without Λ, and is a factors file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new FileFactorStore(join(dir, FACTOR_MODULES_DIR), provenance);
    const [up, down] = [module(layers[0], false, 1), module(layers[1], true, 2)];
    await store.write(layers[0].name, up);
    await store.write(layers[1].name, down);
    assert.deepEqual(await store.read([layers[0].name]), new Map([[layers[0].name, up]]));
    // Λ added later replaces the file.
    const complete = module(layers[0], true, 1);
    await store.write(layers[0].name, complete);
    const back = await store.read(layers.map((l) => l.name));
    assert.deepEqual([...back.values()], [complete, down]);
    // A module's file is the one-file layout's encoding of that module alone.
    assert.deepEqual(
      await Deno.readFile(moduleFile(store.dir, layers[1].name)),
      encodeFactors({
        covariances: new Map([[layers[1].name, down.covariance]]),
        eigen: new Map([[layers[1].name, down.eigen]]),
        lambda: new Map([[layers[1].name, down.lambda!]]),
      }, provenance),
    );
    // The per-module layout reads back as the one-file layout would: by group, or all at once.
    const expected = {
      modelSha256: provenance.modelSha256,
      tokenizerSha256: provenance.tokenizerSha256,
      layers,
    };
    const source = await readFactorSource(dir, expected);
    assert.equal(typeof source, "function");
    const group =
      await (source as (n: readonly string[]) => Promise<{ lambda?: ReadonlyMap<string, unknown> }>)([
        layers[1].name,
      ]);
    assert.deepEqual([...group.lambda!.keys()], [layers[1].name]);
    const all = await readAllFactors(dir, layers);
    assert.deepEqual(all.lambda.get(layers[0].name), complete.lambda);
    // Fitted for another model: refused when the group is read, naming the module's file.
    const other = await readFactorSource(dir, { ...expected, modelSha256: "c".repeat(64) });
    await assert.rejects(
      () => (other as (n: readonly string[]) => Promise<unknown>)([layers[0].name]),
      new RegExp(`^Error: Cannot use factors ".*/factors/${layers[0].name}\\.safetensors": fitted for model`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileFactorStore: a write that fails leaves no partial file, the modules before it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new FileFactorStore(dir, provenance);
    const first = module(layers[0], true, 1);
    await store.write(layers[0].name, first);
    // The second module's path is a folder holding a file: the rename of the written bytes fails.
    await Deno.mkdir(moduleFile(dir, layers[1].name));
    await Deno.writeTextFile(join(moduleFile(dir, layers[1].name), "x"), "x");
    await assert.rejects(() => store.write(layers[1].name, module(layers[1], true, 2)));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), [`${layers[1].name}.safetensors`, `${layers[0].name}.safetensors`].sort());
    assert.ok(!names.some((n) => n.includes(".tmp-")));
    assert.deepEqual(await store.read([layers[0].name]), new Map([[layers[0].name, first]]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readQueryRows() reads one queries.safetensors or per-module files alike", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = 2;
    const p = new Map(
      layers.map((l, i) => [l.name, Float32Array.from(values(rows * l.outDim * l.inDim, i))]),
    );
    const v = new Map(
      layers.map((l, i) => [l.name, Float32Array.from(values(rows * l.outDim * l.inDim, 9 + i))]),
    );
    const one = join(dir, "one"), many = join(dir, "many");
    await Deno.mkdir(one);
    const tensors = Object.fromEntries([
      ...layers.map((
        l,
      ) => [l.name, { dtype: "F32" as const, shape: [rows, l.outDim, l.inDim], data: p.get(l.name)! }]),
      ...layers.map((
        l,
      ) => [`raw.${l.name}`, {
        dtype: "F32" as const,
        shape: [1, l.outDim, l.inDim],
        data: v.get(l.name)!.subarray(0, l.outDim * l.inDim),
      }]),
    ]);
    await Deno.writeFile(join(one, "queries.safetensors"), writeSafetensors(tensors));
    await writeQueryModules(join(many, QUERY_MODULES_DIR), [layers[0]], p, rows, { v, rows: 1 });
    await writeQueryModules(join(many, QUERY_MODULES_DIR), [layers[1]], p, rows, { v, rows: 1 });
    const resident = await readQueryRows(one, "", layers);
    const loader = await readQueryRows(many, "", layers);
    assert.ok(resident instanceof Map && typeof loader === "function");
    assert.deepEqual(await loader([layers[1].name]), new Map([[layers[1].name, p.get(layers[1].name)]]));
    const raw = await readQueryRows(many, "raw.", layers) as (n: readonly string[]) => Promise<unknown>;
    const rawOne = await readQueryRows(one, "raw.", layers) as Map<string, Float32Array>;
    assert.deepEqual(await raw([layers[0].name]), new Map([[layers[0].name, rawOne.get(layers[0].name)]]));
    assert.deepEqual(rawOne.get(layers[0].name), v.get(layers[0].name)!.subarray(0, 6));
    await assert.rejects(() => loader(["model.layers.9.mlp.up_proj.weight"]), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
