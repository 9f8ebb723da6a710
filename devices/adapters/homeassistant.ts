/**
 * Home Assistant MQTT entities: the discovery config (abbreviated keys and
 * `~` allowed) names the command and state topics. Supports light (default,
 * json and template schema), switch, climate, cover, fan, scene and button, and simple
 * value templates (`{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['x'] }}`).
 * @module
 */
import type { Device } from "../../home/registry.ts";
import { evaluate, render, supported, TemplateError } from "./jinja.ts";
import {
  type Adapter,
  AdapterError,
  clampInt,
  type Command,
  type DeviceState,
  jsonObject,
  numField,
  onOffField,
  type OutMessage,
  StatePayloadError,
  toKelvin,
  toMired,
} from "./types.ts";

/**
 * Discovery abbreviations, as Home Assistant's `homeassistant/components/mqtt/abbreviations.py`
 * lists them (ABBREVIATIONS), plus the device-discovery keys (`cmps`, `p`, `o`, `def_ent_id`).
 */
export const ABBREVIATIONS: Record<string, string> = {
  "~": "~",
  act_t: "action_topic",
  act_tpl: "action_template",
  avty: "availability",
  avty_mode: "availability_mode",
  avty_t: "availability_topic",
  avty_tpl: "availability_template",
  bri_cmd_tpl: "brightness_command_template",
  bri_cmd_t: "brightness_command_topic",
  bri_scl: "brightness_scale",
  bri_stat_t: "brightness_state_topic",
  b_tpl: "blue_template",
  bri_tpl: "brightness_template",
  bri_val_tpl: "brightness_value_template",
  clr_temp_cmd_tpl: "color_temp_command_template",
  clr_temp_cmd_t: "color_temp_command_topic",
  clr_temp_stat_t: "color_temp_state_topic",
  clr_temp_tpl: "color_temp_template",
  clr_temp_val_tpl: "color_temp_value_template",
  clr_temp_k: "color_temp_kelvin",
  clrm: "color_mode",
  clrm_stat_t: "color_mode_state_topic",
  clrm_val_tpl: "color_mode_value_template",
  cmd_off_tpl: "command_off_template",
  cmd_on_tpl: "command_on_template",
  cmd_t: "command_topic",
  cmd_tpl: "command_template",
  cmps: "components",
  curr_temp_t: "current_temperature_topic",
  curr_temp_tpl: "current_temperature_template",
  def_ent_id: "default_entity_id",
  dev: "device",
  dev_cla: "device_class",
  e: "encoding",
  en: "enabled_by_default",
  ent_cat: "entity_category",
  fan_mode_cmd_tpl: "fan_mode_command_template",
  fan_mode_cmd_t: "fan_mode_command_topic",
  fan_mode_stat_tpl: "fan_mode_state_template",
  fan_mode_stat_t: "fan_mode_state_topic",
  fx_cmd_t: "effect_command_topic",
  fx_tpl: "effect_template",
  g_tpl: "green_template",
  fx_list: "effect_list",
  ic: "icon",
  json_attr: "json_attributes",
  json_attr_t: "json_attributes_topic",
  json_attr_tpl: "json_attributes_template",
  max_mirs: "max_mireds",
  min_mirs: "min_mireds",
  max_kmp: "max_kelvin",
  min_kmp: "min_kelvin",
  max_temp: "max_temp",
  min_temp: "min_temp",
  mode_cmd_tpl: "mode_command_template",
  mode_cmd_t: "mode_command_topic",
  mode_stat_t: "mode_state_topic",
  mode_stat_tpl: "mode_state_template",
  modes: "modes",
  name: "name",
  o: "origin",
  obj_id: "object_id",
  off_dly: "off_delay",
  opt: "optimistic",
  p: "platform",
  pct_cmd_t: "percentage_command_topic",
  pct_cmd_tpl: "percentage_command_template",
  pct_stat_t: "percentage_state_topic",
  pct_val_tpl: "percentage_value_template",
  pl: "payload",
  pl_avail: "payload_available",
  pl_cls: "payload_close",
  pl_not_avail: "payload_not_available",
  pl_off: "payload_off",
  pl_on: "payload_on",
  pl_open: "payload_open",
  pl_prs: "payload_press",
  pl_rst_pct: "payload_reset_percentage",
  pl_stop: "payload_stop",
  pos_clsd: "position_closed",
  pos_open: "position_open",
  pos_t: "position_topic",
  pos_tpl: "position_template",
  pr_mode_cmd_t: "preset_mode_command_topic",
  pr_mode_cmd_tpl: "preset_mode_command_template",
  pr_mode_stat_t: "preset_mode_state_topic",
  pr_mode_val_tpl: "preset_mode_value_template",
  pr_modes: "preset_modes",
  qos: "qos",
  ret: "retain",
  set_pos_tpl: "set_position_template",
  set_pos_t: "set_position_topic",
  spd_rng_min: "speed_range_min",
  spd_rng_max: "speed_range_max",
  stat_cla: "state_class",
  stat_clsd: "state_closed",
  stat_closing: "state_closing",
  stat_off: "state_off",
  stat_on: "state_on",
  stat_open: "state_open",
  stat_opening: "state_opening",
  stat_stopped: "state_stopped",
  r_tpl: "red_template",
  stat_t: "state_topic",
  stat_tpl: "state_template",
  stat_val_tpl: "state_value_template",
  step: "step",
  sup_clrm: "supported_color_modes",
  t: "topic",
  temp_cmd_tpl: "temperature_command_template",
  temp_cmd_t: "temperature_command_topic",
  temp_stat_tpl: "temperature_state_template",
  temp_stat_t: "temperature_state_topic",
  temp_unit: "temperature_unit",
  tilt_cmd_t: "tilt_command_topic",
  tilt_status_t: "tilt_status_topic",
  tilt_status_tpl: "tilt_status_template",
  uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement",
  val_tpl: "value_template",
};

