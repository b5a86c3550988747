import { parseArgs } from "node:util";
import { diffReports, formatReportDiff } from "../../reports/render/mod.ts";
import { UserError } from "../run/user_error.ts";
import { runCli } from "./run_cli.ts";

const HELP = `Usage: deno task report diff A B

Compares two report folders (each holding report.json): schema compatibility, manifest settings,
provenance, stage timings and every figure that changed.

  --tolerance X   relative change below which figures count as unchanged (default 1e-9)
  -h, --help      show this help
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { tolerance: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, a, b, ...rest] = positionals;
  if (command !== "diff" || !a || !b || rest.length > 0) {
    throw new UserError(
      `Expected "report diff A B" with two report folders, got "report ${positionals.join(" ")}"`,
    );
  }
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(tolerance >= 0)) {
    throw new UserError(`--tolerance must be a non-negative number, got "${values.tolerance}"`);
  }
  let diff;
  try {
    diff = await diffReports(a, b, { tolerance });
  } catch (error) {
    if ((error as Error).message?.startsWith("Cannot read report")) {
      throw new UserError((error as Error).message);
    }
    throw error;
  }
  console.log(formatReportDiff(diff));
  return 0;
}

if (import.meta.main) await runCli(main);
