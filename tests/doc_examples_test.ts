/**
 * The `@example` blocks of the layers' entry points run (`deno test --doc`): every layer
 * (core/, audio/, pipeline/, wake/, asr/, home/, intent/, devices/, api/, app/) and the
 * import-rule and argument scripts. Each example imports what it uses and checks what it says
 * with assertions, so an example that no longer matches its function fails here.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const PLACES = [
  "core/",
  "audio/",
  "pipeline/",
  "wake/",
  "asr/",
  "home/",
  "intent/",
  "devices/",
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
