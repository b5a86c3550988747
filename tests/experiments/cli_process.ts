/**
 * Test helper: runs one of the harness's commands (`experiments/cli/<script>.ts`) as a child process, the
 * way a user would, and collects its exit code and output.
 *
 * @module
 */

/** Exit code and decoded output of a finished command. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno run --no-check -A experiments/cli/<script>.ts ...args` and waits for it.
 *
 * @param script Command file name without `.ts` (`experiment`, `train`, `export`, `report`).
 * @param args Its arguments.
 * @returns Exit code, stdout and stderr.
 */
export async function cli(script: string, args: string[]): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", "-A", `experiments/cli/${script}.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
