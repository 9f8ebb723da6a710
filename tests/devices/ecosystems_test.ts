/**
 * Zigbee2MQTT, Home Assistant, Tasmota and Homie details, checked with payloads shaped
 * exactly like the peers publish them (tests/devices/fixtures/peers.ts names the sources).
 */
import assert from "node:assert/strict";
import { adapterFor, decodeState } from "../../devices/adapters/index.ts";
import type { Command, DeviceState } from "../../devices/adapters/types.ts";
import {
  applyImport,
  importHaDiscovery,
  importTasmotaDiscovery,
  importZ2mDevices,
  importZ2mGroups,
} from "../../devices/import.ts";
import { DeviceStates } from "../../devices/state.ts";
import { startImport } from "../../devices/import.ts";
import { MqttLink } from "../../devices/mqtt.ts";
import { Router } from "../../devices/router.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";
import { commandRoundTrips, type RoundTrip } from "./round_trip.ts";
import { type Device, parseRegistry, type Registry } from "../../home/registry.ts";
import {
  haDeviceDiscovery,
  tasmotaDiscovery,
  z2mBridgeDevices,
  z2mBridgeGroups,
  z2mBridgeOffline,
  z2mBridgeOnline,
  z2mHaClimate,
  z2mHaCover,
  z2mHaFan,
  z2mHaLight,
} from "./fixtures/peers.ts";

const reg = () =>
  parseRegistry({
    areas: [{ name: "porch" }, { name: "bedroom" }, { name: "study" }, { name: "garage" }],
  }, "test.json");

function imported(r: Registry, msg: { topic: string; payload: unknown }): Device[] {
  const res = importHaDiscovery(r, msg.topic, JSON.stringify(msg.payload));
  const problems: string[] = [];
  applyImport(r, res, (m) => problems.push(m));
  assert.deepEqual(problems.filter((p) => !/preset_mode/.test(p)), []);
  return res.devices.map((d) => r.devices.find((x) => x.id === d.id)!);
}
const enc = (d: Device, cmd: Command) => adapterFor(d).encode(d, cmd);

/** Feed messages through decode with the running state, as the router does. */
function feed(d: Device, msgs: Array<{ topic: string; payload: unknown }>): DeviceState {
  const states = new DeviceStates();
  for (const m of msgs) {
    const text = typeof m.payload === "string" ? m.payload : JSON.stringify(m.payload);
    const s = decodeState(adapterFor(d), d, m.topic, text, states.get(d.id));
    if (s) states.update(d.id, s);
  }
  return states.get(d.id);
}

Deno.test(
  "HA import of Zigbee2MQTT: availability [{topic: bridge/state, value_template: '{{ value_json.state }}'}] and availability_mode 'all'",
  () => {
    const r = reg();
    const [light] = imported(r, z2mHaLight);
    assert.equal(light.name, "porch light");
    const devAvail = {
      topic: "zigbee2mqtt/porch_light/availability",
      payload: { state: "online" },
    };
    // Both topics online: available (this raised `expected "online" or "offline"` before).
    assert.equal(feed(light, [z2mBridgeOnline, devAvail]).available, true);
    // "all": the device topic not heard yet counts as unavailable (HA's _available defaults).
    assert.equal(feed(light, [z2mBridgeOnline]).available, false);
    // The bridge going offline makes every entity unavailable.
    assert.equal(feed(light, [z2mBridgeOnline, devAvail, z2mBridgeOffline]).available, false);
    // State from the JSON state topic: {"brightness":254,"color_temp":370,"state":"ON"}.
    const s = feed(light, [{
      topic: "zigbee2mqtt/porch_light",
      payload: { brightness: 254, color_mode: "color_temp", color_temp: 370, state: "ON" },
    }]);
    assert.deepEqual([s.on, s.brightness, s.colorTemp], [true, 100, 2700]);
    assert.deepEqual(light.colorTempRange, [2203, 4000]); // 1e6 / 454, 1e6 / 250
    // "any" and "latest" modes; a value_template that finds no key is a named error.
    const any = imported(reg(), {
      topic: "homeassistant/switch/plug/config",
      payload: {
        name: "Plug",
        cmd_t: "p/set",
        avty: [{ t: "a/1" }, { t: "a/2" }],
        avty_mode: "any",
      },
    })[0];
    assert.equal(
      feed(any, [{ topic: "a/1", payload: "offline" }, { topic: "a/2", payload: "online" }])
        .available,
      true,
    );
    assert.throws(
      () => adapterFor(light).decode(light, "zigbee2mqtt/bridge/state", '"online"'),
      /zigbee2mqtt\/bridge\/state: availability: expected "online" or "offline", got undefined/,
    );
  },
);

