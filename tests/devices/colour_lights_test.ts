/**
 * Colour lights: a Tasmota RGBW bulb and a Home Assistant MQTT light with `schema: template`,
 * with payloads shaped as Tasmota's console and Home Assistant's MQTT light docs show them.
 */
import assert from "node:assert/strict";
import { adapterFor, decodeState } from "../../devices/adapters/index.ts";
import type { Command } from "../../devices/adapters/types.ts";
import { applyImport, importHaDiscovery, startImport } from "../../devices/import.ts";
import { MqttLink } from "../../devices/mqtt.ts";
import { Router } from "../../devices/router.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";
import { commandRoundTrips, type RoundTrip } from "./round_trip.ts";
import { type Device, parseRegistry } from "../../home/registry.ts";

/**
 * The "JSON payload" example of Home Assistant's MQTT light docs, "Template schema - Examples"
 * (home-assistant.io source/_integrations/light.mqtt.markdown), written as discovery with
 * abbreviations. Its YAML `command_on_template: >` is folded: lines joined by spaces.
 */
const docsOnTemplate = [
  '{"state": "on"',
  "{%- if brightness is defined -%}",
  ', "brightness": {{ brightness }}',
  "{%- endif -%}",
  "{%- if red is defined and green is defined and blue is defined -%}",
  ', "color": [{{ red }}, {{ green }}, {{ blue }}]',
  "{%- endif -%}",
  "{%- if hue is defined and sat is defined -%}",
  ', "huesat": [{{ hue }}, {{ sat }}]',
  "{%- endif -%}",
  "{%- if effect is defined -%}",
  ', "effect": "{{ effect }}"',
  "{%- endif -%}",
  "}",
].join(" ") + "\n";
const haTemplateLight = {
  topic: "homeassistant/light/rgb1/config",
  payload: {
    name: "Porch Strip",
    uniq_id: "rgb1_light",
    schema: "template",
    fx_list: ["rainbow", "colorloop"],
    cmd_t: "home/rgb1/set",
    stat_t: "home/rgb1/status",
    cmd_on_tpl: docsOnTemplate,
    cmd_off_tpl: '{"state": "off"}',
    stat_tpl: "{{ value_json.state }}",
    bri_tpl: "{{ value_json.brightness }}",
    r_tpl: "{{ value_json.color[0] }}",
    g_tpl: "{{ value_json.color[1] }}",
    b_tpl: "{{ value_json.color[2] }}",
    fx_tpl: "{{ value_json.effect }}",
  },
};
/** The same light with a colour temperature block and clr_temp_tpl (mired, as HA sends it). */
const withColorTemp = {
  ...haTemplateLight.payload,
  cmd_on_tpl: docsOnTemplate.replace(
    "}\n",
    '{%- if color_temp is defined -%} , "color_temp": {{ color_temp }} {%- endif -%} }',
  ),
  clr_temp_tpl: "{{ value_json.color_temp }}",
};

const reg = () => parseRegistry({ areas: [{ name: "porch" }, { name: "study" }] }, "test.json");
const enc = (d: Device, cmd: Command) => adapterFor(d).encode(d, cmd);
const dec = (d: Device, topic: string, payload: string) =>
  decodeState(adapterFor(d), d, topic, payload);

function importOne(payload: Record<string, unknown>): { d?: Device; problems: string[] } {
  const r = reg();
  const res = importHaDiscovery(r, haTemplateLight.topic, JSON.stringify(payload));
  const problems: string[] = [];
  applyImport(r, res, (m) => problems.push(m));
  return { d: r.devices[0], problems };
}

