/**
 * The import rule (scripts/check_imports.ts): the repository passes, and an import against the
 * layers (core -> pipeline, home -> intent, api -> asr, anything -> app, a dynamic import) is
 * caught with the file, the line and the rule, in code and by the script's exit status.
 */
import assert from "node:assert/strict";
import { checkFile, checkTree, importsOf, layerOf } from "../scripts/check_imports.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("check_imports: the repository's imports run one way", async () => {
  assert.deepEqual(await checkTree(ROOT), []);
});

Deno.test("check_imports: imports against the layers are caught with file, line and rule", () => {
  const core = checkFile(
    "core/config.ts",
    'import { z } from "zod";\nimport "../pipeline/vad.ts";',
  );
  assert.equal(core.length, 1);
  assert.equal(core[0].line, 2);
  assert.equal(core[0].target, "pipeline/vad.ts");
  assert.match(core[0].message, /core\/ may import only core\//);

  const home = checkFile("home/registry.ts", 'import type { X } from "../intent/templates.ts";');
  assert.equal(home.length, 1);
  assert.match(home[0].message, /intent\/templates\.ts: home\/ may import only home\/ and core/);

  const multi = 'import {\n  a,\n  b,\n} from "../asr/recognizer.ts";\nexport { c } from "./x.ts";';
  const api = checkFile("api/models.ts", multi);
  assert.deepEqual(api.map((v) => [v.line, v.target]), [[4, "asr/recognizer.ts"]]);

  const dyn = checkFile("devices/x.ts", 'const m = await import("../app/stages.ts");');
  assert.equal(dyn.length, 1);
  assert.equal(dyn[0].target, "app/stages.ts");

  const out = checkFile("wake/detector.ts", 'import "../../elsewhere.ts";');
  assert.match(out[0].message, /outside the repository/);
});

Deno.test("check_imports: allowed imports pass; tools on top and data folders are not checked", () => {
  assert.deepEqual(checkFile("asr/recognizer.ts", 'import "../pipeline/frame.ts";'), []);
  assert.deepEqual(
    checkFile("intent/parser.ts", 'import type { R } from "../home/registry.ts";'),
    [],
  );
  assert.deepEqual(checkFile("app/assistant.ts", 'import "../devices/runtime.ts";'), []);
  assert.deepEqual(checkFile("main.ts", 'import "./app/assistant.ts";'), []);
  assert.deepEqual(checkFile("tests/x_test.ts", 'import "../app/assistant.ts";'), []);
  assert.deepEqual(checkFile("asr/lexicon.ts", 'import s from "./supplement.json";'), []);
  assert.equal(layerOf("models/asr/asr_int8.onnx"), null);
  assert.equal(layerOf("main.ts"), "app");
  assert.deepEqual(importsOf('import { z } from "zod";'), []);
});

Deno.test("check_imports: the script exits 1 naming a violation in a checkout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/core`);
    await Deno.mkdir(`${dir}/devices`);
    await Deno.writeTextFile(`${dir}/devices/router.ts`, "export const r = 1;\n");
    await Deno.writeTextFile(`${dir}/core/bus.ts`, 'import { r } from "../devices/router.ts";\n');
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", `${ROOT}scripts/check_imports.ts`, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const bad = await run([dir]);
    assert.equal(bad.code, 1);
    const text = new TextDecoder().decode(bad.stderr);
    assert.match(text, /core\/bus\.ts:1: imports devices\/router\.ts/);
    await Deno.writeTextFile(`${dir}/core/bus.ts`, "export const b = 1;\n");
    assert.equal((await run([dir])).code, 0);
    const missing = await run([`${dir}/none`]);
    assert.equal(missing.code, 2);
    assert.match(new TextDecoder().decode(missing.stderr), /check_imports: .*none/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
