/**
 * Device states in words (devices/state_text.ts), for every device type of the registry
 * (home/schema.ts DEVICE_TYPES): what the status page's devices table shows. Missing fields
 * are left out, broken ones read "unknown"; the text never holds JSON, "undefined", "NaN" or
 * "null". Units stay glued to their numbers with a no-break space.
 */
import assert from "node:assert/strict";
import { DEVICE_TYPES } from "../../home/schema.ts";
import { availabilityOf, describeState } from "../../devices/state_text.ts";

/** The text with no-break spaces written as plain ones, to compare with readable literals. */
const words = (type: Parameters<typeof describeState>[0], state: unknown) =>
  describeState(type, state).replaceAll("\u00a0", " ");

Deno.test("a light: power, brightness and colour temperature; off hides the rest", () => {
  assert.equal(words("light", { on: true, brightness: 40, colorTemp: 2700 }), "on, 40%, 2700 K");
  assert.equal(words("light", { on: true }), "on");
  assert.equal(words("light", { on: false, brightness: 40, colorTemp: 2700 }), "off");
  assert.equal(words("light", { brightness: 0 }), "off");
  assert.equal(words("light", { brightness: 62.6 }), "63%");
  assert.equal(words("light", {}), "unknown");
});

Deno.test("units are joined by a no-break space, so '2700 K' never wraps apart", () => {
  assert.equal(describeState("light", { on: true, colorTemp: 2700 }), "on, 2700\u00a0K");
  assert.equal(describeState("thermostat", { temperature: 21 }), "set to 21\u00a0°C");
});

Deno.test("switches and plugs: on, off or unknown", () => {
  for (const type of ["switch", "plug"] as const) {
    assert.equal(words(type, { on: true }), "on");
    assert.equal(words(type, { on: false }), "off");
    assert.equal(words(type, {}), "unknown");
    assert.equal(words(type, { on: "ON" }), "unknown", "a string is not a reported state");
  }
});

Deno.test("a fan: on with its speed; speed 0 is off", () => {
  assert.equal(words("fan", { on: true, speed: 66.7 }), "on, speed 67%");
  assert.equal(words("fan", { on: false, speed: 66 }), "off");
  assert.equal(words("fan", { speed: 0 }), "off");
  assert.equal(words("fan", { speed: 33 }), "speed 33%");
});

Deno.test("a cover: closed at 0, open at 100, 'open 40%' between", () => {
  assert.equal(words("cover", { position: 0 }), "closed");
  assert.equal(words("cover", { position: 100 }), "open");
  assert.equal(words("cover", { position: 40 }), "open 40%");
  assert.equal(words("cover", {}), "unknown");
});

Deno.test("a thermostat: heating while colder than the setpoint, else 'set to'; off", () => {
  assert.equal(
    words("thermostat", { temperature: 21, currentTemperature: 19.5 }),
    "heating to 21 °C, now 19.5 °C",
  );
  assert.equal(
    words("thermostat", { temperature: 21, currentTemperature: 21.24 }),
    "set to 21 °C, now 21.2 °C",
  );
  assert.equal(words("thermostat", { temperature: 20.5 }), "set to 20.5 °C");
  assert.equal(words("thermostat", { currentTemperature: 18 }), "now 18 °C");
  assert.equal(words("thermostat", { on: false, temperature: 21 }), "off");
  assert.equal(words("thermostat", {}), "unknown");
});

Deno.test("a scene has no state to show", () => {
  assert.equal(words("scene", {}), "no state");
  assert.equal(words("scene", { on: true }), "no state");
});

Deno.test("broken values read 'unknown' naming the field, never JSON, undefined or NaN", () => {
  assert.equal(words("light", { on: true, brightness: "40" }), "on, brightness unknown");
  assert.equal(words("light", { on: true, brightness: 6622 }), "on, brightness unknown");
  assert.equal(words("light", { on: true, colorTemp: NaN }), "on, colour temperature unknown");
  assert.equal(words("light", { on: 1 }), "unknown");
  assert.equal(words("fan", { on: true, speed: -5 }), "on, speed unknown");
  assert.equal(words("cover", { position: "half" }), "unknown");
  assert.equal(words("cover", { position: 140 }), "unknown");
  assert.equal(words("thermostat", { temperature: "21" }), "setpoint unknown");
  assert.equal(
    words("thermostat", { temperature: 21, currentTemperature: Infinity }),
    "set to 21 °C, now unknown",
  );
});

Deno.test("every registry type gives words for every odd input", () => {
  const inputs: unknown[] = [
    undefined,
    null,
    42,
    "on",
    [],
    [true],
    {},
    { on: null, brightness: null },
    { on: true, brightness: undefined },
    { on: {}, brightness: {}, colorTemp: [], temperature: {}, position: {}, speed: {} },
    JSON.parse('{"__proto__": {"on": true}, "constructor": 1}'),
  ];
  for (const type of DEVICE_TYPES) {
    for (const input of inputs) {
      const text = describeState(type, input);
      assert.ok(text.length > 0 && text.length < 60, `${type} ${JSON.stringify(input)}: ${text}`);
      assert.doesNotMatch(text, /undefined|null|NaN|Infinity|[{}[\]"]/, `${type}: ${text}`);
    }
  }
});

Deno.test("an unknown type (a newer registry) reads 'unknown'", () => {
  // deno-lint-ignore no-explicit-any
  assert.equal(describeState("lock" as any, { on: true }), "unknown");
});

Deno.test("availability: online, offline, or unknown when the adapter never said", () => {
  assert.equal(availabilityOf({ available: true }), "online");
  assert.equal(availabilityOf({ available: false, on: true }), "offline");
  assert.equal(availabilityOf({ on: true }), "unknown");
  assert.equal(availabilityOf({ available: "online" }), "unknown");
  assert.equal(availabilityOf(null), "unknown");
});
