import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `${cmd} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test({
  name: "arm64 (Raspberry Pi) build under qemu emits the same events as x86_64",
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
    assert.ok(native.some((e) => e.type === "vad"));
    assert.deepEqual(arm, native);
  },
});
