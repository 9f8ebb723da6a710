/**
 * What the satellite says back (devices/answers.ts): one reply per kind of event, the
 * outcome of a command from its confirmations, and when the wake chirp plays.
 */
import assert from "node:assert/strict";
import type { ConfirmEvent } from "../../core/events.ts";
import {
  type AnswerEvent,
  failureOf,
  ONE_BREATH_SAMPLES,
  outcome,
  type Reply,
  replyFor,
  wakeChirp,
} from "../../devices/answers.ts";
import { loadRegistry } from "../../home/registry.ts";
import { parseIntent } from "../../intent/parser.ts";
import { Router } from "../../devices/router.ts";

const confirm = (device: string, confirmed: boolean, reason?: string): ConfirmEvent => ({
  type: "confirm",
  t: 1,
  device,
  confirmed,
  latencyMs: 3000,
  ...(reason ? { reason } : {}),
});
const names = (id: string) => id.replace(/_/g, " ");

Deno.test("every kind of event has its reply: sound and sentence", () => {
  const cases: [AnswerEvent, Reply][] = [
    [{ kind: "listening" }, { sound: "wake" }],
    [{ kind: "notHeard" }, { sound: "error", text: "I didn't catch that" }],
    [{ kind: "notUnderstood" }, { sound: "error", text: "I didn't catch that" }],
    [
      {
        kind: "ambiguous",
        problem: "which ceiling fan? there is one in the study and one in the guest room",
      },
      {
        sound: "error",
        text: "which ceiling fan? there is one in the study and one in the guest room",
      },
    ],
    [
      { kind: "answer", text: "the kitchen light is on, brightness 40 percent" },
      { sound: "done", text: "the kitchen light is on, at 40 percent" },
    ],
    [{ kind: "answer", text: "cancelled" }, { sound: "done", text: "cancelled" }],
    [
      { kind: "refused", errors: ["no lights in the garage"] },
      { sound: "error", text: "there are no lights in the garage" },
    ],
    [
      { kind: "refused", errors: ['unknown area "attic"'] },
      { sound: "error", text: "I don't know a room called attic" },
    ],
    [
      {
        kind: "refused",
        errors: ["which room? no area was said and this satellite has no devices.area"],
      },
      { sound: "error", text: "which room do you mean?" },
    ],
    [
      {
        kind: "refused",
        errors: ['kitchen_light cannot do SetColorTemp (no "colorTemp" feature)'],
      },
      { sound: "error", text: "that device cannot do that" },
    ],
    [{ kind: "refused", errors: [] }, { sound: "error", text: "sorry, I could not do that" }],
    [{ kind: "done" }, { sound: "done" }],
    [
      { kind: "failed", devices: [{ name: "patio heater", reason: "did not respond" }] },
      { sound: "error", text: "the patio heater did not respond" },
    ],
    [
      {
        kind: "failed",
        devices: [
          { name: "patio heater", reason: "did not respond" },
          { name: "porch light", reason: "did not respond" },
          { name: "garage door", reason: "is offline" },
          { name: "hall lamp", reason: "refused" },
        ],
      },
      {
        sound: "error",
        text: "the patio heater and the porch light did not respond; the garage door is offline; " +
          "I could not command the hall lamp",
      },
    ],
    [
      {
        kind: "failed",
        devices: [{ name: "a", reason: "is offline" }, { name: "b", reason: "is offline" }],
      },
      { sound: "error", text: "the a and the b are offline" },
    ],
    // Hermes text is spoken as given (no sound: the app chose its words).
    [{ kind: "say", text: "  the  heating is on " }, { text: "the heating is on" }],
  ];
  for (const [event, reply] of cases) assert.deepEqual(replyFor(event), reply, event.kind);
});

Deno.test("long Hermes text is cut at a word to answers.maxChars", () => {
  const text = "word ".repeat(100);
  const r = replyFor({ kind: "say", text }, 42);
  assert.ok(r.text!.length <= 42 && r.text!.endsWith("word"), String(r.text));
});

Deno.test("a failed confirmation is spoken only when the device failed, not when it cannot report", () => {
  assert.equal(failureOf(confirm("x", true)), null);
  assert.equal(failureOf(confirm("x", false, "on has no observable state")), null);
  assert.equal(failureOf(confirm("x", false, "device has no state topic")), null);
  assert.equal(
    failureOf(confirm("x", false, "no state report for on within 3000 ms")),
    "did not respond",
  );
  assert.equal(
    failureOf(
      confirm(
        "x",
        false,
        "no state report for on within 3000 ms (the device reports it is offline)",
      ),
    ),
    "is offline",
  );
  assert.equal(
    failureOf(confirm("x", false, "expired in the offline queue")),
    "could not be reached",
  );
});

Deno.test("outcome: done when every device confirmed, else the devices that failed by name", () => {
  assert.deepEqual(outcome([confirm("kitchen_light", true)], [], names), { kind: "done" });
  assert.deepEqual(
    outcome(
      [
        confirm("kitchen_light", true),
        confirm("patio_heater", false, "no state report for on within 3000 ms"),
      ],
      [{
        device: "hall_lamp",
        command: "toggle",
        topics: [],
        queued: false,
        error: "cannot toggle",
      }],
      names,
    ),
    {
      kind: "failed",
      devices: [
        { name: "hall lamp", reason: "refused" },
        { name: "patio heater", reason: "did not respond" },
      ],
    },
  );
});

Deno.test("the wake chirp waits for a command said in the wake phrase's breath", () => {
  assert.equal(wakeChirp(32000, 32000 + 1600), "now");
  assert.equal(wakeChirp(32000, 32000 + ONE_BREATH_SAMPLES), "now");
  assert.equal(wakeChirp(32000, 32000 + ONE_BREATH_SAMPLES + 1), "transcript");
  // The estimate may put the phrase end after the speech end.
  assert.equal(wakeChirp(32000, 30000), "now");
});

Deno.test("the router's state answer and its which-device question become the spoken replies", async () => {
  const home = await loadRegistry(
    new URL("../fixtures/phrasing/home.devices.json", import.meta.url).pathname,
  );
  const link = { publish: () => ({ queued: false }), subscribe: () => () => {} };
  const router = new Router(home, link, {
    confirmTimeoutMs: 10,
    brightnessStep: 25,
    emit: () => {},
  });
  router.states.update("kitchen_ceiling_light", { on: true, brightness: 40 });
  const ask = (text: string) => {
    const intent = parseIntent(text, home, { area: "kitchen" });
    assert.ok(intent, text);
    return router.route(intent);
  };
  const q = ask("is the ceiling light on");
  assert.deepEqual(replyFor({ kind: "answer", text: q.answer! }), {
    sound: "done",
    text: "yes, the ceiling light is on",
  });
  const state = ask("what is the state of the ceiling light");
  assert.deepEqual(replyFor({ kind: "answer", text: state.answer! }), {
    sound: "done",
    text: "the ceiling light is on, at 40 percent",
  });
  const which = parseIntent("turn on the ceiling fan", home, { area: "kitchen" })!;
  assert.deepEqual(replyFor({ kind: "ambiguous", problem: which.problem! }), {
    sound: "error",
    text: "which ceiling fan? there is one in the study and one in the guest room, " +
      "and none in the kitchen, where this satellite is",
  });
  router.close();
});
