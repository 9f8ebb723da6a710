import assert from "node:assert/strict";
import { decodeWav } from "../audio/wav.ts";
import { tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DEMO = `${ROOT}assets/demo.wav`;
const PERMS = [
  "--allow-read",
  "--allow-env",
  `--allow-ffi=${ROOT}node_modules`,
  "--allow-sys",
  "--allow-net",
  "--allow-run",
  `--allow-write=${ROOT}.earshot`,
];

async function earshot(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

const lines = (s: string) => s.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

Deno.test("run --input --json: one JSON event per line, from speech to wake to transcript", async () => {
  const r = await earshot(["run", "--input", DEMO, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout);
  for (const e of events) {
    assert.equal(typeof e.type, "string");
    assert.equal(typeof e.t, "number");
  }
  // The transcript may come before the VAD's end (early commit), so it is checked on its own.
  const order = events.filter((e) => e.type !== "transcript").map((e) =>
    e.type === "vad" ? e.state : e.type
  );
  assert.deepEqual(order, ["source", "start", "wake", "end", "start", "end", "source"]);
  const at = (type: string) => events.findIndex((e) => e.type === type);
  const secondStart = events.findLastIndex((e) => e.type === "vad" && e.state === "start");
  assert.ok(at("transcript") > secondStart && at("transcript") < events.length - 1);
  const wake = events.find((e) => e.type === "wake");
  assert.equal(wake.model, "hey_computer");
  const transcript = events.find((e) => e.type === "transcript");
  assert.equal(transcript.text, "turn on the kitchen light");
  const vad = events.filter((e) => e.type === "vad");
  // "hey computer" from 0.8 s, "turn on the kitchen light" from about 2.5 s.
  assert.ok(vad[0].t > 0.7 && vad[0].t < 1.3, `first start ${vad[0].t}`);
  assert.ok(vad[2].t > 2.3 && vad[2].t < 2.9, `second start ${vad[2].t}`);
  assert.equal(vad[0].sample, Math.round(vad[0].t * 16000));
});

Deno.test("--stdin with raw PCM gives the same events as the WAV file", async () => {
  const wav = decodeWav(await Deno.readFile(DEMO));
  const pcm = new Uint8Array(wav.samples.length * 2);
  const v = new DataView(pcm.buffer);
  wav.samples.forEach((s, i) => v.setInt16(i * 2, Math.round(s * 32768), true));
  const a = lines((await earshot(["run", "--input", DEMO])).stdout).filter((e) => e.type === "vad");
  const r = await earshot(["run", "--stdin", "--rate", "16000"], pcm);
  assert.equal(r.code, 0, r.stderr);
  const b = lines(r.stdout).filter((e) => e.type === "vad");
  assert.deepEqual(b, a);
});

Deno.test("--levels adds periodic level events", async () => {
  const r = await earshot(["run", "--input", DEMO, "--levels"]);
  const levels = lines(r.stdout).filter((e) => e.type === "level");
  assert.ok(levels.length >= 50, `${levels.length} level events for 5 s`);
  assert.ok(levels.every((e) => typeof e.db === "number" && typeof e.vad === "number"));
});

Deno.test("bad input: exit 1 with a message naming the file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/notes.wav`, "not audio");
  const r = await earshot(["run", "--input", `${dir.path}/notes.wav`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /notes\.wav: not a WAV file/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
  const missing = await earshot(["run", "--input", `${dir.path}/none.wav`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /none\.wav: cannot read/);
});

Deno.test("bad usage and configuration: exit 2 with the problem named", async () => {
  await using dir = await tempDir();
  const cases: [string[], RegExp][] = [
    [["run", "--bogus"], /Unknown option '--bogus'/],
    [["run", "--input", DEMO, "--stdin"], /choose one of --input, --stdin, --mic/],
    [["run", "--stdin", "--rate", "fast"], /--rate: expected a positive integer, got "fast"/],
    [["run"], /no input: give --input FILE/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ];
  await Deno.writeTextFile(`${dir.path}/c.json`, JSON.stringify({ vad: { threshold: "high" } }));
  cases.push([
    ["run", "--input", DEMO, "--config", `${dir.path}/c.json`],
    /c\.json: vad\.threshold: /,
  ]);
  // Mistakes that used to crash with a stack trace (exit 1) are configuration errors too.
  const crashers: [string, unknown, RegExp][] = [
    ["vad.json", { vad: { threshold: 0.2, negThreshold: 0.9 } }, /vad\.negThreshold: must not/],
    ["pron.json", { asr: { pronunciations: { gizmo: "G IH Z QQ" } } }, /gizmo: unknown phone "QQ"/],
    ["timer.json", { api: { commandTimeoutMs: 2 ** 31 } }, /api\.commandTimeoutMs: at most/],
    ["wake.json", { wake: { models: [] } }, /wake\.models: needs at least one model/],
  ];
  for (const [name, value, re] of crashers) {
    await Deno.writeTextFile(`${dir.path}/${name}`, JSON.stringify(value));
    cases.push([["run", "--input", DEMO, "--config", `${dir.path}/${name}`], re]);
  }
  for (const [args, re] of cases) {
    const r = await earshot(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});

Deno.test("a missing microphone device: exit 1 with arecord's message", async () => {
  const r = await earshot(["run", "--mic", "--device", "hw:9,0"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /arecord -D hw:9,0 exited .* before any audio/);
});

Deno.test("models reports every model with its weights per bit width", async () => {
  const r = await earshot(["models"]);
  assert.equal(r.code, 0, r.stderr);
  const reports = lines(r.stdout);
  assert.deepEqual(reports.map((m) => m.kind), ["vad", "wake", "asr"]);
  const [vad, wake, asr] = reports;
  assert.match(vad.file, /silero_vad/);
  assert.ok(vad.bitWidths["32"] > 100000);
  assert.ok(wake.bitWidths["4"] > 0, JSON.stringify(wake.bitWidths)); // the 4-bit wake model
  assert.ok(asr.bitWidths["8"] > 0, JSON.stringify(asr.bitWidths)); // the INT8 recognizer
});

Deno.test("run --devices: the transcript becomes an intent, an MQTT publish and a confirm verdict", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/earshot.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ devices: { confirmTimeoutMs: 300 }, mqtt: { embeddedPort: 0 } }),
  );
  const r = await earshot([
    "run",
    "--input",
    DEMO,
    "--devices",
    `${ROOT}devices/example.devices.json`,
    "--config",
    config,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout);
  const intent = events.find((e) => e.type === "intent");
  assert.deepEqual(
    { name: intent.name, slots: intent.slots, origin: intent.origin },
    { name: "TurnOn", slots: { device: "kitchen_light" }, origin: "asr" },
  );
  const publish = events.find((e) => e.type === "publish");
  assert.equal(publish.topic, "zigbee2mqtt/kitchen/ceiling/set");
  assert.equal(publish.payload, '{"state":"ON"}');
  // No device answers on this broker: the command is reported unconfirmed, not dropped.
  const confirm = events.find((e) => e.type === "confirm");
  assert.equal(confirm.confirmed, false);
  assert.match(confirm.reason, /no state report/);
});

Deno.test("demo: simulated example devices confirm the command", async () => {
  const r = await earshot(["demo"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /the example devices are simulated/);
  assert.match(r.stdout, /wake word "hey computer"/);
  assert.match(r.stdout, /intent TurnOn \{"device":"kitchen_light"\}/);
  assert.match(r.stdout, /confirmed kitchen_light/);
  assert.match(r.stderr, /real-time factor 0\.\d+/);
});

Deno.test("--help: every command has its own help, naming only options that exist", async () => {
  const { COMMAND_HELP, CLI_OPTIONS } = await import("../main.ts");
  const known = new Set(Object.keys(CLI_OPTIONS).map((o) => `--${o}`));
  for (const command of ["run", "demo", "start", "models", "mics"]) {
    for (const form of [[command, "--help"], [command, "-h"], ["help", command]]) {
      const r = await earshot(form);
      assert.equal(r.code, 0, `${form.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), COMMAND_HELP[command].trim());
    }
    assert.match(COMMAND_HELP[command], new RegExp(`^usage: earshot ${command}`));
    for (const flag of COMMAND_HELP[command].match(/--[a-z][a-z-]*/g) ?? []) {
      assert.ok(known.has(flag), `${command} --help names ${flag}, which does not exist`);
    }
  }
  const top = await earshot(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /^usage: earshot <command>/);
  for (const command of Object.keys(COMMAND_HELP)) {
    assert.match(top.stdout, new RegExp(`\\n  ${command} `), `top help lists ${command}`);
  }
  const bad = await earshot(["help", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "nope"/);
});