/** DEVICE_ABBREVIATIONS of abbreviations.py. */
const DEVICE_ABBR: Record<string, string> = {
  cns: "connections",
  cu: "configuration_url",
  ids: "identifiers",
  mf: "manufacturer",
  mdl: "model",
  mdl_id: "model_id",
  hw: "hw_version",
  sw: "sw_version",
  sa: "suggested_area",
  sn: "serial_number",
};

/** ORIGIN_ABBREVIATIONS of abbreviations.py. */
const ORIGIN_ABBR: Record<string, string> = { sw: "sw_version", url: "support_url" };

const expandKeys = (o: unknown, table: Record<string, string>): unknown => {
  if (!o || typeof o !== "object" || Array.isArray(o)) return o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) out[table[k] ?? k] = v;
  return out;
};

/** Expand abbreviations and `~` (base topic) in a discovery payload. */
export function expandDiscovery(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[ABBREVIATIONS[k] ?? k] = v;
  const base = typeof out["~"] === "string" ? out["~"] as string : undefined;
  const tilde = (k: string, v: unknown) => {
    if (base === undefined || typeof v !== "string" || !k.endsWith("_topic") && k !== "topic") {
      return v;
    }
    if (v.startsWith("~")) return base + v.slice(1);
    if (v.endsWith("~")) return v.slice(0, -1) + base;
    return v;
  };
  for (const [k, v] of Object.entries(out)) out[k] = tilde(k, v);
  if (out.device) out.device = expandKeys(out.device, DEVICE_ABBR);
  if (out.origin) out.origin = expandKeys(out.origin, ORIGIN_ABBR);
  if (Array.isArray(out.availability)) {
    out.availability = out.availability.map((a) => {
      const e = expandKeys(a, ABBREVIATIONS);
      if (!e || typeof e !== "object") return e;
      const r = e as Record<string, unknown>;
      r.topic = tilde("topic", r.topic);
      return r;
    });
  }
  return out;
}

/** Whether a template is one earshot evaluates (else the import warns). */
export function supportedTemplate(tpl: unknown): boolean {
  return supported(tpl);
}

/** Evaluate a value template against a payload (`value`, `value_json`); throws on unsupported ones. */
export function applyTemplate(topic: string, tpl: unknown, payload: string): unknown {
  if (tpl === undefined) return payload;
  if (typeof tpl !== "string" || !supported(tpl)) {
    throw new StatePayloadError(`${topic}: unsupported value template ${JSON.stringify(tpl)}`);
  }
  let json: unknown = undefined;
  if (/value_json/.test(tpl)) {
    try {
      json = JSON.parse(payload);
    } catch {
      throw new StatePayloadError(
        `${topic}: payload is not JSON: ${JSON.stringify(payload.slice(0, 80))}`,
      );
    }
  }
  try {
    return evaluate(tpl, { value: payload, value_json: json });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new StatePayloadError(`${topic}: template ${JSON.stringify(tpl)}: ${err.message}`);
  }
}

