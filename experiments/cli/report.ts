import { diffReports, formatReportDiff } from "../../reports/render/mod.ts";
import { UserError } from "../run/user_error.ts";
import { parseFlags } from "./parse_flags.ts";
import { runCli } from "./run_cli.ts";

const HELP = `Usage: deno task report diff A B

Compares two report folders (each holding report.json): schema compatibility, manifest settings,
provenance, stage timings and every figure that changed.

  --rtol X        relative change below which figures count as unchanged (default 1e-9)
  --atol X        absolute change below which figures count as unchanged (default 1e-12)
  -h, --help      show this help
`;

async function main(): Promise<number> {
  const { values, positionals } = parseFlags({
    args: Deno.args,
    allowPositionals: true,
    options: {
      rtol: { type: "string", default: "1e-9" },
      atol: { type: "string", default: "1e-12" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, a, b, ...rest] = positionals;
  if (command !== "diff" || !a || !b || rest.length > 0) {
    const got = positionals.length === 0 ? "no arguments" : `"${positionals.join(" ")}"`;
    throw new UserError(`Expected "diff A B" (two report folders to compare), got ${got}; see --help`);
  }
  const tolerance = { rtol: Number(values.rtol), atol: Number(values.atol) };
  for (const name of ["rtol", "atol"] as const) {
    if (!(tolerance[name] >= 0)) {
      throw new UserError(`--${name} must be a non-negative number, got "${values[name]}"`);
    }
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
