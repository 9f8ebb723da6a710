/**
 * POST /api/command through the real devices runtime (embedded MQTT broker,
 * example registry, simulated Zigbee2MQTT devices): the answer carries the
 * intent, the publish and the device's confirmation; text that matches no
 * intent is reported as not understood.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";
import { audioRunner, textRunner } from "../../api/commands.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { Simulator } from "../../devices/simulator.ts";
import { AUTH, makeApp, toneWav } from "./helpers.ts";

// The MQTT client library keeps timers past close (as in tests/devices).
const opts = { sanitizeOps: false, sanitizeResources: false };
const EXAMPLE = new URL("../../devices/example.devices.json", import.meta.url).pathname;

const post = (text: string) => ({
  method: "POST",
  headers: { ...AUTH, "Content-Type": "application/json" },
  body: JSON.stringify({ text }),
});

Deno.test(
  "POST /api/command through the devices runtime: intent, publish, confirm",
  opts,
  async () => {
    const bus = new EventBus();
    const config = parseConfig({
      devices: { file: EXAMPLE, area: "kitchen", confirmTimeoutMs: 800 },
      mqtt: { embeddedPort: 0 },
    });
    const rt = await startDevices(config, bus);
    const sim = await Simulator.start(rt.brokerUrl);
    const { app, api } = makeApp({ bus, runText: textRunner(rt, bus) });
    try {
      await rt.ready();
      await new Promise((r) => setTimeout(r, 200)); // let the simulator's subscriptions settle
      const res = await app.request("/api/command", post("turn on the kitchen light"));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.understood, true);
      assert.deepEqual(body.errors, []);
      const types = body.events.map((e: EarshotEvent) => e.type);
      assert.deepEqual(types, ["intent", "publish", "confirm"]);
      assert.equal(body.events[0].name, "TurnOn");
      assert.equal(body.events[0].origin, "text");
      assert.equal(body.events[1].topic, "zigbee2mqtt/kitchen/ceiling/set");
      assert.equal(body.events[2].confirmed, true);
      assert.ok(body.wallMs >= body.events[2].latencyMs);
      // The status now shows the device state the confirm reported.
      const status = await (await app.request("/api/status")).json();
      assert.equal(status.devices.kitchen_light.confirmed, true);
      assert.equal(status.devices.kitchen_light.state.on, true);

      const nonsense = await app.request("/api/command", post("sing me a song about llamas"));
      assert.equal(nonsense.status, 200);
      const nb = await nonsense.json();
      assert.equal(nb.understood, false);
      assert.deepEqual(nb.errors, ["not understood"]);
      assert.deepEqual(nb.events, []);
    } finally {
      api.close();
      sim.client.end(true);
      await rt.close();
    }
  },
);

Deno.test(
  "audioRunner: a transcript's command events are collected; silence returns at once",
  opts,
  async () => {
    const bus = new EventBus();
    const config = parseConfig({
      devices: { file: EXAMPLE, area: "kitchen", confirmTimeoutMs: 800 },
      mqtt: { embeddedPort: 0 },
    });
    const rt = await startDevices(config, bus);
    const sim = await Simulator.start(rt.brokerUrl);
    const live: EarshotEvent[] = [];
    bus.on((e) => live.push(e));
    try {
      await rt.ready();
      await new Promise((r) => setTimeout(r, 200));
      // The real pipeline on a tone: no speech, no transcript, nothing to wait for.
      const silent = audioRunner(
        (bytes, upload) => runAudio(bytes, config, { bus: upload }),
        bus,
        { intentWaitMs: 5000, confirmWaitMs: 5000 },
      );
      const t0 = performance.now();
      const quiet = await silent(toneWav(0.5));
      assert.ok(performance.now() - t0 < 4000, "did not wait for commands");
      assert.ok(quiet.pipelineMs! > 0);
      assert.ok(quiet.events.every((e) => ["level", "vad"].includes(e.type)));
      assert.ok(live.some((e) => e.type === "level"), "upload events reach the main bus");

      // A transcript on the upload bus (what the ASR stage emits) becomes a command.
      const spoken = audioRunner((_bytes, upload) => {
        const t: EarshotEvent = {
          type: "transcript",
          t: 2,
          text: "turn on the counter lights",
          confidence: 0.9,
          start: 1,
          end: 2,
          decodeMs: 5,
          alternatives: [],
          rejected: false,
        };
        upload.emit(t);
        return Promise.resolve([t]);
      }, bus);
      const out = await spoken(toneWav(0.1));
      assert.deepEqual(out.events.map((e) => e.type), [
        "transcript",
        "intent",
        "publish",
        "confirm",
      ]);
      const confirm = out.events[3] as EarshotEvent & { confirmed: boolean; device: string };
      assert.equal(confirm.device, "counter_lights");
      assert.equal(confirm.confirmed, true);
    } finally {
      sim.client.end(true);
      await rt.close();
    }
  },
);
