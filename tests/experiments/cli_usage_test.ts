/**
 * The commands as written: every example in their `--help` texts and in the README runs; bad flags,
 * missing arguments and unusable folders end with one line before anything runs; `train` keeps a
 * finished proxy under fixtures/proxies/ unless told otherwise.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { refuseFinishedProxy } from "../../experiments/cli/guard_proxy.ts";
import { parseManifest } from "../../experiments/manifest/load_manifest.ts";
import { checkOutputFolder } from "../../experiments/run/output_folder.ts";
import { UserError } from "../../experiments/run/user_error.ts";
import { cli } from "./cli_process.ts";

const COMMANDS = ["experiment", "train", "export", "report"];

/** The runnable `deno task experiment …` commands and `--set` examples of the README (those with names to fill in, such as MANIFEST or SMALL_DIR, are run by their own tests). */
async function readmeExamples(): Promise<string[][]> {
  const readme = await Deno.readTextFile("README.md");
  const commands = [
    ...readme.matchAll(/`deno task experiment([^`]*)`/g),
    ...readme.matchAll(/^deno task experiment(.*?)(?:\s+#.*)?$/gm),
  ].map((m) => m[1].trim());
  const sets = [...readme.matchAll(/`(--set [^`]+)`/g)].map((m) => m[1]).filter((s) => !/PATH|VALUE/.test(s));
  const concrete = commands.filter((c) => !/[A-Z]{3,}|[[\]|…<]/.test(c));
  return [...concrete, ...sets].map((c) => c.split(/\s+/).filter((x) => x !== ""));
}

/** `--set PATH=VALUE` examples written in the commands' help texts. */
async function helpExamples(): Promise<string[][]> {
  const out: string[][] = [];
  for (const command of COMMANDS) {
    const help = await cli(command, ["--help"]);
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, /^Usage: deno task /, command);
    for (const m of help.stdout.matchAll(/--set ([^\s=]+=[^\s,)]*[^\s,).])/g)) {
      if (!/PATH|VALUE/.test(m[1])) out.push(["--set", m[1]]);
    }
  }
  return out;
}

