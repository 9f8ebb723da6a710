/**
 * The audio-alive probe follows source events and the flow of level events.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { StatusCollector } from "../../api/status.ts";
import { audioAliveProbe } from "../../api/probes.ts";

Deno.test("audio alive: started and flowing is ok; stalled, restarting or ended is not", () => {
  const bus = new EventBus();
  let now = 0;
  const status = new StatusCollector(bus, { now: () => now });
  const probe = audioAliveProbe(status, { maxGapMs: 2000, now: () => now });
  assert.deepEqual(probe(), { ok: false, detail: "no audio source has started" });
  bus.emit({ type: "source", t: 0, state: "started", source: "mic:default" });
  assert.deepEqual(probe(), { ok: true, detail: "mic:default streaming" });
  now = 1500;
  bus.emit({ type: "level", t: 1.5, db: -50, vad: 0, wake: {} });
  now = 3000;
  assert.equal((probe() as { ok: boolean }).ok, true);
  now = 3600;
  assert.deepEqual(probe(), { ok: false, detail: "no audio from mic:default for 2.1 s" });
  bus.emit({
    type: "source",
    t: 2,
    state: "restarting",
    source: "mic:default",
    reason: "arecord exited 1",
  });
  assert.deepEqual(probe(), { ok: false, detail: "mic:default restarting: arecord exited 1" });
  bus.emit({ type: "source", t: 2, state: "ended", source: "mic:default" });
  assert.deepEqual(probe(), { ok: false, detail: "mic:default ended" });
  status.close();
});
