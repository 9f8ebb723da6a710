import assert from "node:assert/strict";
import { adapterFor, StatePayloadError } from "../../devices/adapters/index.ts";
import type { Command } from "../../devices/adapters/types.ts";
import { expandDiscovery } from "../../devices/adapters/homeassistant.ts";
import { type Device, type DeviceInput, Registry } from "../../home/registry.ts";

function device(input: Omit<DeviceInput, "name"> & { name?: string }): Device {
  const r = new Registry();
  return r.add({ name: input.name ?? "test device", ...input });
}
const enc = (d: Device, cmd: Command) => adapterFor(d).encode(d, cmd);
const dec = (d: Device, topic: string, payload: string) => adapterFor(d).decode(d, topic, payload);

Deno.test("zigbee2mqtt: exact set topics and JSON payloads", () => {
  const light = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "zigbee2mqtt",
      name: "kitchen/ceiling",
      baseTopic: "zigbee2mqtt",
      setpoint: "occupied_heating_setpoint",
    },
  });
  const t = "zigbee2mqtt/kitchen/ceiling/set";
  assert.deepEqual(enc(light, { kind: "on" }), [{ topic: t, payload: '{"state":"ON"}' }]);
  assert.deepEqual(enc(light, { kind: "off" }), [{ topic: t, payload: '{"state":"OFF"}' }]);
  assert.deepEqual(enc(light, { kind: "toggle" }), [{ topic: t, payload: '{"state":"TOGGLE"}' }]);
  assert.deepEqual(enc(light, { kind: "brightness", value: 50 }), [
    { topic: t, payload: '{"state":"ON","brightness":127}' },
  ]);
  assert.deepEqual(enc(light, { kind: "brightness", value: 0 }), [{
    topic: t,
    payload: '{"state":"OFF"}',
  }]);
  assert.deepEqual(enc(light, { kind: "colorTemp", value: 2700 }), [{
    topic: t,
    payload: '{"color_temp":370}',
  }]);
  const trv = device({
    type: "thermostat",
    adapter: {
      type: "zigbee2mqtt",
      name: "trv",
      baseTopic: "z2m",
      setpoint: "current_heating_setpoint",
    },
  });
  assert.deepEqual(adapterFor(trv).refresh(trv), [
    { topic: "z2m/trv/get", payload: '{"current_heating_setpoint":""}' },
  ]);
  assert.deepEqual(enc(trv, { kind: "temperature", value: 21 }), [
    { topic: "z2m/trv/set", payload: '{"current_heating_setpoint":21}' },
  ]);
  const cover = device({
    type: "cover",
    adapter: { type: "zigbee2mqtt", name: "blind", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.deepEqual(enc(cover, { kind: "open" })[0].payload, '{"state":"OPEN"}');
  assert.deepEqual(enc(cover, { kind: "close" })[0].payload, '{"state":"CLOSE"}');
  assert.deepEqual(enc(cover, { kind: "stop" })[0].payload, '{"state":"STOP"}');
  assert.deepEqual(enc(cover, { kind: "position", value: 40 })[0].payload, '{"position":40}');
  const fan = device({
    type: "fan",
    adapter: { type: "zigbee2mqtt", name: "fan", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.deepEqual(enc(fan, { kind: "speed", value: 66 })[0].payload, '{"fan_mode":"medium"}');
  assert.deepEqual(enc(fan, { kind: "speed", value: 100 })[0].payload, '{"fan_mode":"high"}');
  const scene = device({
    type: "scene",
    adapter: {
      type: "zigbee2mqtt",
      name: "group1",
      baseTopic: "zigbee2mqtt",
      setpoint: "x",
      sceneId: 3,
    },
  });
  assert.deepEqual(enc(scene, { kind: "activate" }), [{
    topic: "zigbee2mqtt/group1/set",
    payload: '{"scene_recall":3}',
  }]);
  const noScene = device({
    type: "scene",
    adapter: { type: "zigbee2mqtt", name: "g", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.throws(() => enc(noScene, { kind: "activate" }), /needs adapter\.sceneId/);
  assert.deepEqual(adapterFor(light).refresh(light), [{
    topic: "zigbee2mqtt/kitchen/ceiling/get",
    payload: '{"state":""}',
  }]);
  assert.deepEqual(adapterFor(light).stateTopics(light), [
    "zigbee2mqtt/kitchen/ceiling",
    "zigbee2mqtt/kitchen/ceiling/availability",
  ]);
});

Deno.test("zigbee2mqtt: state and availability decoding, malformed payloads named", () => {
  const light = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: { type: "zigbee2mqtt", name: "l", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.deepEqual(
    dec(
      light,
      "zigbee2mqtt/l",
      '{"state":"ON","brightness":254,"color_temp":370,"linkquality":90}',
    ),
    {
      on: true,
      brightness: 100,
      colorTemp: 2700,
    },
  );
  assert.deepEqual(dec(light, "zigbee2mqtt/l/availability", '{"state":"offline"}'), {
    available: false,
  });
  assert.deepEqual(dec(light, "zigbee2mqtt/l/availability", "online"), { available: true });
  assert.equal(dec(light, "zigbee2mqtt/other", "{}"), null);
  const trv = device({
    type: "thermostat",
    adapter: {
      type: "zigbee2mqtt",
      name: "trv",
      baseTopic: "zigbee2mqtt",
      setpoint: "occupied_heating_setpoint",
    },
  });
  assert.deepEqual(
    dec(trv, "zigbee2mqtt/trv", '{"occupied_heating_setpoint":20.5,"local_temperature":19}'),
    {
      temperature: 20.5,
      currentTemperature: 19,
    },
  );
  const cover = device({
    type: "cover",
    adapter: { type: "zigbee2mqtt", name: "c", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  assert.deepEqual(dec(cover, "zigbee2mqtt/c", '{"state":"OPEN","position":80}'), { position: 80 });
  assert.deepEqual(dec(cover, "zigbee2mqtt/c", '{"state":"CLOSE"}'), { position: 0 });
  for (
    const [payload, re] of [
      ["not json", /zigbee2mqtt\/l: payload is not JSON/],
      ["[1,2]", /expected a JSON object/],
      ['{"state":"MAYBE"}', /state: expected "ON" or "OFF", got "MAYBE"/],
      ['{"brightness":"bright"}', /brightness: expected a number, got "bright"/],
      ['{"color_temp":0}', /color_temp: must be positive/],
    ] as const
  ) {
    assert.throws(
      () => dec(light, "zigbee2mqtt/l", payload),
      (e: Error) => e instanceof StatePayloadError && re.test(e.message),
    );
  }
  assert.throws(
    () => dec(light, "zigbee2mqtt/l/availability", "maybe"),
    /expected "online" or "offline"/,
  );
});

Deno.test("tasmota: exact cmnd topics and payloads", () => {
  const bulb = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "tasmota",
      topic: "bulb",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(enc(bulb, { kind: "on" }), [{ topic: "cmnd/bulb/POWER", payload: "ON" }]);
  assert.deepEqual(enc(bulb, { kind: "off" }), [{ topic: "cmnd/bulb/POWER", payload: "OFF" }]);
  assert.deepEqual(enc(bulb, { kind: "toggle" }), [{
    topic: "cmnd/bulb/POWER",
    payload: "TOGGLE",
  }]);
  assert.deepEqual(enc(bulb, { kind: "brightness", value: 42 }), [{
    topic: "cmnd/bulb/Dimmer",
    payload: "42",
  }]);
  assert.deepEqual(enc(bulb, { kind: "colorTemp", value: 2700 }), [{
    topic: "cmnd/bulb/CT",
    payload: "370",
  }]);
  assert.deepEqual(enc(bulb, { kind: "colorTemp", value: 10000 }), [{
    topic: "cmnd/bulb/CT",
    payload: "153",
  }], "clamped to 153..500");
  const relay2 = device({
    type: "switch",
    adapter: {
      type: "tasmota",
      topic: "sonoff",
      relay: 2,
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(enc(relay2, { kind: "on" }), [{ topic: "cmnd/sonoff/POWER2", payload: "ON" }]);
  const shutter = device({
    type: "cover",
    adapter: {
      type: "tasmota",
      topic: "blind",
      shutter: 2,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(enc(shutter, { kind: "open" }), [{
    topic: "cmnd/blind/ShutterOpen2",
    payload: "",
  }]);
  assert.deepEqual(enc(shutter, { kind: "close" }), [{
    topic: "cmnd/blind/ShutterClose2",
    payload: "",
  }]);
  assert.deepEqual(enc(shutter, { kind: "stop" }), [{
    topic: "cmnd/blind/ShutterStop2",
    payload: "",
  }]);
  assert.deepEqual(enc(shutter, { kind: "position", value: 30 }), [{
    topic: "cmnd/blind/ShutterPosition2",
    payload: "30",
  }]);
  const fan = device({
    type: "fan",
    adapter: {
      type: "tasmota",
      topic: "ifan",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(enc(fan, { kind: "speed", value: 66 }), [{
    topic: "cmnd/ifan/FanSpeed",
    payload: "2",
  }]);
  const scene = device({
    type: "scene",
    adapter: {
      type: "tasmota",
      topic: "bulb",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
      sceneCommand: "Backlog Dimmer 30; CT 400",
    },
  });
  assert.deepEqual(enc(scene, { kind: "activate" }), [{
    topic: "cmnd/bulb/Backlog",
    payload: "Dimmer 30; CT 400",
  }]);
  assert.deepEqual(adapterFor(bulb).stateTopics(bulb), [
    "stat/bulb/RESULT",
    "stat/bulb/POWER",
    "tele/bulb/STATE",
    "tele/bulb/LWT",
  ]);
  assert.deepEqual(adapterFor(bulb).refresh(bulb), [{ topic: "cmnd/bulb/STATE", payload: "" }]);
});

Deno.test("tasmota: RESULT, POWER, STATE and LWT decoding; malformed payloads named", () => {
  const bulb = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "tasmota",
      topic: "bulb",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(dec(bulb, "stat/bulb/RESULT", '{"POWER":"ON","Dimmer":42,"CT":370}'), {
    on: true,
    brightness: 42,
    colorTemp: 2700,
  });
  assert.deepEqual(dec(bulb, "stat/bulb/POWER", "OFF"), { on: false });
  assert.deepEqual(dec(bulb, "tele/bulb/STATE", '{"Time":"x","POWER":"OFF","Dimmer":10}'), {
    on: false,
    brightness: 10,
  });
  assert.deepEqual(dec(bulb, "tele/bulb/LWT", "Offline"), { available: false });
  assert.deepEqual(dec(bulb, "tele/bulb/LWT", "Online"), { available: true });
  const shutter = device({
    type: "cover",
    adapter: {
      type: "tasmota",
      topic: "blind",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  assert.deepEqual(
    dec(shutter, "stat/blind/RESULT", '{"Shutter1":{"Position":55,"Direction":0}}'),
    { position: 55 },
  );
  assert.throws(
    () => dec(bulb, "stat/bulb/POWER", "MAYBE"),
    /stat\/bulb\/POWER: POWER: expected "ON" or "OFF"/,
  );
  assert.throws(() => dec(bulb, "stat/bulb/RESULT", "{"), /payload is not JSON/);
  assert.throws(() => dec(bulb, "stat/bulb/RESULT", '{"Dimmer":"x"}'), /Dimmer: expected a number/);
  assert.throws(() => dec(bulb, "tele/bulb/LWT", "gone"), /expected "Online" or "Offline"/);
  assert.throws(
    () => dec(shutter, "stat/blind/RESULT", '{"Shutter1":5}'),
    /Shutter1: expected an object/,
  );
});

Deno.test("tasmota colour bulbs: Color, HSBColor, White and Channel checked; CT taken only in white mode", () => {
  const bulb = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "tasmota",
      topic: "rgbw",
      shutter: 1,
      cmndPrefix: "cmnd",
      statPrefix: "stat",
      telePrefix: "tele",
    },
  });
  // A Tasmota RGBW bulb's console after `color 336699cc` (HA community thread 59809):
  // stat/sausage/RESULT = {"POWER":"ON","Dimmer":80,"Color":"326598CC","HSBColor":"210,67,60","Channel":[20,40,60,80]}
  assert.deepEqual(
    dec(
      bulb,
      "stat/rgbw/RESULT",
      '{"POWER":"ON","Dimmer":80,"Color":"326598CC","HSBColor":"210,67,60","Channel":[20,40,60,80]}',
    ),
    { on: true, brightness: 80 },
  );
  // Showing a colour (White 0, saturation 100): the stale CT 153 is not the colour temperature.
  const colourMode =
    '{"POWER":"ON","Dimmer":40,"Color":"FF8000","HSBColor":"30,100,40","White":0,"CT":153,"Channel":[100,50,0]}';
  assert.deepEqual(dec(bulb, "stat/rgbw/RESULT", colourMode), { on: true, brightness: 40 });
  // White mode after `CT 370`: the white channel is lit, CT is taken (370 mired = 2700 K).
  assert.deepEqual(
    dec(
      bulb,
      "tele/rgbw/STATE",
      '{"POWER":"ON","Dimmer":60,"Color":"00000099","HSBColor":"0,0,0","White":60,"CT":370,"Channel":[0,0,0,60]}',
    ),
    { on: true, brightness: 60, colorTemp: 2700 },
  );
  // Decimal colours (SetOption17 1) are accepted too.
  assert.deepEqual(dec(bulb, "stat/rgbw/RESULT", '{"Color":"255,128,0"}'), {});
  const bad: Array<[string, RegExp]> = [
    ['{"Color":"FF80Z0"}', /stat\/rgbw\/RESULT: Color: expected hex channels/],
    ['{"Color":"300,0,0"}', /Color: expected hex channels .* got "300,0,0"/],
    ['{"HSBColor":"30,100"}', /stat\/rgbw\/RESULT: HSBColor: expected "hue,saturation,brightness"/],
    ['{"HSBColor":"400,100,40"}', /HSBColor hue: expected 0..360, got 400/],
    ['{"HSBColor":"30,x,40"}', /HSBColor saturation: expected a number, got "x"/],
    ['{"White":101}', /White: expected 0..100, got 101/],
    ['{"Channel":"100,50,0"}', /Channel: expected 1..5 percentages/],
    ['{"Channel":[100,50,-1]}', /Channel\[2\]: expected 0..100, got -1/],
    ['{"CT":600}', /stat\/rgbw\/RESULT: CT: expected 153..500 mired, got 600/],
  ];
  for (const [payload, re] of bad) assert.throws(() => dec(bulb, "stat/rgbw/RESULT", payload), re);
  // Commands: CT in mired clamped to Tasmota's 153..500, Dimmer 0..100.
  assert.deepEqual(enc(bulb, { kind: "colorTemp", value: 2700 }), [
    { topic: "cmnd/rgbw/CT", payload: "370" },
  ]);
  assert.deepEqual(enc(bulb, { kind: "colorTemp", value: 1500 }), [
    { topic: "cmnd/rgbw/CT", payload: "500" },
  ]);
  assert.deepEqual(enc(bulb, { kind: "colorTemp", value: 9000 }), [
    { topic: "cmnd/rgbw/CT", payload: "153" },
  ]);
});

Deno.test("homeassistant: default schema light, switch, climate, cover, fan, scene, button", () => {
  const light = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "homeassistant",
      component: "light",
      discovery: {
        "~": "home/l1",
        cmd_t: "~/set",
        stat_t: "~/state",
        bri_cmd_t: "~/bri/set",
        bri_stat_t: "~/bri",
        bri_scl: 100,
        clr_temp_cmd_t: "~/ct/set",
        pl_on: "1",
        pl_off: "0",
      },
    },
  });
  assert.deepEqual(enc(light, { kind: "on" }), [{ topic: "home/l1/set", payload: "1" }]);
  assert.deepEqual(enc(light, { kind: "off" }), [{ topic: "home/l1/set", payload: "0" }]);
  assert.deepEqual(enc(light, { kind: "brightness", value: 30 }), [{
    topic: "home/l1/bri/set",
    payload: "30",
  }]);
  assert.deepEqual(enc(light, { kind: "colorTemp", value: 4000 }), [{
    topic: "home/l1/ct/set",
    payload: "250",
  }]);
  assert.throws(() => enc(light, { kind: "toggle" }), /no toggle/);
  assert.equal(adapterFor(light).canToggle(light), false);
  assert.deepEqual(dec(light, "home/l1/state", "1"), { on: true });
  assert.deepEqual(dec(light, "home/l1/bri", "30"), { brightness: 30 });
  assert.throws(() => dec(light, "home/l1/state", "ON"), /expected "1" or "0"/);

  const sw = device({
    type: "switch",
    adapter: {
      type: "homeassistant",
      component: "switch",
      discovery: {
        command_topic: "s/set",
        state_topic: "s/state",
        state_on: "on",
        state_off: "off",
        availability_topic: "s/avail",
      },
    },
  });
  assert.deepEqual(enc(sw, { kind: "on" }), [{ topic: "s/set", payload: "ON" }]);
  assert.deepEqual(dec(sw, "s/state", "on"), { on: true });
  assert.deepEqual(dec(sw, "s/avail", "offline"), { available: false });

  const climate = device({
    type: "thermostat",
    adapter: {
      type: "homeassistant",
      component: "climate",
      discovery: {
        temp_cmd_t: "c/temp/set",
        temp_stat_t: "c/temp",
        curr_temp_t: "c/cur",
        curr_temp_tpl: "{{ value_json.temperature }}",
      },
    },
  });
  assert.deepEqual(enc(climate, { kind: "temperature", value: 21 }), [{
    topic: "c/temp/set",
    payload: "21",
  }]);
  assert.deepEqual(dec(climate, "c/temp", "21.5"), { temperature: 21.5 });
  assert.deepEqual(dec(climate, "c/cur", '{"temperature": 19.2}'), { currentTemperature: 19.2 });

  const cover = device({
    type: "cover",
    adapter: {
      type: "homeassistant",
      component: "cover",
      discovery: { cmd_t: "cv/set", stat_t: "cv/state", set_pos_t: "cv/pos/set", pos_t: "cv/pos" },
    },
  });
  assert.deepEqual(enc(cover, { kind: "open" }), [{ topic: "cv/set", payload: "OPEN" }]);
  assert.deepEqual(enc(cover, { kind: "close" }), [{ topic: "cv/set", payload: "CLOSE" }]);
  assert.deepEqual(enc(cover, { kind: "stop" }), [{ topic: "cv/set", payload: "STOP" }]);
  assert.deepEqual(enc(cover, { kind: "position", value: 25 }), [{
    topic: "cv/pos/set",
    payload: "25",
  }]);
  assert.deepEqual(dec(cover, "cv/pos", "25"), { position: 25 });
  assert.deepEqual(dec(cover, "cv/state", "closed"), { position: 0 });
  assert.throws(() => dec(cover, "cv/state", "ajar"), /expected "open" or "closed"/);

  const fan = device({
    type: "fan",
    adapter: {
      type: "homeassistant",
      component: "fan",
      discovery: { cmd_t: "f/set", stat_t: "f/state", pct_cmd_t: "f/pct/set", pct_stat_t: "f/pct" },
    },
  });
  assert.deepEqual(enc(fan, { kind: "speed", value: 66 }), [{ topic: "f/pct/set", payload: "66" }]);
  assert.deepEqual(enc(fan, { kind: "speed", value: 0 }), [{ topic: "f/set", payload: "OFF" }]);
  assert.deepEqual(dec(fan, "f/pct", "66"), { speed: 66 });

  const scene = device({
    type: "scene",
    adapter: { type: "homeassistant", component: "scene", discovery: { cmd_t: "sc/set" } },
  });
  assert.deepEqual(enc(scene, { kind: "activate" }), [{ topic: "sc/set", payload: "ON" }]);
  const button = device({
    type: "scene",
    adapter: { type: "homeassistant", component: "button", discovery: { cmd_t: "b/press" } },
  });
  assert.deepEqual(enc(button, { kind: "activate" }), [{ topic: "b/press", payload: "PRESS" }]);
  const noTopic = device({
    type: "switch",
    adapter: { type: "homeassistant", component: "switch", discovery: {} },
  });
  assert.throws(() => enc(noTopic, { kind: "on" }), /has no command_topic/);
});

Deno.test("homeassistant: json schema light and value templates", () => {
  const light = device({
    type: "light",
    features: ["onoff", "brightness", "colorTemp"],
    adapter: {
      type: "homeassistant",
      component: "light",
      discovery: { schema: "json", cmd_t: "j/set", stat_t: "j/state", brightness: true },
    },
  });
  assert.deepEqual(enc(light, { kind: "brightness", value: 100 }), [{
    topic: "j/set",
    payload: '{"state":"ON","brightness":255}',
  }]);
  assert.deepEqual(enc(light, { kind: "colorTemp", value: 2500 }), [{
    topic: "j/set",
    payload: '{"state":"ON","color_temp":400}',
  }]);
  assert.deepEqual(dec(light, "j/state", '{"state":"ON","brightness":51,"color_temp":250}'), {
    on: true,
    brightness: 20,
    colorTemp: 4000,
  });
  assert.throws(() => dec(light, "j/state", "ON"), /payload is not JSON/);
  const tpl = device({
    type: "switch",
    adapter: {
      type: "homeassistant",
      component: "switch",
      discovery: { cmd_t: "t/set", stat_t: "t/state", val_tpl: "{{ value_json['POWER'] }}" },
    },
  });
  assert.deepEqual(dec(tpl, "t/state", '{"POWER":"ON"}'), { on: true });
  assert.equal(dec(tpl, "t/state", '{"Other":1}'), null, "missing field: nothing to report");
  const weird = device({
    type: "switch",
    adapter: {
      type: "homeassistant",
      component: "switch",
      discovery: {
        cmd_t: "w/set",
        stat_t: "w/state",
        val_tpl: "{% for x in value %}on{% endfor %}",
      },
    },
  });
  assert.throws(() => dec(weird, "w/state", "x"), /unsupported value template/);
});

Deno.test("expandDiscovery expands abbreviations, ~ and device keys", () => {
  assert.deepEqual(
    expandDiscovery({
      "~": "base",
      cmd_t: "~/set",
      stat_t: "~/state",
      dev: { ids: ["x"], sa: "Kitchen" },
      avty: [{ t: "~/avail" }],
    }),
    {
      "~": "base",
      command_topic: "base/set",
      state_topic: "base/state",
      device: { identifiers: ["x"], suggested_area: "Kitchen" },
      availability: [{ topic: "base/avail" }],
    },
  );
});

Deno.test("homie: property set topics, scaled values, $state availability", () => {
  const lamp = device({
    type: "light",
    adapter: {
      type: "homie",
      device: "bedside",
      node: "lamp",
      base: "homie",
      properties: {},
      max: 100,
    },
  });
  assert.deepEqual(enc(lamp, { kind: "on" }), [{
    topic: "homie/bedside/lamp/on/set",
    payload: "true",
  }]);
  assert.deepEqual(enc(lamp, { kind: "off" }), [{
    topic: "homie/bedside/lamp/on/set",
    payload: "false",
  }]);
  assert.deepEqual(enc(lamp, { kind: "brightness", value: 60 }), [{
    topic: "homie/bedside/lamp/brightness/set",
    payload: "60",
  }]);
  assert.throws(() => enc(lamp, { kind: "toggle" }), /no toggle/);
  const dim255 = device({
    type: "light",
    adapter: {
      type: "homie",
      device: "d",
      node: "n",
      base: "homie",
      properties: { onoff: "power", brightness: "level" },
      max: 255,
    },
  });
  assert.deepEqual(enc(dim255, { kind: "brightness", value: 100 }), [{
    topic: "homie/d/n/level/set",
    payload: "255",
  }]);
  assert.deepEqual(dec(dim255, "homie/d/n/level", "51"), { brightness: 20 });
  assert.deepEqual(dec(dim255, "homie/d/n/power", "true"), { on: true });
  assert.deepEqual(dec(lamp, "homie/bedside/$state", "lost"), { available: false });
  assert.deepEqual(dec(lamp, "homie/bedside/$state", "ready"), { available: true });
  assert.throws(() => dec(lamp, "homie/bedside/$state", "exploded"), /unknown Homie \$state/);
  assert.throws(() => dec(lamp, "homie/bedside/lamp/on", "yes"), /expected "true" or "false"/);
  assert.throws(() => dec(lamp, "homie/bedside/lamp/brightness", "dim"), /expected a number/);
  assert.deepEqual(adapterFor(lamp).stateTopics(lamp), [
    "homie/bedside/lamp/on",
    "homie/bedside/lamp/brightness",
    "homie/bedside/$state",
  ]);
  const trv = device({
    type: "thermostat",
    adapter: { type: "homie", device: "trv", node: "t", base: "homie", properties: {}, max: 100 },
  });
  assert.deepEqual(enc(trv, { kind: "temperature", value: 20 }), [{
    topic: "homie/trv/t/target-temperature/set",
    payload: "20",
  }]);
  assert.deepEqual(dec(trv, "homie/trv/t/current-temperature", "18.5"), {
    currentTemperature: 18.5,
  });
});

Deno.test("generic: payload templates and state fields", () => {
  const d = device({
    type: "light",
    features: ["onoff", "brightness"],
    adapter: {
      type: "generic",
      commands: {
        on: { topic: "x/{{device}}/cmd", payload: '{"power":"{{state}}"}', retain: false },
        off: { topic: "x/{{device}}/cmd", payload: '{"power":"{{state}}"}', retain: true },
        brightness: { topic: "x/{{device}}/level", payload: "{{ value }}", retain: false },
      },
      state: {
        topic: "x/state",
        format: "json",
        fields: { on: "power.state", brightness: "level" },
        onValue: "ON",
        offValue: "OFF",
      },
    },
  });
  assert.deepEqual(enc(d, { kind: "on" }), [{
    topic: "x/test_device/cmd",
    payload: '{"power":"ON"}',
    retain: undefined,
  }]);
  assert.deepEqual(enc(d, { kind: "off" }), [{
    topic: "x/test_device/cmd",
    payload: '{"power":"OFF"}',
    retain: true,
  }]);
  assert.deepEqual(enc(d, { kind: "brightness", value: 7 }), [{
    topic: "x/test_device/level",
    payload: "7",
    retain: undefined,
  }]);
  assert.throws(
    () => enc(d, { kind: "colorTemp", value: 3000 }),
    /adapter\.commands\.colorTemp is not configured/,
  );
  assert.deepEqual(dec(d, "x/state", '{"power":{"state":"ON"},"level":"12"}'), {
    on: true,
    brightness: 12,
  });
  assert.throws(
    () => dec(d, "x/state", '{"power":{"state":"MAYBE"}}'),
    /power\.state: expected "ON" or "OFF"/,
  );
  const raw = device({
    type: "switch",
    adapter: {
      type: "generic",
      commands: {
        on: { topic: "r", payload: "1", retain: false },
        off: { topic: "r", payload: "0", retain: false },
      },
      state: { topic: "r/s", format: "raw", fields: {}, onValue: "1", offValue: "0" },
    },
  });
  assert.deepEqual(dec(raw, "r/s", " 1 "), { on: true });
  assert.throws(() => dec(raw, "r/s", "2"), /expected "1" or "0"/);
});
