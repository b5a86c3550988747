/**
 * Property-based tests of the harness against corrupted checkpoints: truncations, bit flips in the
 * safetensors header, wrong dtypes, shapes and offsets, missing and extra tensors, NaN and infinities,
 * bad config.json fields. Each must end in one line naming the file at fault, as a user error, with no
 * artifact written: the checkpoint is checked when the plan is made, before the world stage runs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { parseSafetensorsHeader, type SafetensorsTensor, writeSafetensors } from "../../engine/io/mod.ts";
import { initParams, parseLlamaConfig, saveCheckpoint } from "../../engine/model/mod.ts";
import { defaultTokenizer } from "../../fixtures/tokenizer/mod.ts";
import { parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { runPlan } from "../../experiments/run/run_plan.ts";
import { UserError } from "../../experiments/run/user_error.ts";
import { STAGES } from "../../experiments/stages/mod.ts";
import { cli } from "./cli_process.ts";

const quiet = { log: () => {}, progressSink: { write: () => {}, isTerminal: false } };
/** Only the stages up to the model: a checkpoint wrongly accepted costs a tiny world, not a study. */
const EARLY_STAGES = STAGES.filter((s) => ["world", "tokenize", "model"].includes(s.name));

const CONFIG = {
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: defaultTokenizer().vocabSize,
  max_position_embeddings: 320,
  tie_word_embeddings: true,
};
const GOOD = saveCheckpoint(parseLlamaConfig(CONFIG), initParams(parseLlamaConfig(CONFIG), 7));
const TENSORS: [string, SafetensorsTensor][] = [
  ...parseTensors(GOOD.bytes),
];
const HEADER = parseSafetensorsHeader(GOOD.bytes);

function parseTensors(bytes: Uint8Array): [string, SafetensorsTensor][] {
  const header = parseSafetensorsHeader(bytes);
  return header.entries.map((e) => {
    const raw = bytes.slice(header.dataStart + e.begin, header.dataStart + e.end);
    return [e.name, { dtype: "F32", shape: e.shape, data: new Float32Array(raw.buffer) }];
  });
}

function manifestText(dir: string): string {
  return JSON.stringify({
    experiment: "fuzz",
    world: { documents: 300, facts: { count: 10 } },
    queries: { factualPool: 6, arithmetic: 2, slopes: 2, linear: 2, factualControl: 0, reasoningControl: 0 },
    setups: { "7B": { checkpoint: dir } },
  });
}

/** A corrupted checkpoint: the two files' bytes. */
interface Files {
  config: string;
  weights: Uint8Array;
}

const withTensors = (edit: (tensors: Map<string, SafetensorsTensor>) => void): Files => {
  const tensors = new Map(TENSORS.map(([n, t]) => [n, { ...t, data: t.data.slice() } as SafetensorsTensor]));
  edit(tensors);
  return { config: GOOD.configJson, weights: writeSafetensors(tensors) };
};
const withConfig = (edit: (c: Record<string, unknown>) => void): Files => {
  const c: Record<string, unknown> = JSON.parse(GOOD.configJson);
  edit(c);
  return { config: JSON.stringify(c), weights: GOOD.bytes };
};
const withHeader = (edit: (h: Record<string, { data_offsets: number[] }>) => void): Files => {
  const json = JSON.parse(new TextDecoder().decode(GOOD.bytes.subarray(8, HEADER.dataStart)));
  edit(json);
  return { config: GOOD.configJson, weights: withHeaderText(JSON.stringify(json)) };
};
function withHeaderText(text: string | Uint8Array): Uint8Array {
  const header = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const out = new Uint8Array(8 + header.length + GOOD.bytes.length - HEADER.dataStart);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(GOOD.bytes.subarray(HEADER.dataStart), 8 + header.length);
  return out;
}

const tensorIndex = fc.integer({ min: 0, max: TENSORS.length - 1 });
const name = (i: number) => TENSORS[i][0];

