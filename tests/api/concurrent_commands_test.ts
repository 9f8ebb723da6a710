/**
 * Issue 13 item 7: concurrent POST /api/command answers hold only their own
 * events. Eight commands for eight devices are sent at once through the real
 * devices runtime, a real Mosquitto and simulated devices; every answer's
 * events carry its own correlation id (`session`), name only its device, and
 * no event appears in two answers. Two uploads side by side (audioRunner) keep
 * their transcripts' commands apart the same way.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";
import { audioRunner, textRunner } from "../../api/commands.ts";
import { Simulator } from "../../devices/simulator.ts";
import { Mosquitto } from "../devices/mosquitto.ts";
import { AUTH, makeApp, toneWav } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const EXAMPLE = new URL("../../devices/example.devices.json", import.meta.url).pathname;

const COMMANDS: Array<[string, string]> = [
  ["turn on the kitchen light", "kitchen_light"],
  ["turn off the counter lights", "counter_lights"],
  ["turn on the coffee machine", "coffee_machine"],
  ["turn on the floor lamp", "floor_lamp"],
  ["turn off the bedside lamp", "bedside_lamp"],
  ["turn on the desk lamp", "desk_lamp"],
  ["turn on the ceiling fan", "ceiling_fan"],
  ["set the kitchen light to forty percent", "kitchen_light"],
];

Deno.test("concurrent POST /api/command answers hold only their own events", opts, async () => {
  const broker = await Mosquitto.start();
  const bus = new EventBus();
  const config = parseConfig({
    devices: { file: EXAMPLE, confirmTimeoutMs: 3000 },
    mqtt: { url: broker.url },
  });
  const rt = await startDevices(config, bus);
  const sim = await Simulator.start(broker.url);
  const { app, api } = makeApp({ bus, runText: textRunner(rt, bus) });
  try {
    await rt.connected(5000);
    await new Promise((r) => setTimeout(r, 200));
    const ids = new Set(rt.registry.devices.map((d) => d.id));
    for (const [, id] of COMMANDS) assert.ok(ids.has(id), `example registry has ${id}`);
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(COMMANDS.map(async ([text]) => {
        const res = await app.request("/api/command", {
          method: "POST",
          headers: { ...AUTH, "Content-Type": "application/json" },
          body: JSON.stringify({ text }),
        });
        assert.equal(res.status, 200, text);
        return await res.json();
      }));
      const seen = new Set<string>();
      const sessions = new Set<string>();
      answers.forEach((body, i) => {
        const [text, device] = COMMANDS[i];
        assert.equal(typeof body.session, "string", `${text}: answer has its session`);
        sessions.add(body.session);
        const types = body.events.map((e: EarshotEvent) => e.type);
        assert.deepEqual(types, ["intent", "publish", "confirm"], `${text}: ${types}`);
        for (const e of body.events as EarshotEvent[]) {
          assert.equal(e.session, body.session, `${text}: ${e.type} of another command`);
          if (e.type === "intent") assert.equal(e.text, text);
          if (e.type === "publish" || e.type === "confirm") assert.equal(e.device, device, text);
          const key = JSON.stringify(e);
          assert.ok(!seen.has(key), `${text}: ${key} is in two answers`);
          seen.add(key);
        }
        const confirm = body.events[2];
        assert.equal(confirm.confirmed, true, `${text}: ${JSON.stringify(confirm)}`);
      });
      assert.equal(sessions.size, COMMANDS.length, "one session per command");
    }
  } finally {
    api.close();
    sim.client.end(true);
    await rt.close();
    await broker.stop();
  }
});

Deno.test(
  "two uploads side by side: each answer has only its transcript's command",
  opts,
  async () => {
    const broker = await Mosquitto.start();
    const bus = new EventBus();
    const config = parseConfig({
      devices: { file: EXAMPLE, confirmTimeoutMs: 3000 },
      mqtt: { url: broker.url },
    });
    const rt = await startDevices(config, bus);
    const sim = await Simulator.start(broker.url);
    try {
      await rt.connected(5000);
      await new Promise((r) => setTimeout(r, 200));
      // What the ASR stage of each upload emits: a transcript (after a short, different delay).
      const spoken = (text: string, delayMs: number) =>
        audioRunner(async (_bytes, upload) => {
          await new Promise((r) => setTimeout(r, delayMs));
          const t: EarshotEvent = {
            type: "transcript",
            t: 2,
            text,
            confidence: 0.9,
            start: 1,
            end: 2,
            decodeMs: 5,
            alternatives: [],
            rejected: false,
          };
          upload.emit(t);
          return [t];
        }, bus);
      const [a, b] = await Promise.all([
        spoken("turn on the floor lamp", 30)(toneWav(0.1)),
        spoken("turn on the desk lamp", 10)(toneWav(0.1)),
      ]);
      assert.notEqual(a.session, b.session);
      for (const [out, device] of [[a, "floor_lamp"], [b, "desk_lamp"]] as const) {
        assert.deepEqual(out.events.map((e) => e.type), [
          "transcript",
          "intent",
          "publish",
          "confirm",
        ]);
        for (const e of out.events) {
          assert.equal(e.session, out.session);
          if (e.type === "publish" || e.type === "confirm") assert.equal(e.device, device);
        }
      }
    } finally {
      sim.client.end(true);
      await rt.close();
      await broker.stop();
    }
  },
);
