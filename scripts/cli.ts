/**
 * Argument parsing for the scripts: node:util `parseArgs` with the problems a user can cause
 * (an unknown option, a missing value, a number that is not one) reported as one line naming
 * the script and the option, exit status 2, instead of a stack trace.
 *
 * @example
 * ```ts
 * const { values } = scriptArgs("commands.ts", "usage: commands.ts --n N --out FILE", {
 *   options: { n: { type: "string", default: "1000" }, out: { type: "string" } },
 * });
 * const n = intOption("commands.ts", values, "n", 1);
 * ```
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Thrown for bad arguments when `exit` is false (tests); else the script exits with 2. */
export class UsageError extends Error {}

function fail(message: string, exit: boolean): never {
  if (!exit) throw new UsageError(message);
  console.error(message);
  Deno.exit(2);
}

/**
 * Parse `config.args` (default `Deno.args`). A malformed command line ends the script with
 * `script: <problem>` and `usage` on stderr, exit 2 (`exit` false: throws {@link UsageError}).
 */
export function scriptArgs<T extends ParseArgsConfig>(
  script: string,
  usage: string,
  config: T,
  exit = true,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs({ args: Deno.args, ...config }) as ReturnType<typeof parseArgs<T>>;
  } catch (err) {
    return fail(`${script}: ${(err as Error).message}\n${usage}`, exit);
  }
}

/** Option `name` as an integer >= `min` (a clear error naming the option otherwise). */
export function intOption(
  script: string,
  values: Record<string, unknown>,
  name: string,
  min: number,
  exit = true,
): number {
  const v = Number(values[name]);
  if (values[name] === undefined || values[name] === "" || !Number.isInteger(v) || v < min) {
    return fail(`${script}: --${name}: expected an integer >= ${min}, got ${values[name]}`, exit);
  }
  return v;
}
