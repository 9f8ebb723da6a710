/**
 * The Raspberry Pi build computes what x86_64 computes: the arm64 Deno and onnxruntime's arm64
 * binary run under qemu user emulation (scripts/pi/qemu-run.sh, which shows the emulated process
 * a Cortex-A72 /proc/cpuinfo so the answer is the same on every x86_64 host).
 * This test never passes by skipping: without qemu it fails and says what is missing.
 * @module
 */
import assert from "node:assert/strict";
import { sox, tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DEVICES = `${ROOT}devices/example.devices.json`;
/** Event types that must agree: what was heard and what would be done. */
const COMPARED = new Set(["source", "vad", "wake", "transcript", "intent", "publish"]);

async function events(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `${cmd} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  const session = sessionNames();
  return text.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => COMPARED.has(e.type))
    // decodeMs is wall-clock compute time; session ids are random: the fields that may differ
    // (sessions are compared by which events share one, after the sort).
    .map(({ decodeMs: _, session: id, ...event }) => ({ ...event, id }))
    // Intents are routed asynchronously, so their place among stream events follows the wall
    // clock: compare in stream-time order.
    .sort((a, b) => a.t - b.t || JSON.stringify(a).localeCompare(JSON.stringify(b)))
    .map(({ id, ...event }) => ({ ...event, session: session(id) }));
}

/** Random session ids renamed by first appearance ("s1", "s2", ...) within one run. */
function sessionNames() {
  const seen = new Map<string, string>();
  return (id?: string) => {
    if (id === undefined) return undefined;
    if (!seen.has(id)) seen.set(id, `s${seen.size + 1}`);
    return seen.get(id);
  };
}

/** The embedded broker on any free port: 1883 may be taken on a shared machine. */
const runArgs = (wav: string, config: string) => [
  "run",
  "--input",
  wav,
  "--devices",
  DEVICES,
  "--config",
  config,
];

/** demo.wav plus a spoken command of espeak-ng's, with a pause after the wake word. */
async function sampleSet(dir: string): Promise<string[]> {
  const said = `${dir}/said.wav`;
  const wake = await new Deno.Command("espeak-ng", {
    args: ["-v", "en-us", "-s", "150", "-w", `${dir}/wake.wav`, "hey computer"],
  }).output();
  const cmd = await new Deno.Command("espeak-ng", {
    args: ["-v", "en-us", "-s", "150", "-w", `${dir}/cmd.wav`, "turn off the kitchen light"],
  }).output();
  assert.ok(wake.success && cmd.success, "espeak-ng renders the sample command");
  await sox(
    "-n",
    "-r",
    "16000",
    "-c",
    "1",
    `${dir}/pause.wav`,
    "trim",
    "0",
    "0.8",
  );
  for (const f of ["wake", "cmd"]) await sox(`${dir}/${f}.wav`, "-r", "16000", `${dir}/${f}16.wav`);
  await sox(
    `${dir}/pause.wav`,
    `${dir}/wake16.wav`,
    `${dir}/pause.wav`,
    `${dir}/cmd16.wav`,
    `${dir}/pause.wav`,
    said,
  );
  return [`${ROOT}assets/demo.wav`, said];
}

Deno.test({
  name:
    "arm64 (Raspberry Pi) build under qemu: same VAD, wake, transcript and intent events as x86_64, twice",
  sanitizeResources: false,
  fn: async () => {
    await using dir = await tempDir();
    const config = `${dir.path}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify({ mqtt: { embeddedPort: 0 } }));
    for (const wav of await sampleSet(dir.path)) {
      const native = await events(Deno.execPath(), [
        "run",
        "--allow-read",
        "--allow-env",
        `--allow-ffi=${ROOT}node_modules`,
        "--allow-sys",
        "--allow-net",
        "--allow-run",
        "main.ts",
        ...runArgs(wav, config),
      ]);
      for (const type of ["wake", "transcript", "intent"]) {
        assert.ok(native.some((e) => e.type === type), `${wav}: a "${type}" event natively`);
      }
      const first = await events(`${ROOT}scripts/pi/qemu-run.sh`, runArgs(wav, config));
      const second = await events(`${ROOT}scripts/pi/qemu-run.sh`, runArgs(wav, config));
      assert.deepEqual(first, native, `${wav}: arm64 events equal x86_64's`);
      assert.deepEqual(second, first, `${wav}: the arm64 run gives the same events twice`);
    }
  },
});
