/**
 * Home Assistant MQTT entities: the discovery config (abbreviated keys and
 * `~` allowed) names the command and state topics. Supports light (default
 * and json schema), switch, climate, cover, fan, scene and button, and simple
 * value templates (`{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['x'] }}`).
 * @module
 */
import type { Device } from "../../home/registry.ts";
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

/** Discovery abbreviations earshot understands (subset of Home Assistant's list). */
export const ABBREVIATIONS: Record<string, string> = {
  "~": "~",
  avty_t: "availability_topic",
  avty: "availability",
  pl_avail: "payload_available",
  pl_not_avail: "payload_not_available",
  bri_cmd_t: "brightness_command_topic",
  bri_stat_t: "brightness_state_topic",
  bri_scl: "brightness_scale",
  bri_val_tpl: "brightness_value_template",
  clr_temp_cmd_t: "color_temp_command_topic",
  clr_temp_stat_t: "color_temp_state_topic",
  clr_temp_val_tpl: "color_temp_value_template",
  clr_temp_k: "color_temp_kelvin",
  cmd_t: "command_topic",
  stat_t: "state_topic",
  stat_val_tpl: "state_value_template",
  val_tpl: "value_template",
  pl_on: "payload_on",
  pl_off: "payload_off",
  stat_on: "state_on",
  stat_off: "state_off",
  pl_open: "payload_open",
  pl_cls: "payload_close",
  pl_stop: "payload_stop",
  pl_prs: "payload_press",
  stat_open: "state_open",
  stat_clsd: "state_closed",
  pos_t: "position_topic",
  pos_tpl: "position_template",
  set_pos_t: "set_position_topic",
  pos_open: "position_open",
  pos_clsd: "position_closed",
  temp_cmd_t: "temperature_command_topic",
  temp_stat_t: "temperature_state_topic",
  temp_stat_tpl: "temperature_state_template",
  curr_temp_t: "current_temperature_topic",
  curr_temp_tpl: "current_temperature_template",
  pct_cmd_t: "percentage_command_topic",
  pct_stat_t: "percentage_state_topic",
  pct_val_tpl: "percentage_value_template",
  spd_rng_max: "speed_range_max",
  spd_rng_min: "speed_range_min",
  uniq_id: "unique_id",
  dev: "device",
  sup_clrm: "supported_color_modes",
  min_mirs: "min_mireds",
  max_mirs: "max_mireds",
  min_temp: "min_temp",
  max_temp: "max_temp",
  json_attr_t: "json_attributes_topic",
};

const DEVICE_ABBR: Record<string, string> = {
  ids: "identifiers",
  mf: "manufacturer",
  mdl: "model",
  sa: "suggested_area",
  cns: "connections",
  sw: "sw_version",
};

/** Expand abbreviations and `~` (base topic) in a discovery payload. */
export function expandDiscovery(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[ABBREVIATIONS[k] ?? k] = v;
  const base = typeof out["~"] === "string" ? out["~"] as string : undefined;
  if (base !== undefined) {
    for (const [k, v] of Object.entries(out)) {
      if (typeof v === "string" && k.endsWith("_topic")) {
        if (v.startsWith("~")) out[k] = base + v.slice(1);
        else if (v.endsWith("~")) out[k] = v.slice(0, -1) + base;
      }
    }
  }
  if (out.device && typeof out.device === "object") {
    const dev: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(out.device as Record<string, unknown>)) {
      dev[DEVICE_ABBR[k] ?? k] = v;
    }
    out.device = dev;
  }
  if (Array.isArray(out.availability)) {
    out.availability = out.availability.map((a) => {
      if (!a || typeof a !== "object") return a;
      const e: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
        e[k === "t" ? "topic" : ABBREVIATIONS[k] ?? k] = v;
      }
      if (base && typeof e.topic === "string" && e.topic.startsWith("~")) {
        e.topic = base + e.topic.slice(1);
      }
      return e;
    });
  }
  return out;
}

/** Whether a value template is one earshot evaluates (else the import warns). */
export function supportedTemplate(tpl: unknown): boolean {
  return tpl === undefined || (typeof tpl === "string" && TEMPLATE.test(tpl));
}