Deno.test(
  "HA import of a Zigbee2MQTT fan: percentage_command_template '{{ {0:'off', 1:'low', 2:'medium', 3:'high'}[value] | default('') }}' with speed_range 1..3",
  () => {
    const r = reg();
    const [fan] = imported(r, z2mHaFan);
    assert.deepEqual([fan.type, fan.features], ["fan", ["onoff", "speed"]]);
    // HA: math.ceil(percentage_to_ranged_value((1, 3), pct)) then the command template.
    assert.deepEqual(enc(fan, { kind: "speed", value: 100 }), [
      { topic: "zigbee2mqtt/bedroom_fan/set/fan_mode", payload: "high" },
    ]);
    assert.deepEqual(enc(fan, { kind: "speed", value: 50 })[0].payload, "medium");
    assert.deepEqual(enc(fan, { kind: "speed", value: 10 })[0].payload, "low");
    assert.deepEqual(enc(fan, { kind: "on" }), [
      { topic: "zigbee2mqtt/bedroom_fan/set/fan_state", payload: "ON" },
    ]);
    // state_value_template '{{ value_json.fan_state }}'; percentage_value_template maps modes;
    // a preset mode ("auto") gives default('None'): speed unknown, never an error.
    const st = (payload: unknown) => feed(fan, [{ topic: "zigbee2mqtt/bedroom_fan", payload }]);
    assert.deepEqual(st({ fan_mode: "medium", fan_state: "ON" }), { on: true, speed: 66 });
    assert.deepEqual(st({ fan_mode: "auto", fan_state: "ON" }), { on: true });
    assert.deepEqual(st({ fan_mode: "off", fan_state: "OFF" }), { on: false, speed: 0 });
  },
);

Deno.test(
  "HA import of a Zigbee2MQTT cover: set_position_template '{ \"position\": {{ position }} }', state_stopped 'STOP'",
  () => {
    const r = reg();
    const [blind] = imported(r, z2mHaCover);
    assert.deepEqual(enc(blind, { kind: "position", value: 40 }), [
      { topic: "zigbee2mqtt/study_blind/set", payload: '{ "position": 40 }' },
    ]);
    assert.deepEqual(enc(blind, { kind: "open" })[0].payload, "OPEN");
    const st = (payload: unknown) => feed(blind, [{ topic: "zigbee2mqtt/study_blind", payload }]);
    assert.deepEqual(st({ position: 40, state: "STOP" }), { position: 40 });
    assert.deepEqual(st({ state: "OPEN" }), { position: 100 });
    // position_open / position_closed scale both ways (an inverted 0=open device).
    const inv = imported(reg(), {
      topic: "homeassistant/cover/inv/config",
      payload: {
        name: "Study Shutter",
        cmd_t: "s/set",
        set_pos_t: "s/pos/set",
        pos_t: "s/pos",
        pos_open: 0,
        pos_clsd: 255,
      },
    })[0];
    assert.deepEqual(enc(inv, { kind: "position", value: 40 })[0].payload, "153");
    assert.deepEqual(feed(inv, [{ topic: "s/pos", payload: "153" }]), { position: 40 });
  },
);

Deno.test(
  "HA import of a Zigbee2MQTT TRV: min_temp: setpoint.value_min.toString() ('5') is a range, modes give on/off",
  () => {
    const r = reg();
    const [trv] = imported(r, z2mHaClimate);
    assert.deepEqual(trv.temperatureRange, [5, 30]);
    assert.deepEqual(trv.features, ["temperature", "onoff"]);
    assert.deepEqual(enc(trv, { kind: "temperature", value: 21 }), [
      { topic: "zigbee2mqtt/study_radiator/set/occupied_heating_setpoint", payload: "21" },
    ]);
    assert.deepEqual(enc(trv, { kind: "on" })[0], {
      topic: "zigbee2mqtt/study_radiator/set/system_mode",
      payload: "heat",
    });
    assert.deepEqual(
      feed(trv, [{
        topic: "zigbee2mqtt/study_radiator",
        payload: { local_temperature: 19.5, occupied_heating_setpoint: 21, system_mode: "heat" },
      }]),
      { on: true, temperature: 21, currentTemperature: 19.5 },
    );
  },
);