/** Render a command template (`value` and the entity's own variables); refuses unsupported ones. */
function commandTemplate(
  d: Device,
  key: string,
  tpl: unknown,
  scope: Record<string, unknown>,
): string {
  if (tpl === undefined) return String(scope.value);
  if (typeof tpl !== "string" || !supported(tpl)) {
    throw new AdapterError(
      `${d.id}: the Home Assistant ${key} ${JSON.stringify(tpl)} is not supported`,
    );
  }
  try {
    return render(tpl, scope);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    throw new AdapterError(`${d.id}: ${key}: ${err.message}`);
  }
}

type Disc = Record<string, unknown>;

function disc(d: Device): { component: string; c: Disc } {
  if (d.adapter.type !== "homeassistant") {
    throw new AdapterError(`${d.id}: not a homeassistant device`);
  }
  return { component: d.adapter.component, c: expandDiscovery(d.adapter.discovery) };
}
const str = (c: Disc, k: string, dflt: string): string =>
  typeof c[k] === "string" ? c[k] as string : dflt;
const topicOf = (c: Disc, k: string): string | undefined =>
  typeof c[k] === "string" ? c[k] as string : undefined;
/** A number option, also from a numeric string (Zigbee2MQTT writes `"min_temp": "5"`). */
export function numOpt(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
const num = (c: Disc, k: string, dflt: number): number => numOpt(c[k]) ?? dflt;

function need(d: Device, c: Disc, k: string): string {
  const t = topicOf(c, k);
  if (!t) throw new AdapterError(`${d.id}: the Home Assistant config has no ${k}`);
  return t;
}

interface Availability {
  topic: string;
  on: string;
  off: string;
  template?: unknown;
}

function availabilityTopics(c: Disc): Availability[] {
  const out: Availability[] = [];
  const on = str(c, "payload_available", "online");
  const off = str(c, "payload_not_available", "offline");
  if (topicOf(c, "availability_topic")) {
    out.push({
      topic: c.availability_topic as string,
      on,
      off,
      template: c.availability_template,
    });
  }
  if (Array.isArray(c.availability)) {
    for (const a of c.availability as Record<string, unknown>[]) {
      if (a && typeof a.topic === "string") {
        out.push({
          topic: a.topic,
          on: str(a, "payload_available", on),
          off: str(a, "payload_not_available", off),
          template: a.value_template,
        });
      }
    }
  }
  return out;
}

const isJson = (component: string, c: Disc) => component === "light" && c.schema === "json";
/** A `schema: template` light: command_on/off_template render the payloads of command_topic. */
export const isTemplateLight = (component: string, c: Disc): boolean =>
  component === "light" && c.schema === "template";

/**
 * Payload of a template-schema light (HA's schema_template.py): on and brightness render
 * command_on_template with `state` "on" and `brightness` 0..255 (never brightness_scale) or
 * `color_temp` (mired, kelvin with color_temp_kelvin); off renders command_off_template.
 */
function templateLightCommand(d: Device, c: Disc, cmd: Command): OutMessage[] {
  for (const k of ["command_on_template", "command_off_template"]) {
    if (typeof c[k] !== "string") {
      throw new AdapterError(`${d.id}: the Home Assistant template light has no ${k}`);
    }
  }
  const on = (vars: Record<string, unknown>) =>
    commandTemplate(d, "command_on_template", c.command_on_template, {
      state: "on",
      ...vars,
    });
  const off = () =>
    commandTemplate(d, "command_off_template", c.command_off_template, {
      state: "off",
    });
  let payload: string;
  switch (cmd.kind) {
    case "on":
      payload = on({});
      break;
    case "off":
      payload = off();
      break;
    case "brightness":
      payload = cmd.value <= 0
        ? off()
        : on({ brightness: clampInt((cmd.value * 255) / 100, 1, 255) });
      break;
    case "colorTemp":
      payload = on({ color_temp: kelvinMode(c) ? Math.round(cmd.value) : toMired(cmd.value) });
      break;
    default:
      throw new AdapterError(`${d.id}: a light cannot ${cmd.kind}`);
  }
  // HA's Template.async_render strips the rendered text (folded YAML leaves a newline).
  return [{ topic: need(d, c, "command_topic"), payload: payload.trim() }];
}

/** State of a template-schema light from state_topic through state/brightness/color_temp templates. */
function templateLightState(topic: string, c: Disc, payload: string): DeviceState {
  const s: DeviceState = {};
  const read = (k: string): string | undefined => {
    if (c[k] === undefined) return undefined;
    const v = applyTemplate(topic, c[k], payload);
    const t = v === undefined || v === null ? "" : String(v).trim();
    return t === "" || t === "None" ? undefined : t;
  };
  const state = read("state_template");
  // HA: "on" -> on, "off" -> off, "None" -> unknown, anything else is an error.
  if (state !== undefined) s.on = onOffField(topic, "state_template", state, "on", "off");
  const bri = read("brightness_template");
  if (bri !== undefined) {
    const v = numField(topic, "brightness_template", bri);
    if (v < 0 || v > 255) {
      throw new StatePayloadError(`${topic}: brightness_template: expected 0..255, got ${v}`);
    }
    s.brightness = Math.round((v * 100) / 255);
  }
  const ct = read("color_temp_template");
  if (ct !== undefined) {
    const v = numField(topic, "color_temp_template", ct);
    if (v <= 0) throw new StatePayloadError(`${topic}: color_temp_template: must be positive`);
    s.colorTemp = kelvinMode(c) ? v : toKelvin(v);
  }
  return s;
}
const kelvinMode = (c: Disc) => c.color_temp_kelvin === true;

/** HA's fan speed range (speed_range_min..max, default 1..100). */
function speedRange(c: Disc): [number, number] {
  return [num(c, "speed_range_min", 1), num(c, "speed_range_max", 100)];
}
/** HA cover position range: position_closed (default 0) .. position_open (default 100). */
function positionRange(c: Disc): [number, number] {
  return [num(c, "position_closed", 0), num(c, "position_open", 100)];
}

/** The Home Assistant MQTT adapter. */
export const homeassistant: Adapter = {
  canToggle: () => false,
  encode(d: Device, cmd: Command): OutMessage[] {
    const { component, c } = disc(d);
    const on = str(c, "payload_on", "ON");
    const off = str(c, "payload_off", "OFF");
    const msg = (k: string, payload: string | number): OutMessage[] => [
      { topic: need(d, c, k), payload: String(payload) },
    ];
    // command_template (switch, fan, light json/default) wraps the payload of command_topic.
    const cmdMsg = (payload: string): OutMessage[] =>
      msg(
        "command_topic",
        commandTemplate(d, "command_template", c.command_template, {
          value: payload,
        }),
      );
    if (isTemplateLight(component, c)) return templateLightCommand(d, c, cmd);
    if (isJson(component, c)) {
      const scale = num(c, "brightness_scale", 255);
      let body: Record<string, unknown>;
      switch (cmd.kind) {
        case "on":
        case "off":
          body = { state: cmd.kind.toUpperCase() };
          break;
        case "brightness":
          body = cmd.value <= 0 ? { state: "OFF" } : {
            state: "ON",
            brightness: clampInt((cmd.value * scale) / 100, 1, scale),
          };
          break;
        case "colorTemp":
          body = {
            state: "ON",
            color_temp: kelvinMode(c) ? Math.round(cmd.value) : toMired(cmd.value),
          };
          break;
        default:
          throw new AdapterError(`${d.id}: a light cannot ${cmd.kind}`);
      }
      return msg("command_topic", JSON.stringify(body));
    }
    switch (cmd.kind) {
      case "on":
        if (component === "climate") return msg("mode_command_topic", climateOnMode(c));
        return cmdMsg(on);
      case "off":
        if (component === "climate") {
          return msg(
            "mode_command_topic",
            commandTemplate(d, "mode_command_template", c.mode_command_template, {
              value: "off",
            }),
          );
        }
        return cmdMsg(off);
      case "brightness": {
        const scale = num(c, "brightness_scale", 255);
        if (cmd.value <= 0) return cmdMsg(off);
        const v = clampInt((cmd.value * scale) / 100, 1, scale);
        return msg(
          "brightness_command_topic",
          commandTemplate(d, "brightness_command_template", c.brightness_command_template, {
            value: v,
          }),
        );
      }
      case "colorTemp": {
        const v = kelvinMode(c) ? Math.round(cmd.value) : toMired(cmd.value);
        return msg(
          "color_temp_command_topic",
          commandTemplate(d, "color_temp_command_template", c.color_temp_command_template, {
            value: v,
          }),
        );
      }
      case "temperature":
        return msg(
          "temperature_command_topic",
          commandTemplate(d, "temperature_command_template", c.temperature_command_template, {
            value: cmd.value,
          }),
        );
      case "open":
        return msg("command_topic", str(c, "payload_open", "OPEN"));
      case "close":
        return msg("command_topic", str(c, "payload_close", "CLOSE"));
      case "stop":
        return msg("command_topic", str(c, "payload_stop", "STOP"));
      case "position": {
        // HA: position = position_closed + round((position_open - position_closed) * pct / 100).
        const [closed, open] = positionRange(c);
        const pct = clampInt(cmd.value, 0, 100);
        const position = closed + Math.round(((open - closed) * pct) / 100);
        return msg(
          "set_position_topic",
          commandTemplate(d, "set_position_template", c.set_position_template, {
            value: position,
            position,
          }),
        );
      }
      case "speed": {
        if (cmd.value <= 0) return cmdMsg(off);
        // HA: math.ceil(percentage_to_ranged_value(speed_range, percentage)).
        const [lo, hi] = speedRange(c);
        const pct = clampInt(cmd.value, 1, 100);
        const v = Math.ceil(((hi - lo + 1) * pct) / 100 + lo - 1);
        return msg(
          "percentage_command_topic",
          commandTemplate(d, "percentage_command_template", c.percentage_command_template, {
            value: v,
          }),
        );
      }
      case "activate":
        return msg("command_topic", component === "button" ? str(c, "payload_press", "PRESS") : on);
      case "toggle":
        throw new AdapterError(`${d.id}: Home Assistant entities have no toggle command`);
    }
  },
  stateTopics(d: Device): string[] {
    const { c } = disc(d);
    const keys = [
      "state_topic",
      "brightness_state_topic",
      "color_temp_state_topic",
      "temperature_state_topic",
      "current_temperature_topic",
      "mode_state_topic",
      "position_topic",
      "percentage_state_topic",
    ];
    const topics = keys.map((k) => topicOf(c, k)).filter((t): t is string => !!t);
    topics.push(...availabilityTopics(c).map((a) => a.topic));
    return [...new Set(topics)];
  },
  decode(d: Device, topic: string, payload: string, prev?: DeviceState): DeviceState | null {
    const { component, c } = disc(d);
    const s: DeviceState = {};
    let matched = false;
    const avail = availabilityTopics(c);
    for (const a of avail) {
      if (a.topic !== topic) continue;
      const v = applyTemplate(topic, a.template, payload);
      const ok = onOffField(topic, "availability", v, a.on, a.off);
      // availability_mode (HA): "latest" (default), "all" or "any" of the topics; a topic
      // not heard from yet counts as unavailable, as in HA's MqttAvailabilityMixin.
      const by = { ...prev?.availableBy, [topic]: ok };
      const mode = str(c, "availability_mode", "latest");
      const all = avail.map((x) => by[x.topic] === true);
      if (avail.length > 1) s.availableBy = by;
      s.available = mode === "all" ? all.every(Boolean) : mode === "any" ? all.some(Boolean) : ok;
      matched = true;
    }
    if (isTemplateLight(component, c)) {
      if (topic !== c.state_topic) return matched ? s : null;
      return { ...s, ...templateLightState(topic, c, payload) };
    }
    if (isJson(component, c) && topic === c.state_topic) {
      const o = jsonObject(topic, payload);
      const scale = num(c, "brightness_scale", 255);
      if (o.state !== undefined && o.state !== null) s.on = onOffField(topic, "state", o.state);
      if (o.brightness !== undefined && o.brightness !== null) {
        s.brightness = Math.round((numField(topic, "brightness", o.brightness) * 100) / scale);
      }
      if (o.color_temp !== undefined && o.color_temp !== null) {
        const v = numField(topic, "color_temp", o.color_temp);
        if (v <= 0) throw new StatePayloadError(`${topic}: color_temp: must be positive`);
        s.colorTemp = kelvinMode(c) ? v : toKelvin(v);
      }
      return s;
    }
    const read = (key: string, tplKey: string) =>
      topic === c[key] ? applyTemplate(topic, c[tplKey] ?? c.value_template, payload) : undefined;
    // HA: light (default schema) and fan read state_topic through state_value_template.
    const state = read(
      "state_topic",
      component === "light" || component === "fan" ? "state_value_template" : "value_template",
    );
    if (state !== undefined && state !== null && state !== "") {
      matched = true;
      if (component === "cover") {
        const open = str(c, "state_open", "open");
        const closed = str(c, "state_closed", "closed");
        const moving = [
          str(c, "state_opening", "opening"),
          str(c, "state_closing", "closing"),
          str(c, "state_stopped", "stopped"),
        ];
        const v = String(state).trim();
        if (v === open) s.position ??= 100;
        else if (v === closed) s.position ??= 0;
        else if (!moving.includes(v) && v !== "None") {
          throw new StatePayloadError(
            `${topic}: state: expected "${open}" or "${closed}", got ${JSON.stringify(state)}`,
          );
        }
      } else if (component === "climate") {
        // climate state_topic is not standard; mode topics are separate.
      } else if (component !== "scene" && component !== "button") {
        s.on = onOffField(
          topic,
          "state",
          state,
          str(c, "state_on", str(c, "payload_on", "ON")),
          str(c, "state_off", str(c, "payload_off", "OFF")),
        );
      }
    }
    const bri = read("brightness_state_topic", "brightness_value_template");
    if (bri !== undefined) {
      matched = true;
      const scale = num(c, "brightness_scale", 255);
      s.brightness = Math.round((numField(topic, "brightness", bri) * 100) / scale);
    }
    const ct = read("color_temp_state_topic", "color_temp_value_template");
    if (ct !== undefined) {
      matched = true;
      const v = numField(topic, "color_temp", ct);
      if (v <= 0) throw new StatePayloadError(`${topic}: color_temp: must be positive`);
      s.colorTemp = kelvinMode(c) ? v : toKelvin(v);
    }
    const temp = read("temperature_state_topic", "temperature_state_template");
    if (temp !== undefined) {
      matched = true;
      s.temperature = numField(topic, "temperature", temp);
    }
    const cur = read("current_temperature_topic", "current_temperature_template");
    if (cur !== undefined) {
      matched = true;
      s.currentTemperature = numField(topic, "current_temperature", cur);
    }
    if (component === "climate") {
      const mode = read("mode_state_topic", "mode_state_template");
      if (mode !== undefined && mode !== null) {
        matched = true;
        s.on = String(mode) !== "off";
      }
    }
    const pos = read("position_topic", "position_template");
    if (pos !== undefined && pos !== null) {
      matched = true;
      // HA: percentage = (position - position_closed) / (position_open - position_closed) * 100.
      const [closed, open] = positionRange(c);
      const v = numField(topic, "position", pos);
      s.position = clampInt(((v - closed) * 100) / (open - closed), 0, 100);
    }
    const pct = read("percentage_state_topic", "percentage_value_template");
    if (pct !== undefined && pct !== null) {
      matched = true;
      // HA: payload_reset_percentage ("None") means unknown; else ranged_value_to_percentage.
      if (String(pct) !== str(c, "payload_reset_percentage", "None") && String(pct) !== "") {
        const [lo, hi] = speedRange(c);
        const v = numField(topic, "percentage", pct);
        s.speed = clampInt(Math.floor(((v - lo + 1) * 100) / (hi - lo + 1)), 0, 100);
      }
    }
    return matched || Object.keys(s).length ? s : null;
  },
  refresh: () => [],
};

/** The mode climate "on" sends: heat when listed (or no list), else the first mode not "off". */
function climateOnMode(c: Disc): string {
  const modes = Array.isArray(c.modes) ? c.modes.map(String) : [];
  if (!modes.length || modes.includes("heat")) return "heat";
  return modes.find((m) => m !== "off") ?? "heat";
}
