import { manifestJsonSchema } from "../schema/manifest_schema.ts";
import { atomicWrite } from "../../reports/render/atomic_write.ts";

/** Path of the manifest JSON Schema that editors read through a manifest's `$schema`. */
export const SCHEMA_PATH = "experiments/manifest.schema.json";

if (import.meta.main) {
  await atomicWrite(SCHEMA_PATH, JSON.stringify(manifestJsonSchema(), null, 2) + "\n");
  console.log(`wrote ${SCHEMA_PATH}`);
}
