import assert from "node:assert/strict";
import {
  applyImport,
  guessArea,
  importHaDiscovery,
  importZ2mDevices,
} from "../../devices/import.ts";
import { parseRegistry } from "../../home/registry.ts";

const reg = () =>
  parseRegistry({
    areas: [{ name: "kitchen" }, { name: "living room", aliases: ["lounge"] }, { name: "hall" }],
    devices: [{
      name: "kitchen light",
      area: "kitchen",
      type: "light",
      adapter: { type: "zigbee2mqtt", name: "kitchen_ceiling" },
    }],
  }, "test.json");

Deno.test("guessArea: suggested area, then a name prefix, then the default", () => {
  const r = reg();
  assert.equal(guessArea(r, "desk lamp", "Lounge"), "living_room");
  assert.equal(guessArea(r, "living room fan"), "living_room");
  assert.equal(guessArea(r, "desk lamp", undefined, "hall"), "hall");
  assert.equal(guessArea(r, "desk lamp"), undefined);
  assert.equal(guessArea(r, "kitchenette lamp"), undefined, "whole words only");
});

Deno.test("HA discovery: light with abbreviations becomes a device with features", () => {
  const r = reg();
  const res = importHaDiscovery(
    r,
    "homeassistant/light/bridge1/desk/config",
    JSON.stringify({
      name: "Lamp",
      uniq_id: "desk-1",
      "~": "desk",
      cmd_t: "~/set",
      bri_cmd_t: "~/bri",
      clr_temp_cmd_t: "~/ct",
      min_mirs: 153,
      max_mirs: 500,
      dev: { name: "Lounge Desk", sa: "lounge" },
    }),
  );
  assert.deepEqual(res.problems, []);
  const d = res.devices[0];
  assert.deepEqual([d.id, d.name, d.area, d.type, d.features], [
    "ha_desk-1",
    "lounge desk lamp",
    "living_room",
    "light",
    ["onoff", "brightness", "colorTemp"],
  ]);
  assert.deepEqual(d.colorTempRange, [2000, 6536]);
  applyImport(r, res, (m) => assert.fail(m));
  assert.equal(r.device("lounge desk lamp")?.source, "homeassistant");
});

Deno.test("HA discovery: json schema light, climate, cover, fan, scene; sensors and own entities ignored", () => {
  const r = reg();
  const one = (component: string, cfg: object) =>
    importHaDiscovery(r, `homeassistant/${component}/x_${component}/config`, JSON.stringify(cfg));
  assert.deepEqual(
    one("light", { name: "Strip", schema: "json", cmd_t: "s/set", sup_clrm: ["color_temp"] })
      .devices[0].features,
    ["onoff", "brightness", "colorTemp"],
  );
  assert.deepEqual(
    one("climate", { name: "Heating", temp_cmd_t: "c/t", min_temp: 7, max_temp: 28 }).devices[0]
      .temperatureRange,
    [7, 28],
  );
  assert.equal(one("cover", { name: "Hall Blind", cmd_t: "b/set" }).devices[0].area, "hall");
  assert.deepEqual(
    one("fan", { name: "Fan", cmd_t: "f/set", pct_cmd_t: "f/p" }).devices[0].features,
    ["onoff", "speed"],
  );
  assert.equal(one("scene", { name: "Relax", cmd_t: "sc/set" }).devices[0].type, "scene");
  assert.deepEqual(one("sensor", { name: "Temp", stat_t: "t" }), {
    devices: [],
    remove: [],
    problems: [],
  });
  assert.deepEqual(
    one("binary_sensor", { name: "Wake", uniq_id: "earshot_pi_wake", stat_t: "t" }).devices,
    [],
  );
  assert.deepEqual(one("switch", { name: "Own", uniq_id: "earshot_pi_x", cmd_t: "t" }).devices, []);
});

Deno.test("HA discovery: malformed and unusable configs are reported, not imported", () => {
  const r = reg();
  const t = "homeassistant/switch/plug/config";
  assert.match(
    importHaDiscovery(r, t, "{oops").problems[0],
    /plug\/config: discovery payload is not JSON/,
  );
  assert.match(importHaDiscovery(r, t, "[1]").problems[0], /not a JSON object/);
  assert.match(
    importHaDiscovery(r, t, JSON.stringify({ name: "Plug" })).problems[0],
    /no command_topic; "plug" cannot be commanded/,
  );
  assert.match(
    importHaDiscovery(r, "weird/topic", "{}").problems[0],
    /not a discovery config topic/,
  );
  const tpl = importHaDiscovery(
    r,
    t,
    JSON.stringify({ name: "Plug", cmd_t: "p/set", stat_t: "p/s", val_tpl: "{{ states('x') }}" }),
  );
  assert.equal(tpl.devices.length, 1);
  assert.match(tpl.problems[0], /value_template .* is not supported/);
  assert.deepEqual(importHaDiscovery(r, t, "").remove, ["ha_plug"]);
});