Deno.test(
  "HA command templates: cmd_tpl / bri_cmd_tpl rendered; an unsupported one refuses the command and the import says so",
  () => {
    const r = reg();
    const res = importHaDiscovery(
      r,
      "homeassistant/light/garage/config",
      JSON.stringify({
        name: "Garage Strip",
        cmd_t: "g/set",
        cmd_tpl: "{% if value == 'ON' %}1{% else %}0{% endif %}",
        bri_cmd_t: "g/bri",
        bri_cmd_tpl: "{{ (value / 2.55) | round(0) | int }}",
      }),
    );
    assert.deepEqual(res.problems, [
      `homeassistant/light/garage/config: command_template "{% if value == 'ON' %}1{% else %}0{% endif %}" is not supported; commands that need it are refused (never sent without it)`,
      'homeassistant/light/garage/config: brightness_command_template "{{ (value / 2.55) | round(0) | int }}" is not supported; commands that need it are refused (never sent without it)',
    ]);
    applyImport(r, res, () => {});
    const d = r.devices[0];
    assert.throws(() => enc(d, { kind: "on" }), /command_template .* is not supported/);
    assert.throws(() => enc(d, { kind: "brightness", value: 50 }), /brightness_command_template/);
  },
);

Deno.test(
  "HA device-based discovery: <prefix>/device/<id>/config with cmps, shared stat_t/avty_t inherited, sensors skipped",
  () => {
    const r = reg();
    const res = importHaDiscovery(
      r,
      haDeviceDiscovery.topic,
      JSON.stringify(haDeviceDiscovery.payload),
    );
    assert.deepEqual(res.problems, []);
    assert.deepEqual(res.devices.map((d) => [d.id, d.name, d.type]), [
      ["ha_desk_0a1b2c_lamp", "desk lamp", "light"],
      ["ha_desk_0a1b2c_heater", "desk heater", "switch"],
    ]);
    applyImport(r, res, () => {});
    const [lamp, heater] = r.devices;
    assert.deepEqual(enc(lamp, { kind: "brightness", value: 50 }), [
      { topic: "desk/lamp/brightness/set", payload: '{"level": 128 }' },
    ]);
    assert.deepEqual(enc(heater, { kind: "on" }), [
      { topic: "desk/heater/set", payload: '{"power": "ON"}' },
    ]);
    // Shared state_topic and availability_topic reach each component.
    assert.deepEqual(adapterFor(heater).stateTopics(heater), ["desk/state", "desk/status"]);
    assert.deepEqual(feed(heater, [{ topic: "desk/state", payload: { heater: "ON" } }]), {
      on: true,
    });
    // A component reduced to {"p": "switch"} is removed; an empty payload removes the rest.
    const cut = structuredClone(haDeviceDiscovery.payload);
    (cut.cmps as Record<string, unknown>).heater = { p: "switch" };
    const again = importHaDiscovery(r, haDeviceDiscovery.topic, JSON.stringify(cut));
    assert.deepEqual(again.remove, ["ha_desk_0a1b2c_heater"]);
    applyImport(r, again, () => {});
    assert.deepEqual(importHaDiscovery(r, haDeviceDiscovery.topic, "").remove, [
      "ha_desk_0a1b2c_lamp",
    ]);
    assert.match(
      importHaDiscovery(r, "homeassistant/device/x/config", '{"dev":{"ids":"x"}}').problems[0],
      /device discovery payload has no "cmps" object/,
    );
  },
);

