/**
 * Commands as people say them, against a home where several rooms have a
 * "ceiling light", a "ceiling fan", "blinds" and a "thermostat"
 * (tests/fixtures/phrasing/home.devices.json; floors: downstairs = kitchen +
 * living room, upstairs = study + guest room + bedroom + attic). Each case
 * says what the router would act on (intentTargets), from a satellite in the
 * living room unless another room is named.
 */
import assert from "node:assert/strict";
import { loadRegistry } from "../../home/registry.ts";
import { parseIntent } from "../../intent/index.ts";
import { whatItDoes } from "./helpers.ts";

const home = await loadRegistry(
  new URL("../fixtures/phrasing/home.devices.json", import.meta.url).pathname,
);

/** What a sentence does in the phrasing home (tests/intent/helpers.ts whatItDoes). */
const does = (text: string, site = "living_room") => whatItDoes(home, text, site);

const ALL_LIGHTS = [
  "bedroom_ceiling_light",
  "bedside_lamp",
  "counter_lights",
  "desk_lamp",
  "floor_lamp",
  "kitchen_ceiling_light",
  "living_room_ceiling_light",
  "porch_light",
  "reading_lamp",
  "salt_lamp",
];
const UPSTAIRS_LIGHTS = [
  "bedroom_ceiling_light",
  "bedside_lamp",
  "desk_lamp",
  "reading_lamp",
  "salt_lamp",
];

Deno.test("a shared name: the area said picks the device, before or after the name", () => {
  for (
    const text of [
      "turn off the ceiling fan in the study",
      "turn the study ceiling fan off",
      "switch off the ceiling fan in my office", // an area alias
    ]
  ) assert.deepEqual(does(text), { intent: "TurnOff", on: ["study_ceiling_fan"] }, text);
  assert.deepEqual(does("turn on the guest room ceiling fan"), {
    intent: "TurnOn",
    on: ["guest_room_ceiling_fan"],
  });
  assert.deepEqual(does("is the salt lamp in the guest room still on"), {
    intent: "QueryState",
    on: ["salt_lamp"],
    value: "on",
  });
});

Deno.test("a shared name without an area: the satellite's room, else no action and why", () => {
  assert.deepEqual(does("turn the ceiling fan on", "study"), {
    intent: "TurnOn",
    on: ["study_ceiling_fan"],
  });
  assert.deepEqual(does("turn on the ceiling fan in here", "guest_room"), {
    intent: "TurnOn",
    on: ["guest_room_ceiling_fan"],
  });
  assert.deepEqual(does("turn on the ceiling fan", "kitchen"), {
    intent: "TurnOn",
    on: [],
    why:
      "which ceiling fan? there is one in the study and one in the guest room, and none in the kitchen, where this satellite is",
  });
  // Never a guess: a satellite without an area cannot pick either.
  const p = parseIntent("turn on the ceiling fan", home);
  assert.equal(p?.name, "TurnOn");
  assert.deepEqual(p?.candidates, ["study_ceiling_fan", "guest_room_ceiling_fan"]);
  assert.match(p!.problem!, /^which ceiling fan\?/);
});

Deno.test("an area said with a device that is not there acts on nothing", () => {
  assert.deepEqual(does("turn off the ceiling fan in the kitchen"), {
    intent: "TurnOff",
    on: [],
    why:
      "there is no ceiling fan in the kitchen (there is one in the study and one in the guest room)",
  });
  assert.deepEqual(does("turn on the reading lamp in the bedroom"), {
    intent: "TurnOn",
    on: [],
    why: "there is no reading lamp in the bedroom (the reading lamp is in the study)",
  });
});

Deno.test("groups: here, a room, a floor, the whole house", () => {
  const kitchen = ["counter_lights", "kitchen_ceiling_light"];
  assert.deepEqual(does("turn on the lights in here", "kitchen"), {
    intent: "TurnOn",
    on: kitchen,
  });
  assert.deepEqual(does("lights on in the kitchen"), { intent: "TurnOn", on: kitchen });
  assert.deepEqual(does("kitchen lights on please"), { intent: "TurnOn", on: kitchen });
  assert.deepEqual(does("turn off the upstairs lights"), {
    intent: "TurnOff",
    on: UPSTAIRS_LIGHTS,
  });
  assert.deepEqual(does("switch on the lights downstairs")?.on, [
    "counter_lights",
    "floor_lamp",
    "kitchen_ceiling_light",
    "living_room_ceiling_light",
  ]);
  for (
    const text of [
      "turn all lights off",
      "turn off all the lights in the house",
      "turn off the lights everywhere",
      "switch off every light in the house",
    ]
  ) assert.deepEqual(does(text), { intent: "TurnOff", on: ALL_LIGHTS }, text);
  // "the blinds" never moves the garage door (a cover too)
  assert.deepEqual(does("close all the blinds")?.on, ["study_blinds", "window_blinds"]);
});