Deno.test(
  "HA template light (cmd_on_tpl / cmd_off_tpl / stat_tpl / bri_tpl / clr_temp_tpl): imported, commands rendered, state read",
  () => {
    const docs = importOne(haTemplateLight.payload);
    assert.deepEqual(docs.problems, []);
    assert.deepEqual(docs.d?.features, ["onoff", "brightness"]); // no color_temp in its template
    const { d, problems } = importOne(withColorTemp);
    assert.deepEqual(problems, []);
    assert.ok(d);
    assert.deepEqual([d.id, d.name, d.area, d.type, d.features], [
      "ha_rgb1_light",
      "porch strip",
      "porch",
      "light",
      ["onoff", "brightness", "colorTemp"],
    ]);
    // Rendered as Jinja does (whitespace control, output stripped as HA's Template.async_render).
    assert.deepEqual(enc(docs.d!, { kind: "brightness", value: 100 }), [
      { topic: "home/rgb1/set", payload: '{"state": "on", "brightness": 255}' },
    ]);
    // HA schema_template: turn_on renders command_on_template with state "on" and brightness
    // 0..255 when given; turn_off renders command_off_template.
    assert.deepEqual(enc(d, { kind: "on" }), [{
      topic: "home/rgb1/set",
      payload: '{"state": "on"}',
    }]);
    assert.deepEqual(enc(d, { kind: "brightness", value: 50 }), [
      { topic: "home/rgb1/set", payload: '{"state": "on", "brightness": 128}' },
    ]);
    assert.deepEqual(enc(d, { kind: "colorTemp", value: 2700 }), [
      { topic: "home/rgb1/set", payload: '{"state": "on", "color_temp": 370}' },
    ]);
    assert.deepEqual(enc(d, { kind: "off" }), [{
      topic: "home/rgb1/set",
      payload: '{"state": "off"}',
    }]);
    assert.deepEqual(enc(d, { kind: "brightness", value: 0 })[0].payload, '{"state": "off"}');
    assert.deepEqual(adapterFor(d).stateTopics(d), ["home/rgb1/status"]);
    // The docs' state format: {"state": "on", "brightness": 255, "color": [255, 255, 255], "effect": "rainbow"}.
    assert.deepEqual(
      dec(
        docs.d!,
        "home/rgb1/status",
        '{"state": "on", "brightness": 255, "color": [255, 255, 255], "effect": "rainbow"}',
      ),
      { on: true, brightness: 100 },
    );
    // state_template gives "on"/"off"; brightness_template 0..255; color_temp_template mired.
    assert.deepEqual(
      dec(d, "home/rgb1/status", '{"state": "on", "brightness": 255, "color_temp": 250}'),
      { on: true, brightness: 100, colorTemp: 4000 },
    );
    assert.deepEqual(dec(d, "home/rgb1/status", '{"state": "off"}'), { on: false });
    assert.equal(dec(d, "home/other", '{"state": "on"}'), null);
    // Bad payloads are named by topic and template.
    assert.throws(
      () => dec(d, "home/rgb1/status", "on"),
      /home\/rgb1\/status: payload is not JSON/,
    );
    assert.throws(
      () => dec(d, "home/rgb1/status", '{"state": "maybe"}'),
      /home\/rgb1\/status: state_template: expected "on" or "off", got "maybe"/,
    );
    assert.throws(
      () => dec(d, "home/rgb1/status", '{"state": "on", "brightness": 300}'),
      /home\/rgb1\/status: brightness_template: expected 0..255, got 300/,
    );
    assert.throws(
      () => dec(d, "home/rgb1/status", '{"brightness": "dim"}'),
      /brightness_template: expected a number, got "dim"/,
    );
    assert.throws(
      () => dec(d, "home/rgb1/status", '{"color_temp": 0}'),
      /color_temp_template: must be positive/,
    );
  },
);

Deno.test(
  "HA template light with template syntax earshot does not evaluate, or no cmd_off_tpl: the import names the entity and skips it",
  () => {
    const forLoop = importOne({
      ...haTemplateLight.payload,
      cmd_on_tpl: '{"state": "on"{% for k in [1] %}{{ k }}{% endfor %}}',
    });
    assert.equal(forLoop.d, undefined);
    assert.deepEqual(forLoop.problems, [
      `homeassistant/light/rgb1/config: template light "porch strip": command_on_template ${
        JSON.stringify('{"state": "on"{% for k in [1] %}{{ k }}{% endfor %}}')
      } uses template syntax earshot does not evaluate; skipped`,
    ]);
    // The docs' "Simple string payload" example reads `value.split(',')` (a method call) and its
    // "CCT light" example uses multiply/max/min and `==`: neither is evaluated, both are skipped.
    const simple = importOne({
      ...haTemplateLight.payload,
      cmd_on_tpl:
        "on,{{ brightness|d }},{{ red|d }}-{{ green|d }}-{{ blue|d }},{{ hue|d }}-{{ sat|d }}",
      cmd_off_tpl: "off",
      stat_tpl: "{{ value.split(',')[0] }}",
      bri_tpl: "{{ value.split(',')[1] }}",
    });
    assert.equal(simple.d, undefined);
    assert.match(
      simple.problems[0],
      /"porch strip": state_template "\{\{ value.split\(','\)\[0\] \}\}" .* skipped/,
    );
    const cct = importOne({
      ...haTemplateLight.payload,
      cmd_on_tpl:
        '{"turn": "on", "mode": "white" {%- if brightness is defined -%} , "brightness": ' +
        "{{brightness | float | multiply(0.39215686) | round(0)}} {%- endif -%} }",
    });
    assert.equal(cct.d, undefined);
    assert.match(cct.problems[0], /"porch strip": command_on_template .* skipped/);
    const compare = importOne({
      ...haTemplateLight.payload,
      stat_tpl: "{% if value_json.power == 1 %}on{% else %}off{% endif %}",
    });
    assert.equal(compare.d, undefined);
    assert.match(compare.problems[0], /"porch strip": state_template .* skipped/);
    const unclosed = importOne({ ...haTemplateLight.payload, cmd_off_tpl: "{% if x %}off" });
    assert.match(unclosed.problems[0], /command_off_template .* skipped/);
    const { cmd_off_tpl: _, ...noOff } = haTemplateLight.payload;
    const missing = importOne(noOff);
    assert.equal(missing.d, undefined);
    assert.deepEqual(missing.problems, [
      'homeassistant/light/rgb1/config: template light "porch strip" has no command_off_template; skipped',
    ]);
  },
);