const TEMPLATE =
  /^\{\{\s*(value|value_json((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*(?:'[^']*'|"[^"]*"|\d+)\s*\])*))\s*(?:\|\s*(int|float|round(?:\(\d\))?|string|lower|upper)\s*)?\}\}$/;

/** Evaluate a simple value template against a payload; throws on unsupported ones. */
export function applyTemplate(topic: string, tpl: unknown, payload: string): unknown {
  if (tpl === undefined) return payload;
  const m = typeof tpl === "string" ? TEMPLATE.exec(tpl.trim()) : null;
  if (!m) {
    throw new StatePayloadError(`${topic}: unsupported value template ${JSON.stringify(tpl)}`);
  }
  let v: unknown = payload;
  if (m[1] !== "value") {
    let cur: unknown;
    try {
      cur = JSON.parse(payload);
    } catch {
      throw new StatePayloadError(
        `${topic}: payload is not JSON: ${JSON.stringify(payload.slice(0, 80))}`,
      );
    }
    const path =
      m[2].match(/\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/g) ?? [];
    for (const part of path) {
      const key = part.startsWith(".")
        ? part.slice(1)
        : part.slice(1, -1).trim().replace(/^['"]|['"]$/g, "");
      if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
    v = cur;
  }
  const filter = m[3];
  if (filter === "int") return Math.trunc(numField(topic, "value", v));
  if (filter === "float" || filter?.startsWith("round")) return numField(topic, "value", v);
  if (filter === "lower") return String(v).toLowerCase();
  if (filter === "upper") return String(v).toUpperCase();
  return v;
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

function need(d: Device, c: Disc, k: string): string {
  const t = topicOf(c, k);
  if (!t) throw new AdapterError(`${d.id}: the Home Assistant config has no ${k}`);
  return t;
}

function availabilityTopics(c: Disc): Array<{ topic: string; on: string; off: string }> {
  const out: Array<{ topic: string; on: string; off: string }> = [];
  const on = str(c, "payload_available", "online");
  const off = str(c, "payload_not_available", "offline");
  if (topicOf(c, "availability_topic")) {
    out.push({ topic: c.availability_topic as string, on, off });
  }
  if (Array.isArray(c.availability)) {
    for (const a of c.availability as Record<string, unknown>[]) {
      if (a && typeof a.topic === "string") {
        out.push({
          topic: a.topic,
          on: str(a, "payload_available", on),
          off: str(a, "payload_not_available", off),
        });
      }
    }
  }
  return out;
}

const isJson = (component: string, c: Disc) => component === "light" && c.schema === "json";
const kelvinMode = (c: Disc) => c.color_temp_kelvin === true;

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
    if (isJson(component, c)) {
      const scale = typeof c.brightness_scale === "number" ? c.brightness_scale : 255;
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
        if (component === "climate") return msg("mode_command_topic", "heat");
        return msg("command_topic", on);
      case "off":
        if (component === "climate") return msg("mode_command_topic", "off");
        return msg("command_topic", off);
      case "brightness": {
        const scale = typeof c.brightness_scale === "number" ? c.brightness_scale : 255;
        if (cmd.value <= 0) return msg("command_topic", off);
        return msg("brightness_command_topic", clampInt((cmd.value * scale) / 100, 1, scale));
      }
      case "colorTemp":
        return msg(
          "color_temp_command_topic",
          kelvinMode(c) ? Math.round(cmd.value) : toMired(cmd.value),
        );
      case "temperature":
        return msg("temperature_command_topic", cmd.value);
      case "open":
        return msg("command_topic", str(c, "payload_open", "OPEN"));
      case "close":
        return msg("command_topic", str(c, "payload_close", "CLOSE"));
      case "stop":
        return msg("command_topic", str(c, "payload_stop", "STOP"));
      case "position":
        return msg("set_position_topic", clampInt(cmd.value, 0, 100));
      case "speed":
        if (cmd.value <= 0) return msg("command_topic", off);
        return msg("percentage_command_topic", clampInt(cmd.value, 1, 100));
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
      "position_topic",
      "percentage_state_topic",
    ];
    const topics = keys.map((k) => topicOf(c, k)).filter((t): t is string => !!t);
    topics.push(...availabilityTopics(c).map((a) => a.topic));
    return [...new Set(topics)];
  },
  decode(d: Device, topic: string, payload: string): DeviceState | null {
    const { component, c } = disc(d);
    const s: DeviceState = {};
    let matched = false;
    for (const a of availabilityTopics(c)) {
      if (a.topic === topic) {
        s.available = onOffField(topic, "availability", payload, a.on, a.off);
        matched = true;
      }
    }
    if (isJson(component, c) && topic === c.state_topic) {
      const o = jsonObject(topic, payload);
      const scale = typeof c.brightness_scale === "number" ? c.brightness_scale : 255;
      if (o.state !== undefined) s.on = onOffField(topic, "state", o.state);
      if (o.brightness !== undefined) {
        s.brightness = Math.round((numField(topic, "brightness", o.brightness) * 100) / scale);
      }
      if (o.color_temp !== undefined) {
        const v = numField(topic, "color_temp", o.color_temp);
        if (v <= 0) throw new StatePayloadError(`${topic}: color_temp: must be positive`);
        s.colorTemp = kelvinMode(c) ? v : toKelvin(v);
      }
      return s;
    }
    const read = (key: string, tplKey: string) =>
      topic === c[key] ? applyTemplate(topic, c[tplKey] ?? c.value_template, payload) : undefined;
    const state = read(
      "state_topic",
      component === "light" ? "state_value_template" : "value_template",
    );
    if (state !== undefined) {
      matched = true;
      if (component === "cover") {
        const open = str(c, "state_open", "open");
        const closed = str(c, "state_closed", "closed");
        if (state === open) s.position ??= 100;
        else if (state === closed) s.position ??= 0;
        else if (!["opening", "closing", "stopped"].includes(String(state))) {
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
      const scale = typeof c.brightness_scale === "number" ? c.brightness_scale : 255;
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
    const pos = read("position_topic", "position_template");
    if (pos !== undefined) {
      matched = true;
      s.position = numField(topic, "position", pos);
    }
    const pct = read("percentage_state_topic", "percentage_value_template");
    if (pct !== undefined) {
      matched = true;
      s.speed = numField(topic, "percentage", pct);
    }
    return matched || Object.keys(s).length ? s : null;
  },
  refresh: () => [],
};