Deno.test(
  "Zigbee2MQTT bridge/devices: a 2-gang switch (Switch().withEndpoint('l1'), property state_l1) gives two devices",
  () => {
    const r = reg();
    const res = importZ2mDevices(r, JSON.stringify(z2mBridgeDevices));
    assert.deepEqual(res.problems, []);
    applyImport(r, res, (m) => assert.fail(m));
    const byId = (id: string) => r.devices.find((d) => d.id === id)!;
    assert.deepEqual(res.devices.map((d) => [d.id, d.name, d.type, d.features]), [
      ["z2m_hall_switch_l1", "hall switch one", "switch", ["onoff"]],
      ["z2m_hall_switch_l2", "hall switch two", "switch", ["onoff"]],
      ["z2m_bedroom_fan", "bedroom fan", "fan", ["onoff", "speed"]],
      ["z2m_study_fan", "study fan", "fan", ["onoff", "speed"]],
      ["z2m_lounge_lamp", "lounge lamp", "light", ["onoff", "brightness"]],
      ["z2m_lounge_spot", "lounge spot", "light", ["onoff", "brightness", "colorTemp"]],
    ]);
    const l2 = byId("z2m_hall_switch_l2");
    assert.deepEqual(enc(l2, { kind: "on" }), [
      { topic: "zigbee2mqtt/hall_switch/set", payload: '{"state_l2":"ON"}' },
    ]);
    assert.deepEqual(enc(l2, { kind: "toggle" })[0].payload, '{"state_l2":"TOGGLE"}');
    // The shared state message carries both gangs; each device reads its own property.
    const both = { topic: "zigbee2mqtt/hall_switch", payload: { state_l1: "ON", state_l2: "OFF" } };
    assert.deepEqual(feed(byId("z2m_hall_switch_l1"), [both]), { on: true });
    assert.deepEqual(feed(l2, [both]), { on: false });
    assert.deepEqual(adapterFor(l2).refresh(l2), [
      { topic: "zigbee2mqtt/hall_switch/get", payload: '{"state_l2":""}' },
    ]);
    assert.deepEqual(byId("z2m_lounge_spot").colorTempRange, [2203, 4000]);
  },
);

Deno.test(
  "Zigbee2MQTT fans: Fan().withState('fan_state') + withModes([...]) and withSpeed(1, 254); auto/smart are 'on'",
  () => {
    const r = reg();
    applyImport(r, importZ2mDevices(r, JSON.stringify(z2mBridgeDevices)), () => {});
    const fan = r.devices.find((d) => d.id === "z2m_bedroom_fan")!;
    const set = "zigbee2mqtt/bedroom_fan/set";
    assert.deepEqual(enc(fan, { kind: "on" }), [{ topic: set, payload: '{"fan_state":"ON"}' }]);
    assert.deepEqual(enc(fan, { kind: "off" })[0].payload, '{"fan_state":"OFF"}');
    assert.deepEqual(enc(fan, { kind: "speed", value: 100 })[0].payload, '{"fan_mode":"high"}');
    assert.deepEqual(enc(fan, { kind: "speed", value: 0 })[0].payload, '{"fan_mode":"off"}');
    const st = (payload: unknown) => feed(fan, [{ topic: "zigbee2mqtt/bedroom_fan", payload }]);
    assert.deepEqual(st({ fan_mode: "medium", fan_state: "ON" }), { on: true, speed: 66 });
    // Raised `fan_mode: unknown "auto"` on every state message before.
    assert.deepEqual(st({ fan_mode: "auto", fan_state: "ON" }), { on: true });
    assert.deepEqual(st({ fan_mode: "smart", fan_state: "ON" }), { on: true });
    assert.deepEqual(st({ fan_mode: "off", fan_state: "OFF" }), { on: false, speed: 0 });
    assert.throws(() => st({ fan_mode: "turbo" }), /fan_mode: unknown "turbo"/);
    // A fan with a native numeric speed (withSpeed(1, 254)) and the newer `state` property.
    const sp = r.devices.find((d) => d.id === "z2m_study_fan")!;
    assert.deepEqual(enc(sp, { kind: "speed", value: 50 }), [
      { topic: "zigbee2mqtt/study_fan/set", payload: '{"speed":127}' },
    ]);
    assert.deepEqual(enc(sp, { kind: "speed", value: 0 })[0].payload, '{"state":"OFF"}');
    assert.deepEqual(enc(sp, { kind: "on" })[0].payload, '{"state":"ON"}');
    assert.deepEqual(
      feed(sp, [{ topic: "zigbee2mqtt/study_fan", payload: { speed: 254, state: "ON" } }]),
      {
        on: true,
        speed: 100,
      },
    );
    // A hand-written fan (no stateProperty) reads either property.
    const hand = parseRegistry({
      devices: [{
        name: "attic fan",
        type: "fan",
        adapter: { type: "zigbee2mqtt", name: "attic" },
      }],
    }, "t.json").devices[0];
    assert.deepEqual(feed(hand, [{ topic: "zigbee2mqtt/attic", payload: { state: "ON" } }]), {
      on: true,
    });
    assert.deepEqual(enc(hand, { kind: "on" })[0].payload, '{"fan_state":"ON"}');
  },
);

