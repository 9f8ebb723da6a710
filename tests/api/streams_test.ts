/**
 * The dashboard's sources and clocks (api/static/streams.js, the module the page imports):
 * events without a session are the live source; an upload's session is seen first on its
 * audio events, a typed command's on its intent (origin "text"), a spoken live command's
 * intent (origin "asr" with no audio events of its own) stays live. Each upload gets its own
 * label, so its stream times never read as if on the live timeline.
 */
import assert from "node:assert/strict";
import { clockTime, StreamLabels, streamTime, wallTime } from "../../api/static/streams.js";

Deno.test("sources: live, each upload numbered, typed commands numbered, spoken and Hermes sessions live", () => {
  const s = new StreamLabels();
  const up = { stream: "upload" };
  assert.equal(s.of({ type: "vad", t: 1 }).label, "live");
  assert.equal(s.of({ type: "wake", t: 0.9, session: "up-1", ...up }).label, "upload 1");
  assert.equal(s.of({ type: "vad", t: 0.2, session: "up-2", ...up }).label, "upload 2");
  assert.equal(s.of({ type: "intent", t: 0, origin: "text", session: "cmd-1" }).label, "typed 1");
  // The upload's intent and publish come from the devices runtime with its session only.
  assert.equal(s.of({ type: "intent", t: 2, origin: "asr", session: "up-1" }).label, "upload 1");
  assert.equal(s.of({ type: "publish", t: 31, session: "up-1" }).label, "upload 1");
  assert.equal(s.of({ type: "confirm", t: 31, session: "cmd-1" }).label, "typed 1");
  // A live wake session: the devices runtime's id on a spoken intent with no audio of its own.
  const live = s.of({ type: "intent", t: 12.5, origin: "asr", session: "wake-7" });
  assert.deepEqual(live, { key: "live", kind: "live", label: "live" });
  assert.equal(s.of({ type: "publish", t: 12.5, session: "wake-7" }).label, "live");
  // A Hermes startListening wake has a session but is on the live timeline.
  assert.equal(s.of({ type: "wake", t: 40, session: "hermes-1", model: "hermes" }).label, "live");
  // A session first seen on a device answer (the page opened late): named, not guessed.
  assert.equal(s.of({ type: "confirm", t: 3, session: "0123456789ab" }).label, "command 01234567");
  assert.equal(s.labelOf("up-2"), "upload 2");
  assert.equal(s.labelOf("never-seen"), undefined);
});

Deno.test("an upload can be named after its file once its answer gives the session", () => {
  const s = new StreamLabels();
  s.of({ type: "vad", t: 0.1, session: "u", stream: "upload" });
  s.name("u", "demo.wav");
  assert.equal(s.of({ type: "wake", t: 1, session: "u" }).label, "upload 1: demo.wav");
  s.name("nobody", "x.wav"); // unknown sessions are ignored
  s.of({ type: "intent", t: 0, origin: "text", session: "c" });
  s.name("c", "x.wav"); // typed commands keep their label
  assert.equal(s.of({ type: "publish", t: 0, session: "c" }).label, "typed 1");
});

Deno.test("stream time: audio events and spoken intents on their timeline; none for typed or device answers", () => {
  assert.equal(streamTime({ type: "wake", t: 1.234 }, "upload"), "1.23 s");
  assert.equal(streamTime({ type: "intent", t: 3, origin: "asr" }, "live"), "3.00 s");
  assert.equal(streamTime({ type: "intent", t: 3, origin: "text" }, "typed"), "–");
  assert.equal(streamTime({ type: "publish", t: 3 }, "live"), "–");
  assert.equal(streamTime({ type: "confirm", t: 3 }, "upload"), "–");
  assert.equal(streamTime({ type: "vad" }, "live"), "–");
  assert.equal(streamTime({ type: "vad", t: NaN }, "live"), "–");
});

Deno.test("wall time: local clock with milliseconds from 'at'; '–' without one", () => {
  const at = new Date(2026, 11, 3, 7, 5, 9, 42).toISOString();
  assert.equal(wallTime({ at }), "07:05:09.042");
  assert.equal(wallTime({}), "–");
  assert.equal(wallTime({ at: "not a time" }), "–");
});

Deno.test("clockTime: time of day today, day and month otherwise", () => {
  const now = new Date(2026, 11, 3, 12, 0, 0);
  assert.equal(clockTime(new Date(2026, 11, 3, 9, 8, 7).toISOString(), now), "09:08:07");
  assert.equal(clockTime(new Date(2026, 10, 30, 21, 4, 0).toISOString(), now), "30 Nov 21:04");
  assert.equal(clockTime(undefined, now), "–");
  assert.equal(clockTime("garbage", now), "–");
});
