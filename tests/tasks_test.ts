/**
 * Every `deno task` points at files that exist, so no task is dead.
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));

for (const [name, command] of Object.entries<string>(config.tasks)) {
  Deno.test(`deno task ${name}: every script it names exists`, async () => {
    const files = command.split(/\s+/).filter((w) => /\.(ts|sh|py)$/.test(w));
    for (const file of files) {
      const stat = await Deno.stat(`${ROOT}${file}`).catch(() => null);
      assert.ok(stat?.isFile, `deno.json: tasks.${name}: "${file}" does not exist`);
    }
  });
}
