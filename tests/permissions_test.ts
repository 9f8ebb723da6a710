/**
 * Issue 13 item 15: the tasks run with scoped permissions (`--allow-net` to
 * loopback, `--allow-run=arecord,aplay,espeak-ng,flite`). The `start` and `run` tasks'
 * exact flags from deno.json run the assistant on real audio (assets/demo.wav
 * through a fake `arecord` found on PATH, and as a file) with a real
 * Mosquitto; a broker the permissions do not cover is refused at start with
 * the field and the flag named (exit 2), not a stack trace mid-connection.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../core/config.ts";
import { neededPermissions } from "../app/assistant.ts";
import { Mosquitto, Watcher } from "./devices/mosquitto.ts";
import { tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
  string,
  string
>;
const TOKEN = "test-token-0123456789abcdef";

/** A fake arecord named `arecord` in `dir`: raw 16 kHz PCM of demo.wav, then it waits. */
async function fakeArecord(dir: string): Promise<void> {
  const path = `${dir}/arecord`;
  await Deno.writeTextFile(
    path,
    `#!/bin/bash
trap 'kill $sp 2>/dev/null; exit 0' TERM INT
while :; do tail -c +45 '${ROOT}assets/demo.wav'; sleep 30 & sp=$!; wait $sp; done
`,
  );
  await Deno.chmod(path, 0o755);
}

/** The task's `deno run` flags and script, with this Deno. */
function taskArgs(name: string): string[] {
  const words = TASKS[name].split(/\s+/);
  assert.equal(words[0], "deno");
  return words.slice(1);
}

async function waitFor(get: () => string, re: RegExp, ms = 30000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = get().match(re);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${re} within ${ms} ms in:\n${get()}`);
}

function spawn(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { EARSHOT_API_TOKEN: TOKEN, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const done = Promise.all([
    (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
    })(),
    (async () => {
      for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) err += c;
    })(),
  ]);
  return { child, out: () => out, err: () => err, done };
}

Deno.test("the tasks' permissions are scoped: no bare --allow-net or --allow-run", () => {
  for (const name of ["demo", "start", "run", "mics"]) {
    const words = TASKS[name].split(/\s+/);
    assert.ok(!words.includes("--allow-net"), `${name}: --allow-net is unscoped`);
    assert.ok(!words.includes("--allow-run"), `${name}: --allow-run is unscoped`);
    assert.ok(!words.includes("--allow-all") && !words.includes("-A"), name);
  }
  assert.ok(TASKS.start.includes("--allow-net=127.0.0.1,localhost,[::1] "));
  assert.ok(TASKS.start.includes("--allow-run=arecord,aplay,espeak-ng,flite "));
});

Deno.test("neededPermissions: API address, broker (given or embedded), arecord, aplay", () => {
  const c = parseConfig({
    audio: { source: "mic", arecord: "/opt/arecord" },
    mqtt: { url: "mqtts://u:pw@broker.lan" },
    api: { host: "::", port: 9000, lan: true },
  });
  assert.deepEqual(neededPermissions(c, { devices: true, api: true }), [
    { name: "net", value: "[::]:9000", why: "api.lan (api.host:api.port)" },
    { name: "net", value: "broker.lan:8883", why: "mqtt.url broker.lan" },
    { name: "run", value: "/opt/arecord", why: "audio.arecord" },
    // The voice back of the live microphone (README "Answers").
    { name: "run", value: "aplay", why: "answers.aplay (answers.enabled)" },
  ]);
  const e = parseConfig({ audio: { source: "wav" } });
  assert.deepEqual(neededPermissions(e, { devices: true, api: false }), [
    {
      name: "net",
      value: "127.0.0.1:1883",
      why: "mqtt.embeddedHost:mqtt.embeddedPort (embedded broker)",
    },
  ]);
});

Deno.test("deno task start's permissions: microphone (fake arecord on PATH) -> Mosquitto", async () => {
  await using tmp = await tempDir();
  const broker = await Mosquitto.start();
  const watcher = await Watcher.connect(broker.url, ["earshot/#", "zigbee2mqtt/#", "office/#"]);
  try {
    await fakeArecord(tmp.path);
    const p = spawn([
      ...taskArgs("start"),
      "--devices",
      `${ROOT}devices/example.devices.json`,
      "--broker",
      broker.url,
      "--api-port",
      "0",
    ], { PATH: `${tmp.path}:${Deno.env.get("PATH")}` });
    try {
      const [, apiUrl] = await waitFor(p.err, /status page (http:\/\/\S+?)\/ /);
      await watcher.waitFor("zigbee2mqtt/kitchen/ceiling/set", () => true, 30000);
      const health = await fetch(`${apiUrl}/health`);
      assert.equal(health.status, 200, await health.text());
      const cmd = await fetch(`${apiUrl}/api/command`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ text: "turn on the desk lamp" }),
      });
      assert.equal(cmd.status, 200);
      await cmd.body?.cancel();
      await watcher.waitFor("office/desk/cmd", () => true, 5000);
    } finally {
      p.child.kill("SIGTERM");
      const status = await p.child.status;
      await p.done;
      assert.equal(status.code, 0, p.err());
      assert.doesNotMatch(p.err(), /NotCapable|Requires .* access|^\s+at /m, p.err());
    }
  } finally {
    await watcher.close();
    await broker.stop();
  }
});

Deno.test("deno task run's permissions: a WAV file -> Mosquitto", async () => {
  const broker = await Mosquitto.start();
  const watcher = await Watcher.connect(broker.url, ["zigbee2mqtt/#"]);
  try {
    const p = spawn([
      ...taskArgs("run"),
      "--input",
      `${ROOT}assets/demo.wav`,
      "--devices",
      `${ROOT}devices/example.devices.json`,
      "--broker",
      broker.url,
      "--api-port",
      "0",
    ], {});
    const status = await p.child.status;
    await p.done;
    assert.equal(status.code, 0, p.err());
    assert.match(p.out(), /"type":"publish".*"topic":"zigbee2mqtt\/kitchen\/ceiling\/set"/);
    await watcher.waitFor("zigbee2mqtt/kitchen/ceiling/set", () => true, 5000);
    assert.doesNotMatch(p.err(), /NotCapable|Requires .* access|^\s+at /m, p.err());
  } finally {
    await watcher.close();
    await broker.stop();
  }
});

Deno.test("a broker outside the granted addresses: exit 2 naming mqtt.url and --allow-net", async () => {
  const p = spawn([
    ...taskArgs("run"),
    "--input",
    `${ROOT}assets/demo.wav`,
    "--devices",
    `${ROOT}devices/example.devices.json`,
    "--broker",
    "mqtt://127.0.0.2:1883",
    "--api-port",
    "0",
  ], {});
  const status = await p.child.status;
  await p.done;
  assert.equal(status.code, 2, p.err());
  assert.match(
    p.err(),
    /mqtt\.url 127\.0\.0\.2:1883: network access to 127\.0\.0\.2:1883 is not granted: add it to --allow-net/,
  );
  assert.doesNotMatch(p.err(), /^\s+at /m);
});