Deno.test(
  "real Mosquitto: a Tasmota RGBW bulb set to 2700 kelvin (CT 370) and 40 percent, confirmed from stat/<topic>/RESULT; an HA template light imported from discovery, switched and dimmed with its rendered templates, state read through state_template",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const broker = await Mosquitto.start();
    const peer = await Watcher.connect(broker.url, ["cmnd/#", "home/#"]);
    const link = await MqttLink.connect({ url: broker.url });
    const registry = parseRegistry({
      areas: [{ name: "porch" }, { name: "study" }],
      import: { homeassistant: true },
      devices: [{
        name: "lamp",
        area: "study",
        type: "light",
        features: ["onoff", "brightness", "colorTemp"],
        colorTempRange: [2000, 6500],
        adapter: { type: "tasmota", topic: "rgbw_lamp" },
      }],
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
      await peer.publish(haTemplateLight.topic, JSON.stringify(withColorTemp), true);
      router.watchStates();
      const stop = startImport(registry, link, (m) => problems.push(m));
      await until(() => registry.devices.length >= 2, 8000, "template light imported");
      assert.deepEqual(problems, []);
      const cases: RoundTrip[] = [
        // Tasmota RGBW console shape: stat/<topic>/RESULT = {"POWER":"ON","Dimmer":..,"Color":..,
        // "HSBColor":..,"White":..,"CT":..,"Channel":[..]}.
        [
          "set the lamp to 2700 kelvin",
          "cmnd/rgbw_lamp/CT",
          "370",
          "stat/rgbw_lamp/RESULT",
          '{"POWER":"ON","Dimmer":60,"Color":"00000099","HSBColor":"0,0,0","White":60,"CT":370,"Channel":[0,0,0,60]}',
        ],
        [
          "set the lamp to 40 percent",
          "cmnd/rgbw_lamp/Dimmer",
          "40",
          "stat/rgbw_lamp/RESULT",
          '{"POWER":"ON","Dimmer":40,"Color":"00000066","HSBColor":"0,0,0","White":40,"CT":370,"Channel":[0,0,0,40]}',
        ],
        [
          "turn on the porch strip",
          "home/rgb1/set",
          '{"state": "on"}',
          "home/rgb1/status",
          '{"state": "on", "brightness": 255}',
        ],
        [
          "set the porch strip to 20 percent",
          "home/rgb1/set",
          '{"state": "on", "brightness": 51}',
          "home/rgb1/status",
          '{"state": "on", "brightness": 51}',
        ],
        [
          "turn off the porch strip",
          "home/rgb1/set",
          '{"state": "off"}',
          "home/rgb1/status",
          '{"state": "off", "brightness": 51}',
        ],
      ];
      await commandRoundTrips(router, registry, peer, cases);
      const lamp = router.states.get("lamp");
      assert.deepEqual([lamp.on, lamp.brightness, lamp.colorTemp], [true, 40, 2700]);
      const strip = router.states.get("ha_rgb1_light");
      assert.deepEqual([strip.on, strip.brightness], [false, 20]);
      assert.deepEqual(events.filter((e) => e.type === "error"), []);
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
