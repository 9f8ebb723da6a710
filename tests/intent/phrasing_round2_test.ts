/**
 * Commands as people say them, round 2 (issue 15): one test per template or
 * parser change, against tests/fixtures/phrasing/home2.devices.json ("lamp",
 * "radiator", "blinds" in two rooms, "ceiling light" in three, one device
 * called just "fan" in the nursery, curtains in the living room, a garage
 * door). Each case says what the router would act on (intentTargets), from
 * a satellite in the living room unless another room is given.
 */
import assert from "node:assert/strict";
import { loadRegistry, parseRegistry, type Registry } from "../../home/registry.ts";
import { parseIntent } from "../../intent/index.ts";
import { whatItDoes } from "./helpers.ts";
import { EVERYTHING_PROBLEM } from "../../intent/resolve.ts";
import { nameWords, typeWords } from "../../intent/parser.ts";

const home2 = await loadRegistry(
  new URL("../fixtures/phrasing/home2.devices.json", import.meta.url).pathname,
);

/** What a sentence does (tests/intent/helpers.ts whatItDoes); home 2 unless given. */
const does = (text: string, site = "living_room", home: Registry = home2) =>
  whatItDoes(home, text, site);

Deno.test("'would you mind' takes the -ing verbs: turning, switching", () => {
  assert.deepEqual(does("would you mind switching on the lamp"), {
    intent: "TurnOn",
    on: ["living_room_lamp"],
  });
  assert.deepEqual(does("would you mind turning the night light off", "nursery"), {
    intent: "TurnOff",
    on: ["night_light"],
  });
  // The -ing forms are verbs of on/off only: no "turning the radiator to 20".
  assert.equal(does("would you mind turning the radiator to twenty"), null);
});

Deno.test("'everything' is understood and refused with a reason, never acted on", () => {
  for (
    const [text, intent] of [
      ["switch everything off", "TurnOff"],
      ["turn off everything in the kids room", "TurnOff"],
      ["turn everything off upstairs", "TurnOff"],
      ["turn on everything", "TurnOn"],
    ]
  ) assert.deepEqual(does(text), { intent, on: [], why: EVERYTHING_PROBLEM }, text);
});

Deno.test("'make it N degrees [in room]' sets the thermostat; 'make it 80' sets nothing", () => {
  assert.deepEqual(does("make it 21 degrees in the living room", "hallway"), {
    intent: "SetTemperature",
    on: ["living_room_radiator"],
    value: 21,
  });
  assert.deepEqual(does("make it 19 degrees in here", "nursery"), {
    intent: "SetTemperature",
    on: ["nursery_radiator"],
    value: 19,
  });
  // Not a temperature (over 35): no thermostat is set.
  assert.equal(does("make it 80"), null);
});

Deno.test("'turn up the heat to N': the verb particle before the heating", () => {
  assert.deepEqual(does("turn up the heat to 22"), {
    intent: "SetTemperature",
    on: ["living_room_radiator"],
    value: 22,
  });
});

Deno.test("kinds: 'curtains', 'blinds', 'lamps' move only the devices so called", () => {
  assert.deepEqual(does("close all the curtains"), { intent: "CloseCover", on: ["curtains"] });
  assert.deepEqual(does("open all the blinds", "hallway"), {
    intent: "OpenCover",
    on: ["dining_room_blinds", "kids_room_blinds"],
  });
  assert.deepEqual(does("switch off the lamps", "nursery"), {
    intent: "TurnOff",
    on: ["nursery_lamp"], // not the night light
  });
  // A room with no lamp at all: "the lamps" are its lights, as before.
  assert.deepEqual(does("turn off the lamps", "kids_room"), {
    intent: "TurnOff",
    on: ["fairy_lights", "kids_room_ceiling_light"],
  });
  // "the blinds" in a room with only curtains: blinds is a name two other rooms have.
  const r = does("close the blinds");
  assert.equal(r?.intent, "CloseCover");
  assert.deepEqual(r?.on, []);
  assert.match(String(r?.why), /blinds/);
});

Deno.test("'open/close the garage': the room's door; a room without a door moves nothing", () => {
  assert.deepEqual(does("open the garage"), { intent: "OpenCover", on: ["garage_door"] });
  assert.deepEqual(does("shut the garage"), { intent: "CloseCover", on: ["garage_door"] });
  assert.deepEqual(does("close the dining room"), {
    intent: "CloseCover",
    on: [],
    why: "no doors in the dining room", // never its blinds
  });
});

