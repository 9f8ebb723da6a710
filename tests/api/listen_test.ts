/**
 * `POST /api/listen`: listening for a command without the wake word over HTTP, behind the
 * bearer token; 409 while muted, 503 without a live pipeline. First on the app alone with a
 * real RemoteControl, then on the whole assistant (demo.wav at real time, embedded broker,
 * the API on a real port).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { WakeEvent } from "../../core/events.ts";
import { parseConfig } from "../../core/config.ts";
import { RemoteControl } from "../../core/remote.ts";
import { runAssistant } from "../../app/assistant.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { tempDir } from "../helpers/audio.ts";
import { Watcher } from "../devices/mosquitto.ts";
import { AUTH, makeApp, TOKEN } from "./helpers.ts";

const post = (app: ReturnType<typeof makeApp>["app"], headers: Record<string, string> = AUTH) =>
  app.request("/api/listen", { method: "POST", headers });

Deno.test("POST /api/listen needs the bearer token: 401 with a challenge, without one or with a wrong one", async () => {
  const bus = new EventBus();
  const remote = new RemoteControl(bus, { muted: false, sensitivity: 0.5 });
  remote.attach({ sample: () => 16000 });
  const wakes: WakeEvent[] = [];
  bus.onType("wake", (e) => wakes.push(e));
  const { app, api } = makeApp({ bus, listen: () => remote.listen({ source: "http" }) });
  try {
    const none = await post(app, {});
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm="earshot"/);
    assert.match((await none.json()).error, /missing bearer token/);
    const wrong = await post(app, { Authorization: "Bearer not-the-token-at-all-0000" });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    assert.equal(wakes.length, 0); // nothing listened
    const ok = await post(app);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get("content-type") ?? "", /application\/json/);
    const body = await ok.json();
    assert.deepEqual(body, { listening: true, session: wakes[0].session, t: 1, sample: 16000 });
    assert.equal(wakes[0].source, "http");
    // Only POST: other methods get 405 with Allow.
    const get = await app.request("/api/listen");
    assert.equal(get.status, 405);
    assert.match(get.headers.get("allow") ?? "", /POST/);
    await get.body?.cancel();
  } finally {
    api.close();
  }
});

Deno.test("POST /api/listen answers 409 while muted and 503 without a live pipeline or listener", async () => {
  const bus = new EventBus();
  const remote = new RemoteControl(bus, { muted: false, sensitivity: 0.5 });
  const { app, api } = makeApp({ bus, listen: () => remote.listen({ source: "http" }) });
  const bare = makeApp({ bus });
  try {
    const noPipe = await post(app);
    assert.equal(noPipe.status, 503);
    assert.deepEqual(await noPipe.json(), {
      error: "cannot listen: no live audio pipeline is running to listen with",
    });
    remote.attach({ sample: () => 0 });
    remote.setMuted(true, "homeassistant");
    const muted = await post(app);
    assert.equal(muted.status, 409);
    assert.deepEqual(await muted.json(), {
      error: "cannot listen: the wake word is muted: unmute it first",
    });
    const absent = await post(bare.app);
    assert.equal(absent.status, 503);
    assert.match((await absent.json()).error, /listening is not available/);
    assert.equal(remote.refused, 2);
  } finally {
    api.close();
    bare.api.close();
  }
});

Deno.test(
  "the whole assistant over HTTP: POST /api/listen is a wake with source http at the live pipeline's sample, /api/status shows it; muted over MQTT, 409",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using dir = await tempDir();
    const config = parseConfig({
      audio: {
        source: "wav",
        input: new URL("../../assets/demo.wav", import.meta.url).pathname,
        realtime: true,
      },
      api: { port: 0, token: TOKEN },
      devices: {
        file: new URL("../../devices/example.devices.json", import.meta.url).pathname,
        confirmTimeoutMs: 300,
      },
      mqtt: { embeddedPort: 0, siteId: "desk", arbitrationMs: 0, queueFile: "" },
      remote: { stateFile: `${dir.path}/remote.json` },
    });
    const bus = new EventBus();
    const wakes: WakeEvent[] = [];
    bus.onType("wake", (e) => wakes.push(e));
    const abort = new AbortController();
    let ready!: (v: { apiUrl?: string; brokerUrl?: string }) => void;
    const up = new Promise<{ apiUrl?: string; brokerUrl?: string }>((r) => ready = r);
    const run = runAssistant(config, bus, {
      devices: true,
      api: true,
      onReady: (info) => ready(info),
      warn: () => {},
    }, abort.signal);
    try {
      const { apiUrl, brokerUrl } = await up;
      const url = `${apiUrl}/api/listen`;
      const unauth = await fetch(url, { method: "POST" });
      assert.equal(unauth.status, 401);
      await unauth.body?.cancel();
      const res = await fetch(url, { method: "POST", headers: AUTH });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.listening, true);
      const wake = wakes.find((e) => e.source === "http");
      assert.ok(wake, "a wake event with source http");
      assert.equal(wake.session, body.session);
      assert.equal(wake.sample, body.sample);
      const status = await (await fetch(`${apiUrl}/api/status`)).json();
      assert.equal(status.remote.live, true);
      assert.equal(status.remote.muted, false);
      assert.equal(status.remote.listens.http, 1);
      assert.equal(typeof status.remote.thresholds.hey_computer, "number");
      // The HA switch mutes it; listening is then refused.
      const w = await Watcher.connect(brokerUrl!, ["earshot/desk/#"]);
      try {
        await w.waitFor("earshot/desk/mute", (p) => p === "OFF");
        await w.publish("earshot/desk/mute/set", "ON");
        await w.waitFor("earshot/desk/mute", (p) => p === "ON");
        const refused = await fetch(url, { method: "POST", headers: AUTH });
        assert.equal(refused.status, 409);
        await refused.body?.cancel();
        const after = await (await fetch(`${apiUrl}/api/status`)).json();
        assert.equal(after.remote.muted, true);
        assert.equal(after.remote.refused, 1);
      } finally {
        await w.close();
      }
    } finally {
      abort.abort();
      await run;
    }
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir.path}/remote.json`)), {
      muted: true,
      sensitivity: 0.5,
    });
  },
);

Deno.test(
  "the state file mutes the assistant at start (the demo's wake word suppressed and counted); with remoteState false (demo, run) it is not read",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using dir = await tempDir();
    const file = `${dir.path}/remote.json`;
    await Deno.writeTextFile(file, JSON.stringify({ muted: true, sensitivity: 0.5 }));
    const config = parseConfig({
      audio: {
        source: "wav",
        input: new URL("../../assets/demo.wav", import.meta.url).pathname,
      },
      api: { enabled: false },
      remote: { stateFile: file },
    });
    const wakesOf = async (remoteState?: boolean) => {
      const bus = new EventBus();
      const wakes: WakeEvent[] = [];
      bus.onType("wake", (e) => wakes.push(e));
      const pipeline = await runAssistant(
        config,
        bus,
        { devices: false, api: false, remoteState },
        new AbortController().signal,
      );
      const detector = pipeline.stages.find((s): s is WakeDetector => s instanceof WakeDetector)!;
      return { wakes: wakes.length, suppressed: detector.stats.muted };
    };
    assert.deepEqual(await wakesOf(), { wakes: 0, suppressed: 1 });
    assert.deepEqual(await wakesOf(false), { wakes: 1, suppressed: 0 });
    // Nothing changed, nothing written.
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), { muted: true, sensitivity: 0.5 });
  },
);
