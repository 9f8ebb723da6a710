/** `deno task train-wakeword`: ids from phrases and clear errors for bad input. */
import assert from "node:assert/strict";
import { phraseId, trainWakeword } from "../../scripts/train_wakeword.ts";

Deno.test("train-wakeword: model ids from phrases", () => {
  assert.equal(phraseId("hey pixel"), "hey_pixel");
  assert.equal(phraseId("  Hey, Pixel! "), "hey_pixel");
  assert.equal(phraseId("OK Jarvis"), "ok_jarvis");
});

Deno.test("train-wakeword: rejects an empty phrase, non-words and bad ids before any work", async () => {
  await assert.rejects(() => trainWakeword("   ", {}), /phrase is empty/);
  await assert.rejects(() => trainWakeword("hey 42 <script>", {}), /English letters only/);
  await assert.rejects(() => trainWakeword("hey pixel", { id: "../x" }), /bad id/);
});

Deno.test("train-wakeword: a missing python gives an error naming the step", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/train_wakeword.ts", "hey pixel", "--id", "nonexistent_test"],
    env: { EARSHOT_PYTHON: "/nonexistent/python3" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /synthesize data.*cannot run \/nonexistent/);
});
