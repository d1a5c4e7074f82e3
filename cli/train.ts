/**
 * `megazip train`: PLACEHOLDER until lib/train lands.
 *
 * @module
 */
import { Command } from "commander";

/** Builds the `train` subcommand. */
export function trainCommand(): Command {
  return new Command("train").description("Train a MEGABYTE model (not available yet)").action(() => {
    console.error("megazip: train is not available yet");
    Deno.exit(2);
  });
}
