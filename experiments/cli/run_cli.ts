import { ManifestError } from "../manifest/manifest_error.ts";
import { UserError } from "../run/user_error.ts";

/**
 * Runs a command-line entry point: a user error (bad manifest, bad flag, missing file, no adapter)
 * prints its message alone and exits 1; anything else is a bug and prints its stack, exit 2.
 *
 * @param main The command's body; its resolved number is the exit status.
 */
export async function runCli(main: () => Promise<number>): Promise<never> {
  quietVulkanLoader();
  try {
    Deno.exit(await main());
  } catch (error) {
    if (isUserError(error)) {
      console.error(`error: ${(error as Error).message}`);
      Deno.exit(1);
    }
    console.error("Internal error (a bug; please report it with this trace):");
    console.error(error);
    Deno.exit(2);
  }
}

function isUserError(error: unknown): boolean {
  if (error instanceof ManifestError || error instanceof UserError) return true;
  // Errors thrown by node:util parseArgs for unknown or malformed flags.
  const code = (error as { code?: string })?.code;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) return true;
  // The engine's error for a missing or insufficient WebGPU adapter.
  return (error as Error)?.name === "GpuUnavailableError";
}

/** Vulkan drivers warn on stderr when XDG_RUNTIME_DIR is unset; give them a private folder instead. */
function quietVulkanLoader(): void {
  if (Deno.env.get("XDG_RUNTIME_DIR")) return;
  try {
    Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "xdg-" }));
  } catch {
    // Without env or write permission the warning is printed; it is harmless.
  }
}