Deno.test(
  "Zigbee2MQTT bridge/groups ({id, friendly_name, description, scenes, members: [{ieee_address, endpoint}]}): groups and their scenes",
  () => {
    const r = reg();
    const devices = JSON.stringify(z2mBridgeDevices);
    applyImport(r, importZ2mDevices(r, devices), () => {});
    const res = importZ2mGroups(r, JSON.stringify(z2mBridgeGroups), devices);
    assert.deepEqual(res.problems, []);
    assert.deepEqual(res.devices.map((d) => [d.id, d.name, d.type, d.features]), [
      ["z2mg_lounge_lights", "lounge ceiling", "light", ["onoff", "brightness", "colorTemp"]],
      ["z2mg_lounge_lights_scene_2", "movie time", "scene", ["activate"]],
    ]);
    applyImport(r, res, (m) => assert.fail(m));
    const g = r.devices.find((d) => d.id === "z2mg_lounge_lights")!;
    assert.deepEqual(enc(g, { kind: "brightness", value: 50 }), [
      { topic: "zigbee2mqtt/lounge_lights/set", payload: '{"state":"ON","brightness":127}' },
    ]);
    const scene = r.devices.find((d) => d.id === "z2mg_lounge_lights_scene_2")!;
    assert.deepEqual(enc(scene, { kind: "activate" }), [
      { topic: "zigbee2mqtt/lounge_lights/set", payload: '{"scene_recall":2}' },
    ]);
    // A device list later does not remove the groups; a group list without it does.
    assert.deepEqual(importZ2mDevices(r, devices).remove, []);
    assert.deepEqual(importZ2mGroups(r, "[]", devices).remove.sort(), [
      "z2mg_lounge_lights",
      "z2mg_lounge_lights_scene_2",
    ]);
    assert.match(
      importZ2mGroups(r, "{}", devices).problems[0],
      /bridge\/groups: expected a JSON array/,
    );
    assert.match(
      importZ2mGroups(
        r,
        '[{"id":5,"friendly_name":"odd","members":[{"ieee_address":"0xdead","endpoint":1}]}]',
        devices,
      )
        .problems[0],
      /group "odd" has no light, switch or cover among its members/,
    );
  },
);

Deno.test(
  "Homie 5: 'A zero length payload published on the `$state` topic indicates a device removal' -> unavailable, not an error",
  () => {
    const lamp = parseRegistry({
      devices: [{
        name: "hall lamp",
        type: "light",
        adapter: { type: "homie", base: "homie/5", device: "hall-lamp", node: "light" },
      }],
    }, "t.json").devices[0];
    assert.deepEqual(feed(lamp, [{ topic: "homie/5/hall-lamp/$state", payload: "ready" }]), {
      available: true,
    });
    assert.deepEqual(feed(lamp, [{ topic: "homie/5/hall-lamp/$state", payload: "" }]), {
      available: false,
    });
    assert.throws(
      () => adapterFor(lamp).decode(lamp, "homie/5/hall-lamp/$state", "exploded"),
      /unknown Homie \$state "exploded"/,
    );
  },
);

