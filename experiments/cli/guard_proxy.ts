import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../run/user_error.ts";
import { checkpointDir } from "../train/proxy_files.ts";
import type { SetupCommand } from "./setup_command.ts";

/** The folder of the committed proxies (`fixtures/proxies/`). */
export const COMMITTED_PROXIES = fileURLToPath(new URL("../../fixtures/proxies/", import.meta.url));

/**
 * Refuses to train into a setup's checkpoint folder (the manifest's `checkpoint`, no `--out`, no
 * `--force`) when it lies under `fixtures/proxies/` and already holds a finished proxy (`training.json`
 * with status "trained" and no `train_state.safetensors`): the committed proxies are what the default
 * study loads. An unfinished training there (status "in-training", or a training state) still resumes.
 *
 * @param command The loaded manifest and setup, `--out` and `--force`.
 * @param proxiesRoot The protected folder (default {@link COMMITTED_PROXIES}).
 * @throws {UserError} When the training would overwrite a finished proxy under the protected folder.
 */
export async function refuseFinishedProxy(
  command: Pick<SetupCommand, "manifest" | "setup" | "out" | "force">,
  proxiesRoot: string = COMMITTED_PROXIES,
): Promise<void> {
  if (command.out !== undefined || command.force) return;
  const out = checkpointDir(command.manifest, command.setup);
  if (out === null) return;
  const inside = relative(resolve(proxiesRoot), resolve(out));
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return;
  const record = await Deno.readTextFile(join(out, "training.json")).then(
    (t) => JSON.parse(t) as { status?: unknown },
    () => null,
  );
  if (record?.status !== "trained") return;
  const unfinished = await Deno.stat(join(out, "train_state.safetensors")).then(() => true, () => false);
  if (unfinished) return;
  throw new UserError(
    `"${out}" already holds the finished proxy of setup ${command.setup.name} (training.json status ` +
      `"trained"); pass --force to retrain it in place, or --out DIR to train elsewhere`,
  );
}
