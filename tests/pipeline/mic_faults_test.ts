/**
 * Microphone faults with fake `arecord` scripts first on PATH: a capture that
 * stalls (alive, silent) is killed and restarted, `/health`'s audio probe
 * recovers once audio flows after a restart, and arecord never sees earshot's
 * secrets in its environment.
 */
import assert from "node:assert/strict";
import { micSource } from "../../audio/sources.ts";
import { EventBus } from "../../core/bus.ts";
import { StatusCollector } from "../../api/status.ts";
import { audioAliveProbe } from "../../api/probes.ts";
import type { SourceEvent } from "../../core/events.ts";
import { tempDir } from "../helpers/audio.ts";

/**
 * Install `arecord` (a sh script) in a fresh directory put first on PATH for
 * the duration of `fn`. `$RUN` in the script is 1, 2, ... per start.
 */
async function withFakeArecord(body: string, fn: (dir: string) => Promise<void>) {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/arecord`,
    `#!/bin/sh\nRUN=$(( $(cat "${dir.path}/runs" 2>/dev/null || echo 0) + 1 ))\n` +
      `echo $RUN > "${dir.path}/runs"\n${body}\n`,
  );
  await Deno.chmod(`${dir.path}/arecord`, 0o755);
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${dir.path}:${path}`);
  try {
    await fn(dir.path);
  } finally {
    Deno.env.set("PATH", path);
  }
}

/** 0.2 s of 16 kHz s16le silence-ish noise, then `rest`. */
const AUDIO = "head -c 6400 /dev/urandom";

Deno.test("a stalled arecord (alive, no output) is killed and restarted, then reported started", async () => {
  // Run 1 and 2: a burst of audio, then alive and silent (exec keeps one process).
  await withFakeArecord(`${AUDIO}\nexec sleep 600`, async () => {
    const events: Omit<SourceEvent, "type" | "t">[] = [];
    const t0 = performance.now();
    let samples = 0;
    for await (
      const chunk of micSource({
        device: "default",
        rate: 16000,
        restartMinMs: 20,
        stallMs: 300,
        maxRestarts: 2,
        report: (e) => events.push(e),
      })
    ) samples += chunk.length;
    const took = performance.now() - t0;
    assert.equal(samples, 3 * 3200, "every run's audio arrived");
    assert.deepEqual(events.map((e) => e.state), [
      "started",
      "restarting",
      "started",
      "restarting",
      "started",
      "ended",
    ]);
    assert.match(events[1].reason!, /arecord stalled: no audio for 300 ms, killed; retry in 20 ms/);
    assert.ok(took < 5000, `three stalls handled in ${took.toFixed(0)} ms`);
  });
});

Deno.test("/health's audio probe recovers after one arecord restart", async () => {
  // Run 1 dies after 0.2 s; run 2 streams 3 s of audio.
  await withFakeArecord(
    `if [ "$RUN" = 1 ]; then ${AUDIO}; echo "device hiccup" >&2; exit 1; fi\n` +
      `exec head -c 96000 /dev/urandom`,
    async () => {
      const bus = new EventBus();
      const status = new StatusCollector(bus);
      const probe = audioAliveProbe(status, { maxGapMs: 5000 });
      const seen: string[] = [];
      let t = 0;
      let afterRestart: unknown;
      for await (
        const chunk of micSource({
          device: "default",
          rate: 16000,
          restartMinMs: 20,
          maxRestarts: 1,
          report: (e) => {
            bus.emit({ type: "source", t, ...e });
            seen.push(e.state);
          },
        })
      ) {
        t += (chunk.length / 16000) * 1000;
        // The pipeline sends level events as audio flows.
        bus.emit({ type: "level", t, db: -30, vad: 0, wake: {} });
        if (seen.length === 3 && afterRestart === undefined) afterRestart = await probe();
      }
      status.close();
      assert.deepEqual(seen.slice(0, 3), ["started", "restarting", "started"]);
      assert.deepEqual(afterRestart, { ok: true, detail: "mic:default streaming" });
    },
  );
});

Deno.test("arecord gets the environment without EARSHOT_* secrets", async () => {
  const secrets = { EARSHOT_API_TOKEN: "tok-SECRET-123456", EARSHOT_MQTT_PASSWORD: "pw-SECRET" };
  for (const [k, v] of Object.entries(secrets)) Deno.env.set(k, v);
  try {
    await withFakeArecord(`env > "$(dirname "$0")/env.txt"\n${AUDIO}`, async (dir) => {
      for await (const _ of micSource({ device: "default", rate: 16000, maxRestarts: 0 })) {
        /* drain */
      }
      const env = await Deno.readTextFile(`${dir}/env.txt`);
      assert.doesNotMatch(env, /SECRET|EARSHOT_/);
      assert.match(env, /^PATH=/m, "the rest of the environment is kept");
    });
  } finally {
    for (const k of Object.keys(secrets)) Deno.env.delete(k);
  }
});