Deno.test("every example in the README and the --help texts runs (as a dry run)", async () => {
  const all = [...await readmeExamples(), ...await helpExamples()];
  const examples = [...new Map(all.map((e) => [e.join(" "), e])).values()];
  assert.ok(examples.length >= 8, `found ${examples.length} examples`);
  assert.ok(
    examples.some((e) => e.join(" ") === "--set setupDefaults.influence.strategy=kfac"),
    "the experiment help's example",
  );
  const root = await Deno.makeTempDir();
  for (const args of examples) {
    const r = await cli("experiment", [
      ...args,
      "--dry-run",
      "--cache",
      join(root, "cache"),
      "--out",
      join(root, "reports"),
    ]);
    assert.equal(r.code, 0, `deno task experiment ${args.join(" ")} --dry-run: ${r.stderr}`);
    assert.match(r.stdout, /^world\s+(run|cached)/m, args.join(" "));
  }
  assert.equal(
    await Deno.stat(join(root, "cache")).then(() => true, () => false),
    false,
    "a dry run writes nothing",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("an unknown or misused flag is one line naming it, with a pointer to --help", async () => {
  for (const command of COMMANDS) {
    const r = await cli(command, ["--frobnicate"]);
    assert.equal(r.code, 1, command);
    assert.equal(r.stderr, "error: Unknown flag --frobnicate; see --help\n", command);
  }
  const typo = await cli("experiment", ["--dryrun"]);
  assert.equal(typo.stderr, "error: Unknown flag --dryrun (did you mean --dry-run?); see --help\n");
  const missing = await cli("experiment", ["--set"]);
  assert.equal(missing.stderr, "error: Flag --set needs a value; see --help\n");
  const value = await cli("experiment", ["--dry-run=yes"]);
  assert.equal(value.stderr, "error: Flag --dry-run takes no value; see --help\n");
});

Deno.test("report without arguments, and export without --out, say what they need before running", async () => {
  const report = await cli("report", []);
  assert.equal(report.code, 1);
  assert.equal(
    report.stderr,
    'error: Expected "diff A B" (two report folders to compare), got no arguments; see --help\n',
  );
  const half = await cli("report", ["diff", "a"]);
  assert.equal(
    half.stderr,
    'error: Expected "diff A B" (two report folders to compare), got "diff a"; see --help\n',
  );
  const root = await Deno.makeTempDir();
  const exported = await cli("export", ["--setup", "7B", "--cache", join(root, "cache")]);
  assert.equal(exported.code, 1);
  assert.equal(exported.stderr, "error: --out DIR is required: the folder to export into; see --help\n");
  assert.deepEqual([...Deno.readDirSync(root)], [], "no stage ran");
  await Deno.remove(root, { recursive: true });
});

Deno.test("--out and --cache that are files, or lie under one, are refused before anything runs", async () => {
  const root = await Deno.makeTempDir();
  const file = join(root, "file");
  await Deno.writeTextFile(file, "x");
  for (const flag of ["--cache", "--out"]) {
    const r = await cli("experiment", ["--dry-run", flag, file]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: ${flag} "${file}" must be a folder or not exist yet, but it is a file\n`);
  }
  const under = join(file, "sub");
  const r = await cli("export", ["--setup", "7B", "--out", under, "--cache", join(root, "cache")]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `error: --out "${under}" must be a folder or not exist yet, but "${file}" is a file\n`,
  );
  const loop = join(root, "loop");
  await Deno.symlink(loop, loop);
  await assert.rejects(
    () => checkOutputFolder(loop, "--cache"),
    new UserError(`--cache "${loop}": "${loop}" is a symbolic link loop, expected a folder`),
  );
  await checkOutputFolder(join(root, "new", "folder"), "--cache");
  await checkOutputFolder(root, "--cache");
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["file", "loop"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("train refuses to overwrite a finished proxy under fixtures/proxies/ without --force or --out", async () => {
  const root = await Deno.makeTempDir();
  const proxies = join(root, "fixtures", "proxies");
  const folder = join(proxies, "7B");
  await Deno.mkdir(folder, { recursive: true });
  const manifest = parseManifest(
    JSON.stringify({ experiment: "x", setups: { "7B": { checkpoint: "fixtures/proxies/7B" }, other: {} } }),
    { file: join(root, "m.jsonc") },
  );
  const [setup, untrained] = manifest.setups;
  const check = (extra: { out?: string; force?: boolean } = {}) =>
    refuseFinishedProxy({ manifest, setup, out: extra.out, force: extra.force ?? false }, proxies);
  await check(); // no training.json yet: a first training
  await Deno.writeTextFile(join(folder, "training.json"), JSON.stringify({ status: "in-training" }));
  await check(); // an unfinished training resumes
  await Deno.writeTextFile(join(folder, "training.json"), JSON.stringify({ status: "trained" }));
  await assert.rejects(
    () => check(),
    new UserError(
      `"${folder}" already holds the finished proxy of setup 7B (training.json status "trained"); ` +
        `pass --force to retrain it in place, or --out DIR to train elsewhere`,
    ),
  );
  await check({ force: true });
  await check({ out: join(root, "elsewhere") });
  await refuseFinishedProxy({ manifest, setup: untrained, out: undefined, force: false }, proxies);
  await refuseFinishedProxy({ manifest, setup, out: undefined, force: false }, join(root, "other-root"));
  await Deno.writeTextFile(join(folder, "train_state.safetensors"), "");
  await check(); // a training state: it resumes
  await Deno.remove(root, { recursive: true });
});

Deno.test("train --help names --force", async () => {
  const r = await cli("train", ["--help"]);
  assert.match(
    r.stdout,
    /--force retrains into a folder under fixtures\/proxies\/ that already holds a finished proxy/,
  );
});
