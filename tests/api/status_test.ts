/**
 * The status collector follows the bus: last events, latencies in stream and
 * wall time, device states and counters; the document never shows secrets.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { buildStatus, redactUrl, sanitize, StatusCollector } from "../../api/status.ts";
import { emitAll, utteranceEvents } from "./helpers.ts";

Deno.test("latencies: decode, endpoint delay, wake->intent (stream) and intent->publish (wall)", () => {
  const bus = new EventBus();
  let now = 1_000_000;
  const c = new StatusCollector(bus, { now: () => now });
  for (const e of utteranceEvents()) {
    if (e.type === "intent") now += 30; // the intent arrives 30 ms after the transcript
    if (e.type === "publish") now += 5;
    bus.emit(e);
  }
  const s = c.snapshot();
  assert.equal(s.last.transcript!.decodeMs, 12.5);
  assert.equal(s.last.transcript!.endpointDelayMs, 150);
  assert.equal(s.last.intent!.sinceWakeMs, 1450);
  assert.equal(s.last.intent!.sinceTranscriptWallMs, 30);
  assert.equal(s.last.publish!.sinceIntentWallMs, 5);
  assert.equal(s.last.publish!.sinceWakeWallMs, 35);
  assert.equal(s.last.wake!.at, new Date(1_000_000).toISOString());
  assert.equal(s.streamTime, 3);
  assert.equal(s.speaking, false);
  c.close();
  assert.equal(bus.size, 0);
});

Deno.test("typed commands have no speech latencies; rejected transcripts and errors are counted", () => {
  const bus = new EventBus();
  const c = new StatusCollector(bus);
  emitAll(bus, [
    { type: "vad", t: 1, state: "start", sample: 16000, probability: 0.8 },
    {
      type: "transcript",
      t: 2,
      text: "turn of the lite",
      confidence: 0.2,
      start: 1,
      end: 1.8,
      decodeMs: 9,
      alternatives: [],
      rejected: true,
    },
    { type: "intent", t: 0, name: "stop", slots: {}, confidence: 1, text: "stop", origin: "text" },
    { type: "error", t: 2, stage: "mqtt", message: "connection refused" },
    { type: "error", t: 3, stage: "mqtt", message: "connection refused" },
  ]);
  const s = c.snapshot();
  assert.equal(s.speaking, true);
  assert.deepEqual(s.counters.transcripts, { accepted: 0, rejected: 1 });
  assert.equal(s.last.intent!.sinceWakeMs, undefined);
  assert.equal(s.last.intent!.sinceTranscriptWallMs, undefined);
  assert.deepEqual(s.counters.errors, { mqtt: 2 });
  assert.equal(s.last.error!.event.message, "connection refused");
  c.close();
});

Deno.test("device state: a publish waits for its confirm; a failed confirm keeps the last state", () => {
  const bus = new EventBus();
  const c = new StatusCollector(bus);
  const publish = {
    type: "publish" as const,
    t: 1,
    device: "fan",
    topic: "cmnd/fan/POWER",
    payload: "ON",
    qos: 1 as const,
    queued: false,
  };
  bus.emit(publish);
  assert.equal(c.snapshot().devices.fan.confirmed, undefined);
  assert.equal(c.snapshot().devices.fan.lastCommand!.payload, "ON");
  bus.emit({
    type: "confirm",
    t: 1,
    device: "fan",
    confirmed: true,
    latencyMs: 80,
    state: { POWER: "ON" },
  });
  bus.emit({ ...publish, payload: "OFF", queued: true });
  bus.emit({
    type: "confirm",
    t: 2,
    device: "fan",
    confirmed: false,
    latencyMs: 3000,
    reason: "timeout",
  });
  const fan = c.snapshot().devices.fan;
  assert.equal(fan.confirmed, false);
  assert.equal(fan.reason, "timeout");
  assert.deepEqual(fan.state, { POWER: "ON" });
  assert.equal(fan.lastCommand!.queued, true);
  assert.deepEqual(c.snapshot().counters.publishes, { sent: 1, queued: 1 });
  assert.deepEqual(c.snapshot().counters.confirms, { confirmed: 1, failed: 1 });
  c.close();
});

Deno.test("the snapshot is a copy: changing it does not change the collector", () => {
  const bus = new EventBus();
  const c = new StatusCollector(bus);
  emitAll(bus, utteranceEvents());
  const s = c.snapshot();
  s.counters.wakes.hey_computer = 99;
  assert.equal(c.snapshot().counters.wakes.hey_computer, 1);
  c.close();
});

Deno.test("redactUrl and sanitize strip credentials and secret-named fields at any depth", () => {
  assert.equal(redactUrl("mqtt://user:pa55@broker:1883/x"), "mqtt://broker:1883/x");
  assert.equal(redactUrl("ws://token@h/ and mqtts://a:b@c"), "ws://h/ and mqtts://c");
  assert.equal(redactUrl("mic:plughw:1,0"), "mic:plughw:1,0");
  assert.deepEqual(
    sanitize({
      a: [{ password: "x", url: "mqtt://u:p@h", n: 1 }],
      Token: "t",
      apiKey: "k",
      ok: true,
    }),
    { a: [{ url: "mqtt://h", n: 1 }], ok: true },
  );
});

Deno.test("buildStatus merges registry devices with event states and reports uptime", () => {
  const bus = new EventBus();
  const c = new StatusCollector(bus);
  emitAll(bus, utteranceEvents());
  const doc = buildStatus(c, {
    devices: { kitchen_light: { area: "kitchen" }, fan: { area: "office" } },
    mqtt: { connected: false, url: "mqtt://x:y@h" },
  }, { version: "9", startedAt: 0, now: 12_345 });
  assert.equal(doc.uptimeSeconds, 12.3);
  assert.equal(doc.devices.kitchen_light.area, "kitchen");
  assert.equal(doc.devices.kitchen_light.confirmed, true);
  assert.deepEqual(doc.devices.fan, { area: "office" });
  assert.equal(doc.mqtt!.url, "mqtt://h");
  assert.equal(doc.audio.state, "ended");
  c.close();
});
