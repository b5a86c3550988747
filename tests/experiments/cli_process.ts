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
  const out = await command(script, args, "piped").output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Starts `deno run --no-check -A experiments/cli/<script>.ts ...args` without waiting for it (e.g. to kill
 * it part-way); its output is discarded.
 *
 * @param script Command file name without `.ts`.
 * @param args Its arguments.
 * @returns The running process.
 */
export function spawnCli(script: string, args: string[]): Deno.ChildProcess {
  return command(script, args, "null").spawn();
}

function command(script: string, args: string[], output: "piped" | "null"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-check", "-A", `experiments/cli/${script}.ts`, ...args],
    stdout: output,
    stderr: output,
  });
}