Deno.test("verbs people use, per kind of device", () => {
  assert.deepEqual(does("shut off the porch light on the patio"), {
    intent: "TurnOff",
    on: ["porch_light"],
  });
  assert.deepEqual(does("start the attic fan"), { intent: "TurnOn", on: ["attic_fan"] });
  assert.deepEqual(does("stop the attic fan"), { intent: "TurnOff", on: ["attic_fan"] });
  assert.deepEqual(does("put the kettle on", "kitchen"), { intent: "TurnOn", on: ["kettle"] });
  assert.deepEqual(does("light up the living room")?.on, [
    "floor_lamp",
    "living_room_ceiling_light",
  ]);
  assert.deepEqual(does("open up the garage door"), { intent: "OpenCover", on: ["garage_door"] });
  assert.deepEqual(does("close the cellar garage door"), {
    intent: "CloseCover",
    on: ["garage_door"],
  });
  assert.deepEqual(does("raise the window blinds"), { intent: "OpenCover", on: ["window_blinds"] });
  assert.deepEqual(does("lower the window blinds"), {
    intent: "CloseCover",
    on: ["window_blinds"],
  });
  assert.deepEqual(does("heat the guest room to nineteen degrees"), {
    intent: "SetTemperature",
    on: ["guest_room_thermostat"],
    value: 19,
  });
  assert.deepEqual(does("cool the lounge down to 19 degrees")?.on, ["living_room_thermostat"]);
  assert.deepEqual(does("activate party mode"), { intent: "ActivateScene", on: ["party_mode"] });
  assert.deepEqual(does("dim the floor lamp to thirty percent")?.value, 30);
  assert.deepEqual(does("brighten the kitchen lights to eighty percent")?.value, 80);
});

Deno.test("level words: max, min, lowest, half, full", () => {
  assert.equal(does("set the reading lamp to max")?.value, 100);
  assert.equal(does("dim the bedside lamp to the lowest setting")?.value, 1);
  assert.equal(does("set the living room lights to half brightness")?.value, 50);
  assert.equal(does("turn the attic fan up to full speed")?.value, 100);
  assert.equal(does("put the tower fan on the lowest setting")?.value, 33);
  assert.equal(does("open the window blinds halfway")?.value, 50);
});

Deno.test("questions: still, any, which, how many", () => {
  assert.deepEqual(does("which lights are on"), {
    intent: "QueryState",
    on: ALL_LIGHTS,
    value: "on",
  });
  assert.deepEqual(does("how many lights are on upstairs")?.on, UPSTAIRS_LIGHTS);
  assert.deepEqual(does("are any switches on in the kitchen"), {
    intent: "QueryState",
    on: ["kettle"],
    value: "on",
  });
  assert.deepEqual(does("is the kettle still on")?.on, ["kettle"]);
  assert.deepEqual(does("what's the temperature")?.on, ["living_room_thermostat"]);
});

Deno.test("politeness and fillers are part of the grammar (confidence 1)", () => {
  for (
    const text of [
      "can you turn the lights on in the living room",
      "could you turn on my living room lights for me",
      "would you switch the bedroom lights off",
      "could you please shut off the lights in the study for me",
      "living room lights on please",
    ]
  ) {
    const p = parseIntent(text, home, { area: "kitchen" });
    assert.equal(p?.confidence, 1, text);
  }
  // "hey", "our", "now", "just": typed-only fillers (spoken, "our" sounds like "are"), cheap edits.
  const hey = parseIntent("hey switch our bedroom lights on now", home);
  assert.equal(hey?.name, "TurnOn");
  assert.ok(hey!.confidence >= 0.8 && hey!.confidence < 1, String(hey?.confidence));
});

Deno.test("typed digits and symbols: 50%, 21°, 17.5", () => {
  assert.deepEqual(does("set the bedside lamp brightness to 50%"), {
    intent: "SetBrightness",
    on: ["bedside_lamp"],
    value: 50,
  });
  assert.deepEqual(does("set the temperature to 21°"), {
    intent: "SetTemperature",
    on: ["living_room_thermostat"],
    value: 21,
  });
  assert.equal(does("set the thermostat in the spare room to 17.5 degrees")?.value, 17.5);
});

Deno.test("confusable phrasings keep their meaning", () => {
  // "stop" a fan turns it off; "stop" the blinds halts them; "stop" alone cancels.
  assert.equal(does("stop the tower fan")?.intent, "TurnOff");
  assert.equal(does("stop the blinds")?.intent, "StopDevice");
  assert.equal(does("stop")?.intent, "Cancel");
  // "start" a scene activates it; "start" a fan turns it on.
  assert.equal(does("start movie time")?.intent, "ActivateScene");
  assert.equal(does("start the tower fan")?.intent, "TurnOn");
  // "shut" a door closes it; "shut off" a light turns it off.
  assert.equal(does("shut the garage door")?.intent, "CloseCover");
  assert.equal(does("shut off the floor lamp")?.intent, "TurnOff");
  // An on/off word missing is no guess.
  assert.equal(does("turn the floor lamp"), null);
});