Deno.test("HA discovery: name clashes with file devices are skipped and reported", () => {
  const r = reg();
  const problems: string[] = [];
  applyImport(
    r,
    importHaDiscovery(
      r,
      "homeassistant/light/k/config",
      JSON.stringify({ name: "Kitchen Light", cmd_t: "k/set" }),
    ),
    (m) => problems.push(m),
  );
  assert.match(problems[0], /import skipped: .*"kitchen light" is already used by "kitchen_light"/);
  assert.equal(r.devices.length, 1);
});

const bridge = [
  { friendly_name: "Coordinator", type: "Coordinator" },
  {
    friendly_name: "hall/spots",
    type: "Router",
    definition: {
      exposes: [{
        type: "light",
        features: [{ name: "state", property: "state" }, {
          name: "brightness",
          property: "brightness",
        }, { name: "color_temp", property: "color_temp" }],
      }],
    },
  },
  {
    friendly_name: "kitchen_ceiling",
    type: "Router",
    definition: { exposes: [{ type: "light", features: [] }] },
  },
  {
    friendly_name: "trv_lounge",
    type: "EndDevice",
    description: "lounge radiator",
    definition: {
      exposes: [{
        type: "climate",
        features: [{ name: "current_heating_setpoint", property: "current_heating_setpoint" }],
      }],
    },
  },
  {
    friendly_name: "door",
    type: "EndDevice",
    definition: { exposes: [{ type: "binary", property: "contact" }] },
  },
  { friendly_name: "unsupported", type: "EndDevice", definition: null },
  {
    friendly_name: "plug_x",
    type: "Router",
    disabled: true,
    definition: { exposes: [{ type: "switch", features: [] }] },
  },
];

Deno.test("Zigbee2MQTT bridge/devices: lights and thermostats imported, others skipped", () => {
  const r = reg();
  const res = importZ2mDevices(r, JSON.stringify(bridge), "zigbee2mqtt", "hall");
  assert.deepEqual(res.problems, []);
  assert.deepEqual(
    res.devices.map((d) => [d.id, d.name, d.area, d.type, d.features]),
    [
      ["z2m_hall_spots", "hall spots", "hall", "light", ["onoff", "brightness", "colorTemp"]],
      ["z2m_trv_lounge", "lounge radiator", "living_room", "thermostat", ["temperature"]],
    ],
  );
  const trv = res.devices[1].adapter;
  assert.equal(trv.type === "zigbee2mqtt" && trv.setpoint, "current_heating_setpoint");
  applyImport(r, res, (m) => assert.fail(m));
  assert.equal(r.devices.length, 3);
  // A later list without the spots removes them.
  const again = importZ2mDevices(
    r,
    JSON.stringify(bridge.filter((b) => b.friendly_name !== "hall/spots")),
  );
  assert.deepEqual(again.remove, ["z2m_hall_spots"]);
  applyImport(r, again, () => {});
  assert.equal(r.device("hall spots"), undefined);
});

Deno.test("Zigbee2MQTT bridge/devices: malformed lists are reported", () => {
  const r = reg();
  assert.match(
    importZ2mDevices(r, "nope").problems[0],
    /zigbee2mqtt\/bridge\/devices: payload is not JSON/,
  );
  assert.match(importZ2mDevices(r, "{}").problems[0], /expected a JSON array/);
  const ieee = importZ2mDevices(
    r,
    JSON.stringify([{
      friendly_name: "0x00158d0001a2b3c4",
      type: "Router",
      definition: { exposes: [{ type: "light", features: [] }] },
    }]),
  );
  assert.deepEqual(ieee.devices, []);
  assert.match(ieee.problems[0], /"0x00158d0001a2b3c4" still has its IEEE address as name/);
  const res = importZ2mDevices(r, JSON.stringify([42, { type: "Router" }]));
  assert.deepEqual(res.problems, [
    "zigbee2mqtt/bridge/devices[0]: expected an object",
    "zigbee2mqtt/bridge/devices[1]: missing friendly_name",
  ]);
});
