import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `${cmd} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  // decodeMs is wall-clock compute time: the one field that may differ.
  return text.trim().split("\n").map((l) => {
    const { decodeMs: _, ...event } = JSON.parse(l);
    return event;
  });
}

Deno.test({
  name: "arm64 (Raspberry Pi) build under qemu: same VAD, wake and transcript events as x86_64",
  sanitizeResources: false,
  fn: async () => {
    const native = await run(Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-env",
      `--allow-ffi=${ROOT}node_modules`,
      "--allow-sys",
      "main.ts",
      "run",
      "--input",
      "assets/demo.wav",
    ]);
    const arm = await run(`${ROOT}scripts/pi/qemu-run.sh`, ["run", "--input", "assets/demo.wav"]);
    assert.ok(native.some((e) => e.type === "wake"), "the wake word fires natively");
    assert.ok(native.some((e) => e.type === "transcript"), "the command is transcribed natively");
    assert.deepEqual(arm, native);
  },
});