Deno.test(
  "Tasmota discovery tasmota/discovery/<MAC>/config: rl [2, 1] -> CT light + relay, ft '%topic%/%prefix%/', fn names",
  () => {
    const r = reg();
    const res = importTasmotaDiscovery(
      r,
      tasmotaDiscovery.topic,
      JSON.stringify(tasmotaDiscovery.payload),
    );
    assert.deepEqual(res.problems, []);
    assert.deepEqual(res.devices.map((d) => [d.id, d.name, d.area, d.type, d.features]), [
      ["tas_a4cf12b3c4d5_1", "garage light", "garage", "light", [
        "onoff",
        "brightness",
        "colorTemp",
      ]],
      ["tas_a4cf12b3c4d5_2", "gate opener", undefined, "switch", ["onoff"]],
    ]);
    applyImport(r, res, (m) => assert.fail(m));
    const [light, gate] = r.devices;
    // FullTopic %topic%/%prefix%/ (SetOption19 layout): garage/cmnd/POWER1, garage/tele/LWT.
    assert.deepEqual(enc(light, { kind: "on" }), [{ topic: "garage/cmnd/POWER1", payload: "ON" }]);
    assert.deepEqual(enc(light, { kind: "brightness", value: 40 }), [
      { topic: "garage/cmnd/Dimmer", payload: "40" },
    ]);
    assert.deepEqual(enc(gate, { kind: "toggle" }), [
      { topic: "garage/cmnd/POWER2", payload: "TOGGLE" },
    ]);
    assert.deepEqual(adapterFor(light).refresh(light), [{
      topic: "garage/cmnd/STATE",
      payload: "",
    }]);
    assert.deepEqual(feed(gate, [{ topic: "garage/tele/LWT", payload: "Online" }]), {
      available: true,
    });
    // SetOption4 ("so": {"4": 1}): the Dimmer reply comes on stat/<t>/DIMMER, not RESULT.
    assert.ok(adapterFor(light).stateTopics(light).includes("garage/stat/DIMMER"));
    assert.deepEqual(
      feed(light, [{ topic: "garage/stat/DIMMER", payload: { POWER1: "ON", Dimmer: 40 } }]),
      { on: true, brightness: 40 },
    );
    assert.deepEqual(feed(gate, [{ topic: "garage/stat/POWER2", payload: "OFF" }]), { on: false });
    // Removal (empty retained config) drops both; a relay gone from rl drops that one.
    const less = { ...tasmotaDiscovery.payload, rl: [2, 0, 0, 0, 0, 0, 0, 0] };
    assert.deepEqual(
      importTasmotaDiscovery(r, tasmotaDiscovery.topic, JSON.stringify(less)).remove,
      ["tas_a4cf12b3c4d5_2"],
    );
    assert.deepEqual(importTasmotaDiscovery(r, tasmotaDiscovery.topic, "").remove, [
      "tas_a4cf12b3c4d5_1",
      "tas_a4cf12b3c4d5_2",
    ]);
    // Bad input is named.
    const bad = (p: string) => importTasmotaDiscovery(r, tasmotaDiscovery.topic, p).problems[0];
    assert.match(bad("{"), /A4CF12B3C4D5\/config: discovery payload is not JSON/);
    assert.match(bad('{"t":"x"}'), /missing ft, tp, rl, dn/);
    assert.match(
      bad(JSON.stringify({ ...tasmotaDiscovery.payload, mac: "000000000000" })),
      /MAC mismatch/,
    );
  },
);

Deno.test(
  "Tasmota FullTopic with %topic% before %prefix% and %hostname%/%id% configurable by hand; bad ones named",
  () => {
    const mk = (adapter: Record<string, unknown>) =>
      parseRegistry({
        devices: [{ name: "desk plug", type: "plug", adapter: { type: "tasmota", ...adapter } }],
      }, "t.json").devices[0];
    const a = mk({ topic: "desk", fullTopic: "home/%topic%/%prefix%/" });
    assert.deepEqual(enc(a, { kind: "on" }), [{ topic: "home/desk/cmnd/POWER", payload: "ON" }]);
    assert.deepEqual(adapterFor(a).stateTopics(a), [
      "home/desk/stat/RESULT",
      "home/desk/stat/POWER",
      "home/desk/tele/STATE",
      "home/desk/tele/LWT",
    ]);
    const b = mk({
      topic: "desk",
      fullTopic: "%prefix%/%hostname%-%id%",
      hostname: "plug",
      mac: "a4cf12b3c4d5",
    });
    assert.deepEqual(enc(b, { kind: "off" })[0].topic, "cmnd/plug-B3C4D5/POWER");
    assert.throws(
      () => mk({ topic: "desk", fullTopic: "%topic%/" }),
      /fullTopic: must contain %prefix%/,
    );
  },
);

