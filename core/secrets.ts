/**
 * Keeping secrets out of logs, events and child processes: credentials in
 * URLs are cut out of every message (`mqtt://user:pw@host` -> `mqtt://host`),
 * and the programs earshot runs (arecord, espeak-ng) get the environment
 * without earshot's own variables (EARSHOT_API_TOKEN, EARSHOT_MQTT_PASSWORD ...).
 *
 * @example
 * ```ts
 * redactUrl("cannot connect to mqtt://u:SECRET@host:1883"); // "cannot connect to mqtt://host:1883"
 * new Deno.Command("arecord", { clearEnv: true, env: childEnv() });
 * ```
 * @module
 */

/** Remove `user:password@` from every URL in a text. */
export function redactUrl(value: string): string {
  return value.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1");
}

/**
 * The environment for a child process: this process's, less every `EARSHOT_*`
 * variable (tokens, passwords, broker URLs with credentials: no child needs
 * them) and the loader's `LD_*`/`DYLD_*` variables. Use with `clearEnv: true`. Without `--allow-env` the child gets an
 * empty environment rather than an error.
 */
export function childEnv(): Record<string, string> {
  let env: Record<string, string>;
  try {
    env = Deno.env.toObject();
  } catch {
    return {};
  }
  for (const name of Object.keys(env)) {
    // LD_*/DYLD_* (library injection) would also need an unscoped --allow-run.
    if (/^(EARSHOT_|LD_|DYLD_)/i.test(name)) delete env[name];
  }
  return env;
}
