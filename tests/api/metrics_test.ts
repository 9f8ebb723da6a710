/**
 * Prometheus exposition: every line is valid text format 0.0.4, histograms are
 * cumulative, labels are escaped, and bus events become counters and latencies.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { Counter, Histogram, MetricsCollector } from "../../api/metrics.ts";
import { emitAll, utteranceEvents } from "./helpers.ts";

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;
const META =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$/;

/** Check every line and that each sample belongs to a declared family. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"));
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      assert.match(line, META);
      const [, kind, name, type] = line.split(" ");
      if (kind === "TYPE") {
        assert.ok(!types.has(name), `family ${name} declared twice`);
        types.set(name, type);
      }
      continue;
    }
    assert.match(line, SAMPLE);
    const name = line.split(/[{ ]/)[0];
    const family = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(name) || types.get(family) === "histogram", `undeclared ${name}`);
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

Deno.test("a histogram renders cumulative buckets, +Inf, sum and count", () => {
  const h = new Histogram("x_seconds", "help", [0.1, 1]);
  for (const v of [0.05, 0.5, 0.5, 3, NaN]) h.observe(v, { route: "/a" });
  const m = parseExposition(h.render());
  assert.equal(m.get('x_seconds_bucket{route="/a",le="0.1"}'), 1);
  assert.equal(m.get('x_seconds_bucket{route="/a",le="1"}'), 3);
  assert.equal(m.get('x_seconds_bucket{route="/a",le="+Inf"}'), 4);
  assert.equal(m.get('x_seconds_sum{route="/a"}'), 4.05);
  assert.equal(m.get('x_seconds_count{route="/a"}'), 4);
  assert.throws(() => new Histogram("bad", "h", [1, 1]), /buckets must increase/);
});

Deno.test("label values are escaped", () => {
  const c = new Counter("c_total", "a counter\nwith two lines");
  c.inc({ name: 'say "hi"\\\n' });
  const text = c.render();
  assert.match(text, /^# HELP c_total a counter\\nwith two lines$/m);
  assert.ok(text.includes('c_total{name="say \\"hi\\"\\\\\\n"} 1'));
  parseExposition(text);
});

Deno.test("bus events become counters, latency histograms and processed audio seconds", () => {
  const bus = new EventBus();
  let now = 0;
  const m = new MetricsCollector(bus, {
    version: "t",
    now: () => now,
    gauges: {
      realTimeFactor: () => 0.05,
      mqttConnected: () => true,
      mqttQueued: () => 2,
      liveAudioSeconds: () => 1,
    },
  });
  for (const e of utteranceEvents()) {
    if (e.type === "publish") now += 20;
    bus.emit(e);
  }
  // A second stream restarts at t = 0: event times do not count audio (the sample counter does).
  emitAll(bus, [
    { type: "source", t: 0, state: "started", source: "b.wav" },
    { type: "level", t: 1.5, db: -30, vad: 0, wake: {} },
    { type: "error", t: 0, stage: "mqtt", message: "down" },
    { type: "level", t: 2, db: -30, vad: 0, wake: {} },
  ]);
  now = 10_000;
  m.observeUpload(4, 0.2);
  const s = parseExposition(m.render());
  assert.equal(s.get('earshot_events_total{type="level"}'), 4);
  assert.equal(s.get('earshot_transcripts_total{result="accepted"}'), 1);
  assert.equal(s.get('earshot_publish_total{device="kitchen_light",queued="false"}'), 1);
  assert.equal(s.get('earshot_confirm_total{device="kitchen_light",result="confirmed"}'), 1);
  assert.equal(s.get('earshot_errors_total{stage="mqtt"}'), 1);
  // 1 s from the live source's sample counter + a 4 s upload.
  assert.equal(s.get("earshot_audio_seconds_total"), 5);
  assert.equal(s.get("earshot_wake_to_intent_seconds_sum"), 2.35 - 0.9);
  assert.equal(s.get("earshot_endpoint_delay_seconds_count"), 1);
  assert.equal(s.get("earshot_intent_to_publish_seconds_sum"), 0.02);
  assert.equal(s.get('earshot_realtime_factor{source="live"}'), 0.05);
  assert.equal(s.get('earshot_realtime_factor{source="upload"}'), 0.05);
  assert.equal(s.get("earshot_uptime_seconds"), 10);
  assert.equal(s.get("earshot_mqtt_connected"), 1);
  assert.equal(s.get("earshot_mqtt_queued"), 2);
  assert.ok(s.get("process_resident_memory_bytes")! > 1e6);
  m.close();
  assert.equal(bus.size, 0);
});

Deno.test("audio seconds follow the sample counter: interleaved streams and late vad ends add nothing", () => {
  const bus = new EventBus();
  let live = 0;
  const m = new MetricsCollector(bus, { gauges: { liveAudioSeconds: () => live } });
  // Live audio (t grows) interleaved with an upload's events (t from 0) and a transcript emitted
  // before its vad end: the old event-time rule counted every backwards step as a new stream.
  for (let i = 1; i <= 1000; i++) {
    live = i * 0.1;
    bus.emit({ type: "level", t: live, db: -30, vad: 0, wake: {} });
    bus.emit({ type: "level", t: (i % 50) * 0.1, db: -30, vad: 0, wake: {} });
    if (i % 100 === 0) {
      bus.emit({ type: "vad", t: live - 0.3, state: "end", sample: 0, probability: 0.1 });
    }
  }
  m.observeUpload(5, 0.1);
  const s = parseExposition(m.render());
  assert.equal(Math.round(s.get("earshot_audio_seconds_total")! * 1000) / 1000, 105);
  m.close();
});