/** Every kind of corruption, each one always invalid. */
const corrupted: fc.Arbitrary<{ kind: string; files: Files }> = fc.oneof(
  fc.integer({ min: 0, max: GOOD.bytes.length - 1 }).map((n) => ({
    kind: `weights truncated to ${n} bytes`,
    files: { config: GOOD.configJson, weights: GOOD.bytes.slice(0, n) },
  })),
  fc.record({ at: fc.integer({ min: 0, max: HEADER.dataStart - 1 }), bit: fc.integer({ min: 0, max: 7 }) })
    .map(({ at, bit }) => {
      const weights = GOOD.bytes.slice();
      weights[at] ^= 1 << bit;
      return { kind: `bit ${bit} of header byte ${at} flipped`, files: { config: GOOD.configJson, weights } };
    }),
  fc.record({
    t: tensorIndex,
    at: fc.nat(),
    value: fc.constantFrom(NaN, Infinity, -Infinity),
    dtype: fc.constantFrom("F32", "F16", "BF16"),
  }).map(({ t, at, value, dtype }) => ({
    kind: `${value} in ${dtype} tensor ${name(t)}`,
    files: withTensors((m) => {
      const tensor = m.get(name(t))! as { data: Float32Array; dtype: string };
      tensor.data[at % tensor.data.length] = value;
      tensor.dtype = dtype;
    }),
  })),
  fc.record({ t: tensorIndex, dtype: fc.constantFrom("I32", "F64", "U8", "I64") }).map(({ t, dtype }) => ({
    kind: `tensor ${name(t)} as ${dtype}`,
    files: withTensors((m) => {
      const { shape, data } = m.get(name(t))!;
      const n = data.length;
      const typed = dtype === "I32"
        ? new Int32Array(n)
        : dtype === "F64"
        ? new Float64Array(n)
        : dtype === "U8"
        ? new Uint8Array(n)
        : new BigInt64Array(n);
      m.set(name(t), { dtype, shape, data: typed } as SafetensorsTensor);
    }),
  })),
  fc.record({ t: tensorIndex, how: fc.constantFrom("grow", "extra-dim", "flat") }).map(({ t, how }) => ({
    kind: `tensor ${name(t)} shape ${how}`,
    files: withTensors((m) => {
      const { shape } = m.get(name(t))!;
      const next = how === "grow"
        ? [shape[0] + 1, ...shape.slice(1)]
        : how === "extra-dim"
        ? [1, ...shape]
        : [shape.reduce((a, b) => a * b, 1) * (shape.length === 1 ? 2 : 1)];
      const size = next.reduce((a, b) => a * b, 1);
      m.set(name(t), { dtype: "F32", shape: next, data: new Float32Array(size) });
    }),
  })),
  tensorIndex.map((t) => ({
    kind: `tensor ${name(t)} missing`,
    files: withTensors((m) => m.delete(name(t))),
  })),
  fc.constantFrom("model.layers.1.mlp.up_proj.weight", "lm_head.weight", "extra").map((extra) => ({
    kind: `extra tensor ${extra}`,
    files: withTensors((m) =>
      m.set(extra, {
        dtype: "F32",
        shape: [CONFIG.vocab_size, 16],
        data: new Float32Array(CONFIG.vocab_size * 16),
      })
    ),
  })),
  fc.record({
    t: tensorIndex,
    shift: fc.integer({ min: -64, max: 64 }).filter((x) => x !== 0),
    end: fc.boolean(),
  })
    .map(({ t, shift, end }) => ({
      kind: `data_offsets of ${name(t)} ${end ? "end" : "begin"} shifted by ${shift}`,
      files: withHeader((h) => {
        const offsets = h[name(t)].data_offsets;
        offsets[end ? 1 : 0] = Math.max(0, offsets[end ? 1 : 0] + shift);
      }),
    })),
  fc.constant({
    kind: "a byte-order mark before the header",
    files: {
      config: GOOD.configJson,
      weights: withHeaderText(
        new Uint8Array([0xef, 0xbb, 0xbf, ...GOOD.bytes.subarray(8, HEADER.dataStart)]),
      ),
    },
  }),
  fc.bigInt({ min: BigInt(HEADER.dataStart), max: 1n << 63n }).map((length) => {
    const weights = GOOD.bytes.slice();
    new DataView(weights.buffer).setBigUint64(0, length, true);
    return { kind: `header length ${length}`, files: { config: GOOD.configJson, weights } };
  }),
  fc.integer({ min: 1, max: 257 }).map((n) => ({
    kind: `max_position_embeddings ${n}`,
    files: withConfig((c) => (c.max_position_embeddings = n)),
  })),
  fc.integer({ min: 1, max: 1000 }).filter((n) => n !== CONFIG.vocab_size).map((n) => ({
    kind: `vocab_size ${n}`,
    files: withConfig((c) => (c.vocab_size = n)),
  })),
  fc.record({
    field: fc.constantFrom("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"),
    value: fc.oneof(
      fc.constantFrom(0, -1, 2.5, "16", null, true, [16], 2 ** 40),
      fc.integer({ min: 1, max: 64 }),
    ),
  }).filter(({ field, value }) => value !== (CONFIG as Record<string, unknown>)[field]).map((
    { field, value },
  ) => ({
    kind: `config.json ${field}=${JSON.stringify(value)}`,
    files: withConfig((c) => (c[field] = value)),
  })),
  fc.integer({ min: 0, max: GOOD.configJson.trim().length - 1 }).map((n) => ({
    kind: `config.json truncated to ${n} characters`,
    files: { config: GOOD.configJson.slice(0, n), weights: GOOD.bytes },
  })),
);

