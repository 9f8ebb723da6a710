/**
 * The `@example` blocks of the layers' entry points run (`deno test --doc`): core/, audio/,
 * pipeline/, asr/, home/, intent/, app/ and the import-rule and argument scripts. (wake/,
 * devices/ and api/ examples are prose for now: they use names they do not define.)
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const PLACES = [
  "core/",
  "audio/",
  "pipeline/",
  "asr/",
  "home/",
  "intent/",
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
