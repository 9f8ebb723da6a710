import assert from "node:assert/strict";
import {
  loadRegistry,
  parseRegistry,
  parseRegistryText,
  Registry,
  RegistryError,
} from "../../home/registry.ts";

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

Deno.test("devices/registry.schema.json is up to date (regenerate: deno run -A home/schema.ts)", async () => {
  const { registryJsonSchema } = await import("../../home/schema.ts");
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

Deno.test("devices in different areas may share a name; default ids then name the area", () => {
  const fan = (area: string, extra: Record<string, unknown> = {}) => ({
    name: "Ceiling Fan",
    area,
    type: "fan",
    adapter: { type: "homie", device: `${area}-fan`, node: "fan" },
    ...extra,
  });
  const r = parseRegistry({
    areas: [{ name: "study" }, { name: "guest room" }],
    devices: [fan("study"), fan("guest room"), fan("study", { name: "desk fan", id: "desk" })],
  });
  assert.deepEqual(r.devices.map((d) => d.id), [
    "study_ceiling_fan",
    "guest_room_ceiling_fan",
    "desk",
  ]);
  assert.deepEqual(r.named("ceiling fan").map((d) => d.area), ["study", "guest_room"]);
  // The same name twice in one area, or on a device without an area, still clashes.
  assert.match(
    problems({
      areas: [{ name: "study" }],
      devices: [fan("study"), fan("study", { id: "fan2" })],
    }),
    /devices\[1\]\.name: name "ceiling fan" is already used by "ceiling_fan" in the same area \(study\)/,
  );
  assert.match(
    problems({
      areas: [{ name: "study" }],
      devices: [fan("study"), { ...fan("study"), area: undefined, id: "fan2" }],
    }),
    /devices\[1\]\.name: name "ceiling fan" is already used by "study_ceiling_fan" \(a device without an area shares no name\)/,
  );
});

Deno.test("floors group areas; their names and ids share one space with areas", () => {
  const r = parseRegistry({
    areas: [{ name: "kitchen" }, { name: "study" }, { name: "guest room" }],
    floors: [{ name: "upstairs", aliases: ["first floor"], areas: ["study", "Guest Room"] }],
    devices: [
      light(),
      light({ name: "desk lamp", area: "study", adapter: { type: "tasmota", topic: "d" } }),
    ],
  });
  assert.deepEqual(r.floor("first floor")?.areas, ["study", "guest_room"]);
  assert.equal(r.area("study")?.floor, "upstairs");
  assert.deepEqual(r.devicesIn("upstairs").map((d) => d.id), ["desk_lamp"]);
  const base = { areas: [{ name: "kitchen" }, { name: "study" }] };
  assert.match(
    problems({ ...base, floors: [{ name: "upstairs", areas: ["attic"] }] }),
    /devices\.json: floors\[0\]\.areas\[0\]: unknown area "attic" \(known: kitchen, study\)/,
  );
  assert.match(
    problems({
      ...base,
      floors: [{ name: "up", areas: ["study"] }, { name: "down", areas: ["study", "kitchen"] }],
    }),
    /floors\[1\]\.areas\[0\]: area "study" is already on floor "up"/,
  );
  assert.match(
    problems({ ...base, floors: [{ name: "kitchen", areas: ["study"] }] }),
    /floors\[0\]\.name: "kitchen" is already used by areas\[0\]/,
  );
  assert.match(
    problems({ ...base, floors: [{ name: "upstairs", areas: [] }] }),
    /floors\[0\]\.areas: list at least one area/,
  );
});

Deno.test("sentences files beside the registry add their own sentences; problems name the file", async () => {
  const dir = await Deno.makeTempDir();
  const registry = (sentences: string[]) =>
    JSON.stringify({
      areas: [{ name: "kitchen" }],
      devices: [light()],
      templates: { intents: { TurnOn: ["lights please {device=kitchen_light}"] } },
      sentences,
    });
  await Deno.mkdir(`${dir}/sentences`);
  await Deno.writeTextFile(
    `${dir}/sentences/ours.json`,
    JSON.stringify({
      $comment: "how we talk",
      intents: { TurnOn: ["wake up [the] {device:switchable}"] },
    }),
  );
  await Deno.writeTextFile(`${dir}/home.json`, registry(["sentences/ours.json"]));
  const r = await loadRegistry(`${dir}/home.json`);
  assert.deepEqual(r.templates?.intents.TurnOn, [
    "lights please {device=kitchen_light}",
    "wake up [the] {device:switchable}",
  ]);
  await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify({ intents: { TurnOn: "x" } }));
  await Deno.writeTextFile(`${dir}/home2.json`, registry(["bad.json"]));
  await assert.rejects(loadRegistry(`${dir}/home2.json`), /bad\.json: intents\.TurnOn: /);
  await Deno.writeTextFile(`${dir}/home3.json`, registry(["gone.json"]));
  await assert.rejects(
    loadRegistry(`${dir}/home3.json`),
    /home3\.json: sentences\[0\]: cannot read "gone\.json"/,
  );
  assert.throws(
    () => parseRegistryText(registry(["x.json"]), "inline.json"),
    /inline\.json: sentences: sentence files are read when the registry is a file/,
  );
  await Deno.remove(dir, { recursive: true });
});