/**
 * Writes the files into a fresh checkpoint folder, plans a run on it and returns the error, checking
 * that nothing was written into the stage cache.
 */
async function refusal(files: Files): Promise<{ error: unknown; dir: string }> {
  const root = await Deno.makeTempDir({ prefix: "ckpt-fuzz-" });
  const dir = join(root, "ckpt");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "config.json"), files.config);
  await Deno.writeFile(join(dir, "model.safetensors"), files.weights);
  const cache = join(root, "cache");
  let error: unknown = null;
  try {
    const manifest = parseManifest(manifestText(dir), { file: join(root, "m.jsonc") });
    await runPlan(manifest, EARLY_STAGES, { cacheRoot: cache, ...quiet });
  } catch (e) {
    error = e;
  }
  const cacheWritten = await Deno.stat(cache).then(() => true, () => false);
  await Deno.remove(root, { recursive: true });
  assert.equal(cacheWritten, false, "no stage cache, no artifact");
  return { error, dir };
}

function assertOneLine(error: unknown, dir: string, kind: string): void {
  assert.ok(error instanceof UserError, `${kind}: expected a UserError, got ${error}`);
  const message = error.message;
  assert.doesNotMatch(message, /\n/, `${kind}: one line`);
  assert.match(
    message,
    /^Cannot load the model of setup 7B( from "[^"]+"|: "[^"]+")/,
    `${kind}: names the setup and the file: ${message}`,
  );
  assert.ok(
    message.includes(join(dir, "config.json")) || message.includes(join(dir, "model.safetensors")),
    `${kind}: names config.json or model.safetensors: ${message}`,
  );
}

