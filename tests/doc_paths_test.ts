/**
 * Paths the code's comments and the docs cite exist: every mention of a file under one of the
 * project's folders (core/, audio/, pipeline/, wake/, asr/, home/, intent/, devices/, api/,
 * app/, scripts/, bench/, models/, tests/, docs/) names a tracked file or folder, so a move
 * cannot leave a doc pointing at the old place. Tests' own made-up paths (fixtures that must
 * not exist) and generated reports are not read.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const TOP =
  "core|audio|pipeline|wake|asr|home|intent|devices|api|app|scripts|bench|models|tests|docs";
const MENTION = new RegExp(
  `(?<![\\w./-])((?:${TOP})/(?:[\\w.-]+/)*[\\w.-]+\\.(?:ts|json|md|py|sh|onnx|tsv|js))\\b`,
  "g",
);

async function tracked(): Promise<string[]> {
  const out = await new Deno.Command("git", { args: ["ls-files"], cwd: ROOT, stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test("paths cited in comments and docs exist", async () => {
  const files = await tracked();
  const known = new Set(files);
  const read = files.filter((f) =>
    /\.(ts|md|py|sh)$/.test(f) && !f.startsWith("tests/") && !f.startsWith("docs/eval/") &&
    !f.startsWith("docs/bench/")
  );
  const missing: string[] = [];
  for (const f of read) {
    let text: string;
    try {
      text = await Deno.readTextFile(`${ROOT}${f}`);
    } catch {
      continue; // a tracked file deleted in the working tree
    }
    for (const m of text.matchAll(MENTION)) {
      if (!known.has(m[1])) missing.push(`${f}: ${m[1]}`);
    }
  }
  assert.deepEqual(missing, [], `cited but not in the repository:\n${missing.join("\n")}`);
});
