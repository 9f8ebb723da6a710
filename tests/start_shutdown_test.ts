/**
 * `earshot start` as a real process: a fake `arecord` (a script that plays assets/demo.wav as raw
 * PCM, then waits) -> pipeline -> a real Mosquitto -> the status API; SIGINT and SIGTERM must
 * stop it within 2 s, with arecord gone, "offline" retained on the availability topic and the
 * API closed.
 */
import assert from "node:assert/strict";
import { Mosquitto, Watcher } from "./devices/mosquitto.ts";
import { tempDir } from "./helpers/audio.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PERMS = [
  "--allow-read",
  "--allow-env",
  `--allow-ffi=${ROOT}node_modules`,
  "--allow-sys",
  "--allow-net",
  "--allow-run",
  `--allow-write=${ROOT}.earshot`,
];

/** A fake arecord: raw 16 kHz s16le from demo.wav, again every 30 s, pid in `pidFile`. */
export async function fakeArecord(dir: string, wav = `${ROOT}assets/demo.wav`): Promise<string> {
  const path = `${dir}/arecord`;
  await Deno.writeTextFile(
    path,
    `#!/bin/bash
echo $$ > '${dir}/arecord.pid'
trap 'kill $sp 2>/dev/null; exit 0' TERM INT
while :; do tail -c +45 '${wav}'; sleep 30 & sp=$!; wait $sp; done
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

/** Collect a stream's text and let tests wait for a pattern in it. */
function collector(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  return {
    get text() {
      return text;
    },
    done,
    async waitFor(re: RegExp, ms = 20000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const m = text.match(re);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${re} within ${ms} ms in:\n${text}`);
    },
  };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`start: ${signal} stops mic, MQTT and API within 2 s`, async () => {
    await using tmp = await tempDir();
    const broker = await Mosquitto.start();
    const watcher = await Watcher.connect(broker.url, ["earshot/#", "zigbee2mqtt/#"]);
    try {
      const arecord = await fakeArecord(tmp.path);
      const config = `${tmp.path}/config.json`;
      await Deno.writeTextFile(config, JSON.stringify({ audio: { arecord } }));
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...PERMS,
          `${ROOT}main.ts`,
          "start",
          "--config",
          config,
          "--devices",
          `${ROOT}devices/example.devices.json`,
          "--broker",
          broker.url,
          "--api-port",
          "0",
        ],
        cwd: ROOT,
        env: { EARSHOT_API_TOKEN: "test-token-0123456789abcdef" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = collector(child.stdout);
      const err = collector(child.stderr);
      const [, apiUrl] = await err.waitFor(/status page (http:\/\/\S+?)\/ /);
      await watcher.waitFor("earshot/default/status", (p) => p === "online", 10000);
      // The whole chain works before the signal: the demo's command reaches the broker.
      await out.waitFor(/publish zigbee2mqtt\/kitchen\/ceiling\/set/);
      await watcher.waitFor("zigbee2mqtt/kitchen/ceiling/set", () => true, 5000);
      assert.equal(await fetch(`${apiUrl}/health`).then((r) => r.body?.cancel()), undefined);
      const arecordPid = Number(await Deno.readTextFile(`${tmp.path}/arecord.pid`));
      assert.ok(alive(arecordPid), "fake arecord runs");

      const t0 = performance.now();
      child.kill(signal);
      const status = await child.status;
      const ms = performance.now() - t0;
      await out.done;
      await err.done;
      assert.equal(status.code, 0, err.text);
      console.log(`${signal}: stopped in ${ms.toFixed(0)} ms`);
      assert.ok(ms <= 2000, `stopped in ${ms.toFixed(0)} ms (limit 2000)`);
      assert.doesNotMatch(err.text, /^\s+at /m, "no stack trace");
      assert.match(err.text, new RegExp(`earshot: ${signal}: stopping`));
      // Offline published (retained) before disconnecting, API closed, arecord gone.
      const statuses = watcher.on("earshot/default/status");
      assert.equal(statuses.at(-1), "offline", statuses.join(","));
      await assert.rejects(() => fetch(`${apiUrl}/health`));
      assert.equal(alive(arecordPid), false, "arecord was stopped");
      assert.match(out.text, /source ended mic:default/);
    } finally {
      await watcher.close();
      await broker.stop();
    }
  });
}