Deno.test("the uncorrupted checkpoint plans (so every refusal below is the corruption's)", async () => {
  const root = await Deno.makeTempDir();
  const dir = join(root, "ckpt");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "config.json"), GOOD.configJson);
  await Deno.writeFile(join(dir, "model.safetensors"), GOOD.bytes);
  const plan = await runPlan(
    parseManifest(manifestText(dir), { file: join(root, "m.jsonc") }),
    EARLY_STAGES,
    { cacheRoot: join(root, "cache"), dryRun: true, ...quiet },
  );
  assert.deepEqual(plan.entries.map((e) => e.status), ["run", "run", "run"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("120 corrupted checkpoints: each refused in one line naming the file, before any artifact", async () => {
  await fc.assert(
    // Counterexamples print as their kind, not as the file's bytes.
    fc.asyncProperty(
      corrupted.map((c) => ({ ...c, [fc.toStringMethod]: () => c.kind })),
      async ({ kind, files }) => {
        const { error, dir } = await refusal(files);
        assertOneLine(error, dir, kind);
      },
    ),
    { numRuns: 120, seed: 20261207 },
  );
});

Deno.test("NaN, infinity and a short context are refused with the tensor's name or the field", async () => {
  const nan = await refusal(withTensors((m) => {
    (m.get("model.layers.0.mlp.up_proj.weight")!.data as Float32Array)[5] = NaN;
  }));
  assert.equal(
    (nan.error as Error).message,
    `Cannot load the model of setup 7B from "${join(nan.dir, "model.safetensors")}": tensor ` +
      `"model.layers.0.mlp.up_proj.weight" holds NaN at index 5 of 384; every weight must be finite`,
  );
  const context = await refusal(withConfig((c) => (c.max_position_embeddings = 8)));
  assert.equal(
    (context.error as Error).message,
    `Cannot load the model of setup 7B from "${join(context.dir, "config.json")}": max_position_embeddings ` +
      `must be >= world.maxDocChars + 2 (258) to hold a document with BOS and EOS, got 8`,
  );
  const bom = await refusal({
    config: GOOD.configJson,
    weights: withHeaderText(new Uint8Array([0xef, 0xbb, 0xbf, ...GOOD.bytes.subarray(8, HEADER.dataStart)])),
  });
  assert.equal(
    (bom.error as Error).message,
    `Cannot load the model of setup 7B from "${join(bom.dir, "model.safetensors")}": header starts with ` +
      `a UTF-8 byte-order mark, expected "{"`,
  );
});

Deno.test("a checkpoint path of the wrong kind is named with what was expected", async () => {
  const root = await Deno.makeTempDir();
  const plan = (checkpoint: string) =>
    runPlan(
      parseManifest(manifestText(checkpoint), { file: join(root, "m.jsonc") }),
      EARLY_STAGES,
      { cacheRoot: join(root, "cache"), dryRun: true, ...quiet },
    );
  const file = join(root, "file");
  await Deno.writeTextFile(file, "x");
  await assert.rejects(
    () => plan(file),
    new UserError(
      `Cannot load the model of setup 7B: "${file}" is a file, expected a folder holding config.json and ` +
        `model.safetensors`,
    ),
  );
  const folders = join(root, "folders");
  await Deno.mkdir(join(folders, "config.json"), { recursive: true });
  await assert.rejects(
    () => plan(folders),
    new UserError(
      `Cannot load the model of setup 7B: "${join(folders, "config.json")}" is a folder, expected a file`,
    ),
  );
  const loop = join(root, "loop");
  await Deno.symlink(loop, loop);
  await assert.rejects(
    () => plan(loop),
    new UserError(`Cannot load the model of setup 7B: "${loop}" is a symbolic link loop, expected a folder`),
  );
  const under = join(file, "sub");
  await assert.rejects(
    () => plan(under),
    new UserError(`Cannot load the model of setup 7B: "${under}" lies under a file, expected a folder`),
  );
  assert.equal(await Deno.stat(join(root, "cache")).then(() => true, () => false), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("experiment: a corrupted checkpoint ends with one line and exit 1, dry run or not", async () => {
  const root = await Deno.makeTempDir();
  const dir = join(root, "ckpt");
  await Deno.mkdir(dir);
  const files = withTensors((m) => {
    (m.get("model.norm.weight")!.data as Float32Array)[0] = Infinity;
  });
  await Deno.writeTextFile(join(dir, "config.json"), files.config);
  await Deno.writeFile(join(dir, "model.safetensors"), files.weights);
  const manifest = join(root, "m.jsonc");
  await Deno.writeTextFile(manifest, manifestText(dir));
  const expected =
    `error: Cannot load the model of setup 7B from "${join(dir, "model.safetensors")}": tensor ` +
    `"model.norm.weight" holds Infinity at index 0 of 16; every weight must be finite\n`;
  for (const dry of [["--dry-run"], []]) {
    const r = await cli("experiment", [
      manifest,
      ...dry,
      "--cache",
      join(root, "cache"),
      "--out",
      join(root, "r"),
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, expected);
  }
  assert.deepEqual(
    [...Deno.readDirSync(root)].map((e) => e.name).sort(),
    ["ckpt", "m.jsonc"],
    "nothing written",
  );
  await Deno.remove(root, { recursive: true });
});
