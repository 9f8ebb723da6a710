/**
 * The event bus's wall-clock stamp (core/bus.ts, `at` in core/events.ts): a bus made with a
 * clock stamps every event once, at emission; an event forwarded from another bus keeps its
 * time and its identity; a bus without a clock leaves events as they are (file runs stay
 * reproducible).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";

const vad = (t: number): EarshotEvent => ({
  type: "vad",
  t,
  state: "start",
  sample: t * 16000,
  probability: 0.9,
});

Deno.test("a bus with a clock stamps 'at' (ISO wall time) on each event as it is emitted", () => {
  let now = Date.UTC(2026, 11, 3, 6, 30, 0, 250);
  const bus = new EventBus({ clock: () => now });
  const seen: EarshotEvent[] = [];
  bus.on((e) => seen.push(e));
  bus.emit(vad(1));
  now += 1500;
  bus.emit(vad(2));
  assert.deepEqual(seen.map((e) => [e.t, e.at]), [
    [1, "2026-12-03T06:30:00.250Z"],
    [2, "2026-12-03T06:30:01.750Z"],
  ]);
});

Deno.test("a forwarded event keeps its first stamp and stays the same object", () => {
  const upload = new EventBus({ clock: () => Date.UTC(2026, 0, 1) });
  const main = new EventBus({ clock: () => Date.UTC(2027, 0, 1) });
  const sent = vad(0.5);
  let got: EarshotEvent | undefined;
  upload.on((e) => main.emit(e));
  main.on((e) => got = e);
  upload.emit(sent);
  assert.equal(got, sent);
  assert.equal(got!.at, "2026-01-01T00:00:00.000Z");
});

Deno.test("a bus without a clock adds no time: runs over a file stay reproducible", () => {
  const bus = new EventBus();
  const seen: EarshotEvent[] = [];
  bus.on((e) => seen.push(e));
  bus.emit(vad(1));
  assert.deepEqual(seen, [vad(1)]);
  assert.equal("at" in seen[0], false);
});