Deno.test(
  "real Mosquitto: retained Zigbee2MQTT, Home Assistant and Tasmota discovery imported; commands on the wire; replies confirm; no errors",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const broker = await Mosquitto.start();
    const peer = await Watcher.connect(broker.url, ["zigbee2mqtt/#", "garage/#"]);
    const link = await MqttLink.connect({ url: broker.url });
    const registry = parseRegistry({
      areas: [{ name: "porch" }, { name: "bedroom" }, { name: "study" }, { name: "garage" }],
      import: { homeassistant: true, zigbee2mqtt: true, tasmota: true },
    }, "test.json");
    const events: EarshotEvent[] = [];
    const router = new Router(registry, link, {
      confirmTimeoutMs: 5000,
      coverConfirmTimeoutMs: 5000,
      brightnessStep: 25,
      emit: (e) => events.push(e),
    });
    const problems: string[] = [];
    const unsubRegistry = registry.onChange(() => router.watchStates());
    try {
      await link.waitConnected();
      const retained = (m: { topic: string; payload: unknown }) =>
        peer.publish(
          m.topic,
          typeof m.payload === "string" ? m.payload : JSON.stringify(m.payload),
          true,
        );
      for (const m of [z2mHaLight, z2mHaFan, z2mHaCover, z2mHaClimate, tasmotaDiscovery]) {
        await retained(m);
      }
      // The fan comes through Home Assistant discovery here, so bridge/devices leaves it out.
      const devices = z2mBridgeDevices.filter((d) => d.friendly_name !== "bedroom_fan");
      await retained({ topic: "zigbee2mqtt/bridge/devices", payload: devices });
      await retained({ topic: "zigbee2mqtt/bridge/groups", payload: z2mBridgeGroups });
      await retained(z2mBridgeOnline);
      for (const n of ["porch_light", "bedroom_fan", "study_blind", "study_radiator"]) {
        await retained({ topic: `zigbee2mqtt/${n}/availability`, payload: { state: "online" } });
      }
      await retained({ topic: "garage/tele/LWT", payload: "Online" });
      router.watchStates();
      const stop = startImport(registry, link, (m) => problems.push(m));
      await until(() => registry.devices.length >= 13, 8000, "imported devices");
      await until(
        () => router.states.get("ha_0x000b57fffec6a5b2_light_zigbee2mqtt").available === true,
        8000,
        "porch light available through bridge/state + device availability",
      );
      await until(
        () => router.states.get("tas_a4cf12b3c4d5_1").available === true,
        8000,
        "garage light available through tele/LWT Online",
      );
      assert.deepEqual(
        registry.devices.map((d) => d.id).sort(),
        [
          "ha_0x000b57fffec6a5b2_light_zigbee2mqtt",
          "ha_0x00158d0004a1b2c3_fan_zigbee2mqtt",
          "ha_0x0c4314fffe5a6b7c_climate_zigbee2mqtt",
          "ha_0x84fd27fffe6c1d2e_cover_zigbee2mqtt",
          "tas_a4cf12b3c4d5_1",
          "tas_a4cf12b3c4d5_2",
          "z2m_hall_switch_l1",
          "z2m_hall_switch_l2",
          "z2m_lounge_lamp",
          "z2m_lounge_spot",
          "z2m_study_fan",
          "z2mg_lounge_lights",
          "z2mg_lounge_lights_scene_2",
        ].sort(),
      );
      assert.deepEqual(problems.filter((p) => !/preset_mode/.test(p)), []);

      const cases: RoundTrip[] = [
        [
          "set the bedroom fan to high",
          "zigbee2mqtt/bedroom_fan/set/fan_mode",
          "high",
          "zigbee2mqtt/bedroom_fan",
          '{"fan_mode":"high","fan_state":"ON"}',
        ],
        [
          "turn on the hall switch two",
          "zigbee2mqtt/hall_switch/set",
          '{"state_l2":"ON"}',
          "zigbee2mqtt/hall_switch",
          '{"state_l1":"OFF","state_l2":"ON"}',
        ],
        [
          "set the study blind to 40 percent",
          "zigbee2mqtt/study_blind/set",
          '{ "position": 40 }',
          "zigbee2mqtt/study_blind",
          '{"position":40,"state":"STOP"}',
        ],
        [
          "set the garage light to 40 percent",
          "garage/cmnd/Dimmer",
          "40",
          "garage/stat/DIMMER",
          '{"POWER1":"ON","Dimmer":40}',
        ],
        [
          "set the lounge ceiling to 50 percent",
          "zigbee2mqtt/lounge_lights/set",
          '{"state":"ON","brightness":127}',
          "zigbee2mqtt/lounge_lights",
          '{"brightness":127,"state":"ON"}',
        ],
      ];
      await commandRoundTrips(router, registry, peer, cases);
      const errors = events.filter((e) => e.type === "error");
      assert.deepEqual(errors, []);
      stop();
    } finally {
      unsubRegistry();
      router.close();
      await peer.close();
      await link.close();
      await broker.stop();
    }
  },
);