Deno.test("'blinds up' without a verb is no sentence of the grammar (speech: noise became 'X up')", () => {
  // Tried in round 2 and dropped after the speech check (docs/phrasing.md): noisy audio found
  // "blind up", "curtain down" and acted. Typed, the fuzzy parser may still read it, never exactly.
  for (const text of ["blinds up", "blinds down please"]) {
    const p = parseIntent(text, home2, { area: "kids_room" });
    assert.ok(p === null || p.confidence < 1, text);
  }
});

Deno.test("a device called by a type word: the room's own device of that type first", () => {
  // The bathroom has an extractor fan: "the fan" there is it, not the nursery's "fan".
  assert.deepEqual(does("turn the fan on", "bathroom"), {
    intent: "TurnOn",
    on: ["extractor_fan"],
  });
  // A room without any fan: the one device called "fan".
  assert.deepEqual(does("turn off the fan", "hallway"), { intent: "TurnOff", on: ["fan"] });
  assert.deepEqual(does("start the fan in the nursery", "bathroom"), {
    intent: "TurnOn",
    on: ["fan"],
  });
});

Deno.test("a shared type-word name in a room without it: that room's device of the kind", () => {
  const home = parseRegistry({
    areas: [
      { id: "living_room", name: "living room" },
      { id: "bedroom", name: "bedroom" },
      { id: "office", name: "office", aliases: ["study"] },
      { id: "kitchen", name: "kitchen" },
    ],
    devices: [
      {
        name: "lamp",
        area: "living_room",
        type: "light",
        adapter: { type: "tasmota", topic: "a" },
      },
      { name: "lamp", area: "bedroom", type: "light", adapter: { type: "tasmota", topic: "b" } },
      {
        name: "desk lamp",
        area: "office",
        type: "light",
        adapter: { type: "tasmota", topic: "c" },
      },
      { name: "spots", area: "kitchen", type: "light", adapter: { type: "tasmota", topic: "d" } },
    ],
  }, "inline");
  assert.deepEqual(does("switch off the lamp in the study", "kitchen", home), {
    intent: "TurnOff",
    on: ["desk_lamp"],
  });
  assert.deepEqual(does("turn on the lamp", "office", home), {
    intent: "TurnOn",
    on: ["desk_lamp"],
  });
  // The kitchen has no lamp of any kind: no guess at its spots, and the reason says where lamps are.
  const r = does("turn on the lamp", "kitchen", home);
  assert.deepEqual(r?.on, []);
  assert.match(
    String(r?.why),
    /which lamp\? there is one in the living room and one in the bedroom/,
  );
});

Deno.test("questions: 'is X on in <room>', 'are all the blinds closed'", () => {
  assert.deepEqual(does("is the lamp on in the nursery"), {
    intent: "QueryState",
    on: ["nursery_lamp"], // the lamp, not every light there
    value: "on",
  });
  assert.deepEqual(does("are all the blinds closed", "hallway"), {
    intent: "QueryState",
    on: ["dining_room_blinds", "kids_room_blinds"],
    value: "closed",
  });
});

Deno.test("'out here' is here; '<verb> X off in <room>' keeps the device", () => {
  assert.deepEqual(does("turn off the lights out here", "garden"), {
    intent: "TurnOff",
    on: ["garden_lights"],
  });
  assert.deepEqual(does("switch the pendant lights off in the dining room"), {
    intent: "TurnOff",
    on: ["pendant_lights"],
  });
  assert.deepEqual(does("set the brightness to 50% in here"), {
    intent: "SetBrightness",
    on: ["living_room_lamp"],
    value: 50,
  });
});

Deno.test("the fuzzy parse never drops a name word: a device does not become its room's group", () => {
  const keep = nameWords(home2);
  assert.ok(keep.has("pendant") && keep.has("nursery") && keep.has("fairy"));
  assert.ok(!keep.has("lights") && !keep.has("lamp") && !keep.has("fan")); // type words
  // Word orders outside the grammar: skipping "pendant" or "fairy" once gave the room's lights
  // (every dining light, both kids room lights); now they are not understood.
  assert.equal(does("turn off the pendant dining room lights"), null);
  assert.equal(does("turn off the fairy kids room lights"), null);
  // Fillers are still skipped.
  assert.deepEqual(does("turn on the nursery lights please now"), {
    intent: "TurnOn",
    on: ["night_light", "nursery_lamp"],
  });
  assert.equal(typeWords(home2).get("blinds"), "cover");
  assert.equal(typeWords(home2).get("lamps"), "light");
});
