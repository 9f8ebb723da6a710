/**
 * Status API benchmarks: `deno task bench bench/api_bench.ts` (or `deno bench --allow-read
 * --allow-env --allow-sys --allow-ffi=./node_modules bench/api_bench.ts`).
 * What the API adds to the pipeline per event (collectors and SSE fan-out) and
 * what its read endpoints cost, measured in-process with `app.request()`.
 */
import { EventBus } from "../core/bus.ts";
import type { EarshotEvent } from "../core/events.ts";
import { createApp } from "../api/app.ts";
import { parseConfig } from "../core/config.ts";
import { runAudio } from "../pipeline/pipeline.ts";
import { SileroModel } from "../pipeline/vad.ts";

const level: EarshotEvent = { type: "level", t: 1, db: -30, vad: 0.2, wake: { hey_computer: 0.1 } };
const wake: EarshotEvent = {
  type: "wake",
  t: 1,
  model: "hey_computer",
  phrase: "hey computer",
  score: 0.9,
  sample: 16000,
};

const bare = new EventBus();
Deno.bench("bus.emit(level) with no API subscribed", { group: "per event", baseline: true }, () => {
  bare.emit(level);
});

const withApi = new EventBus();
const idle = createApp({ bus: withApi, token: "x".repeat(32) });
Deno.bench("bus.emit(level) with status, metrics and SSE hub (no clients)", {
  group: "per event",
}, () => {
  withApi.emit(level);
});

// SSE: one event to 8 connected clients, each reading it.
const fanBus = new EventBus();
const fan = createApp({ bus: fanBus, token: "x".repeat(32) });
const readers = await Promise.all(Array.from({ length: 8 }, async () => {
  const res = await fan.app.request("/api/events");
  const reader = res.body!.getReader();
  await reader.read(); // greeting
  return reader;
}));
Deno.bench("SSE: emit one wake event and deliver it to 8 clients", async () => {
  fanBus.emit(wake);
  await Promise.all(readers.map((r) => r.read()));
});

// Read endpoints after a realistic amount of activity.
for (let i = 0; i < 1000; i++) withApi.emit({ ...level, t: i / 10 });
withApi.emit(wake);
Deno.bench("GET /api/status", { group: "endpoints" }, async () => {
  await (await idle.app.request("/api/status")).arrayBuffer();
});
Deno.bench("GET /metrics", { group: "endpoints" }, async () => {
  await (await idle.app.request("/metrics")).arrayBuffer();
});
Deno.bench("GET /health (3 probes)", { group: "endpoints" }, async () => {
  await (await probed.app.request("/health")).arrayBuffer();
});
const probed = createApp({
  bus: new EventBus(),
  token: "x".repeat(32),
  probes: { audio: () => true, models: () => true, mqtt: () => ({ ok: true }) },
});

// A whole upload: the demo recording (5.2 s) through the real front end, directly and via the API.
const demo = await Deno.readFile(new URL("../assets/demo.wav", import.meta.url));
const config = parseConfig({ wake: { models: [] } });
const vad = await SileroModel.load();
Deno.bench("runAudio(demo.wav) directly", { group: "upload", baseline: true }, async () => {
  await runAudio(demo, config, { vad });
});
const uploads = createApp({
  bus: new EventBus(),
  token: "x".repeat(32),
  runAudio: (bytes) => runAudio(bytes, config, { vad }),
});
Deno.bench("POST /api/audio demo.wav (auth, WAV check, pipeline, JSON)", {
  group: "upload",
}, async () => {
  const res = await uploads.app.request("/api/audio", {
    method: "POST",
    headers: { Authorization: `Bearer ${"x".repeat(32)}`, "Content-Type": "audio/wav" },
    body: demo,
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  await res.arrayBuffer();
});
