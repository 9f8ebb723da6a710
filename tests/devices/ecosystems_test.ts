/**
 * Zigbee2MQTT, Home Assistant, Tasmota and Homie details, checked with payloads shaped
 * exactly like the peers publish them (tests/devices/fixtures/peers.ts names the sources).
 */
import assert from "node:assert/strict";
import { adapterFor } from "../../devices/adapters/index.ts";
import type { Command, DeviceState } from "../../devices/adapters/types.ts";
import { applyImport, importHaDiscovery } from "../../devices/import.ts";
import { DeviceStates } from "../../devices/state.ts";
import { type Device, parseRegistry, type Registry } from "../../home/registry.ts";
import {
  haDeviceDiscovery,
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
    const s = adapterFor(d).decode(d, m.topic, text, states.get(d.id));
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
