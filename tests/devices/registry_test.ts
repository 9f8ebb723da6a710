import assert from "node:assert/strict";
import {
  loadRegistry,
  parseRegistry,
  parseRegistryText,
  Registry,
  RegistryError,
} from "../../devices/registry.ts";

const light = (extra: Record<string, unknown> = {}) => ({
  name: "kitchen light",
  area: "kitchen",
  type: "light",
  adapter: { type: "zigbee2mqtt", name: "kitchen_light" },
  ...extra,
});

function problems(input: unknown): string {
  try {
    parseRegistry(input, "devices.json");
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err.message;
  }
  assert.fail("expected a RegistryError");
}

Deno.test("the example registry loads and fills defaults", async () => {
  const r = await loadRegistry(
    new URL("../../devices/example.devices.json", import.meta.url).pathname,
  );
  assert.ok(r.devices.length >= 10);
  const k = r.device("kitchen light")!;
  assert.equal(k.id, "kitchen_light");
  assert.equal(k.area, "kitchen");
  assert.deepEqual(k.features, ["onoff", "brightness", "colorTemp"]);
  assert.equal(r.device("kitchen ceiling light"), k, "alias lookup");
  assert.equal(r.area("lounge")?.id, "living_room");
  assert.deepEqual(r.devicesIn("kitchen", ["light"]).map((d) => d.id), [
    "kitchen_light",
    "counter_lights",
  ]);
  assert.equal(r.devicesIn("*", ["light"]).length, 5);
});

Deno.test("errors name the file, the path and the problem", () => {
  const base = { areas: [{ name: "kitchen" }] };
  assert.match(
    problems({
      ...base,
      devices: [
        light(),
        light({ name: "a" }),
        light({ name: "b" }),
        light({ name: "c", adapter: { type: "zigbee" } }),
      ],
    }),
    /^devices\.json: devices\[3\]\.adapter: unknown "zigbee" \(known: zigbee2mqtt, tasmota, homeassistant, homie, generic\)$/m,
  );
  assert.match(
    problems({ ...base, devices: [light({ type: "lamp" })] }),
    /devices\.json: devices\[0\]\.type: /,
  );
  assert.match(
    problems({ ...base, devices: [light({ area: "kitchn" })] }),
    /devices\[0\]\.area: unknown area "kitchn" \(known: kitchen\)/,
  );
  assert.match(
    problems({ ...base, devices: [light({ adapter: { type: "tasmota" } })] }),
    /devices\[0\]\.adapter\.topic: /,
  );
  assert.match(
    problems({
      ...base,
      devices: [light({ adapter: { type: "zigbee2mqtt", name: "x", colour: 1 } })],
    }),
    /devices\[0\]\.adapter: unknown field\(s\) "colour"/,
  );
  assert.match(
    problems({ ...base, devices: [light({ adapter: "z2m" })] }),
    /devices\[0\]\.adapter: expected an object with a "type"/,
  );
  assert.match(
    problems({ ...base, devices: [light({ adapter: {} })] }),
    /devices\[0\]\.adapter\.type: missing/,
  );
  assert.match(
    problems({ ...base, devices: [light({ adapter: { type: "zigbee2mqtt", name: "a/#" } })] }),
    /adapter\.name: must not contain \+ or #/,
  );
  assert.match(
    problems({ ...base, devices: [light(), light()] }),
    /devices\[1\]\.id: duplicate id "kitchen_light" \(also devices\[0\]\)/,
  );
  assert.match(
    problems({ ...base, devices: [light(), light({ name: "other", aliases: ["Kitchen Light"] })] }),
    /devices\[1\]\.name: name "kitchen light" is already used by "kitchen_light"/,
  );
  assert.match(
    problems({ areas: [{ name: "kitchen" }, { name: "Kitchen" }] }),
    /areas\[1\]\.name: "kitchen" is already used by areas\[0\]/,
  );
  assert.match(
    problems({ ...base, devices: [light({ name: "" })] }),
    /devices\[0\]\.name: must not be empty/,
  );
  assert.match(
    problems({ ...base, devices: [], colour: 1 }),
    /devices\.json: \(root\): unknown field\(s\) "colour"/,
  );
  assert.match(problems([]), /devices\.json: \(root\): /);
  assert.match(
    problems({
      ...base,
      devices: [
        light({ type: "light", features: ["onoff"], adapter: { type: "generic", commands: {} } }),
      ],
    }),
    /devices\[0\]\.adapter\.commands\.on: missing \(the device has feature "onoff"\)/,
  );
  assert.match(
    problems({ ...base, devices: [light({ type: "scene", features: ["onoff"] })] }),
    /a scene only has "activate"/,
  );
});

Deno.test("several problems are all reported, one per line", () => {
  const msg = problems({
    areas: [{ name: "kitchen" }],
    devices: [light({ adapter: { type: "zigbee" } }), light({ name: "x", area: "nowhere" })],
  });
  assert.equal(msg.split("\n").length, 2, msg);
});

Deno.test("bad JSON names the file, line and column", () => {
  assert.throws(
    () =>
      parseRegistryText('{\n  "areas": [\n    { "name": "kitchen", }\n  ]\n}', "my.devices.json"),
    (e: Error) =>
      e instanceof RegistryError && /^my\.devices\.json:3:\d+: invalid JSON/.test(e.message),
  );
});

Deno.test("a missing file is named", async () => {
  await assert.rejects(
    loadRegistry("/nonexistent/devices.json"),
    /\/nonexistent\/devices\.json: cannot read device registry/,
  );
});

Deno.test("Registry.add/remove: ids, name clashes, unknown areas, change listeners", () => {
  const r = new Registry({ areas: [{ id: "hall", name: "hall", aliases: [] }] });
  let changes = 0;
  r.onChange(() => changes++);
  const d = r.add({
    name: "Hall Light 2",
    area: "Hall",
    type: "light",
    adapter: { type: "zigbee2mqtt", name: "h", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.equal(d.id, "hall_light_two");
  assert.equal(d.name, "hall light two");
  assert.equal(d.area, "hall");
  assert.throws(
    () => r.add({ id: "other", name: "hall light 2", type: "light", adapter: d.adapter }),
    /already used by "hall_light_two"/,
  );
  assert.throws(
    () => r.add({ name: "x", area: "attic", type: "light", adapter: d.adapter }),
    /unknown area "attic"/,
  );
  r.add({ ...d, aliases: ["hallway lamp"] }); // same id: replaced
  assert.equal(r.devices.length, 1);
  assert.equal(r.device("hallway lamp")?.id, "hall_light_two");
  assert.ok(r.remove("hall_light_two"));
  assert.ok(!r.remove("hall_light_two"));
  assert.equal(changes, 3);
});

Deno.test("devices/registry.schema.json is up to date (regenerate: deno run -A devices/schema.ts)", async () => {
  const { registryJsonSchema } = await import("../../devices/schema.ts");
  const committed = JSON.parse(
    await Deno.readTextFile(new URL("../../devices/registry.schema.json", import.meta.url)),
  );
  assert.deepEqual(committed, JSON.parse(JSON.stringify(registryJsonSchema())));
  assert.deepEqual(
    committed.properties.devices.items.properties.adapter.oneOf.map((
      s: { properties: { type: { const: string } } },
    ) => s.properties.type.const),
    [
      "zigbee2mqtt",
      "tasmota",
      "homeassistant",
      "homie",
      "generic",
    ],
  );
});
