/**
 * The `@example` blocks of the layers' entry points run (`deno test --doc`): every layer
 * (core/, audio/, pipeline/, wake/, asr/, home/, intent/, devices/, api/, app/) and the
 * import-rule and argument scripts. Each example imports what it uses and checks what it says
 * with assertions, so an example that no longer matches its function fails here. api/'s
 * examples use only what the app would inject (scripts/check_imports.ts reads examples too).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

/** The TypeScript files under `dir` (relative to the root), sorted. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await tsFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}
const PLACES = [
  "core/",
  "audio/",
  "pipeline/",
  "wake/",
  "asr/",
  "home/",
  "intent/",
  "devices/",
  ...await tsFiles("api"), // api/README.md's wiring sketch is prose, not an entry point's example
  "app/",
  "scripts/check_imports.ts",
  "scripts/cli.ts",
];

Deno.test("the layers' @example blocks type-check and run", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "--allow-all", ...PLACES],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text.slice(-4000));
  assert.match(text, /\d+ passed/);
});
