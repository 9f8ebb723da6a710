/**
 * Device import from the broker, so devices appear without hand-written
 * config: Home Assistant MQTT discovery (`<prefix>/<component>/[<node>/]<object>/config`)
 * and Zigbee2MQTT's retained device list (`<base>/bridge/devices`).
 * The converters are pure; {@link Importer} wires them to the MQTT link.
 * @module
 */
import { normalizeText } from "../core/text.ts";
import { expandDiscovery, numOpt, supportedTemplate } from "./adapters/homeassistant.ts";
import type { DeviceInput, Registry } from "../home/registry.ts";
import { idSlug, RegistryError } from "../home/registry.ts";
import type { DeviceType, Feature } from "../home/schema.ts";

/** Result of converting one discovery/bridge message. */
export interface ImportResult {
  devices: DeviceInput[];
  /** Ids to remove (empty discovery payloads). */
  remove: string[];
  /** Problems worth reporting (skipped entities, unsupported templates). */
  problems: string[];
}

const HA_TYPES: Record<string, DeviceType> = {
  light: "light",
  switch: "switch",
  climate: "thermostat",
  cover: "cover",
  fan: "fan",
  scene: "scene",
  button: "scene",
};

/** Guess the area: suggested area, else an area whose name starts the device name, else the default. */
export function guessArea(
  registry: Registry,
  name: string,
  suggested?: unknown,
  fallback?: string,
): string | undefined {
  if (typeof suggested === "string" && suggested.trim()) {
    const a = registry.area(suggested);
    if (a) return a.id;
  }
  const n = normalizeText(name);
  const byPrefix = registry.areas
    .flatMap((a) => [a.name, ...a.aliases].map((w) => [w, a.id] as const))
    .filter(([w]) => n === w || n.startsWith(`${w} `))
    .sort((x, y) => y[0].length - x[0].length)[0];
  if (byPrefix) return byPrefix[1];
  return fallback && registry.area(fallback) ? registry.area(fallback)!.id : undefined;
}

const TOPIC = /^(.+?)\/([a-z_]+)\/(?:([A-Za-z0-9_-]+)\/)?([A-Za-z0-9_-]+)\/config$/;

/** Value templates the Home Assistant adapter reads (others, e.g. preset modes, are not used). */
const VALUE_TEMPLATES = [
  "value_template",
  "state_value_template",
  "brightness_value_template",
  "color_temp_value_template",
  "temperature_state_template",
  "current_temperature_template",
  "mode_state_template",
  "position_template",
  "percentage_value_template",
  "availability_template",
];
/** Command templates it fills: one it cannot evaluate refuses the command (never a bare value). */
const COMMAND_TEMPLATES = [
  "command_template",
  "brightness_command_template",
  "color_temp_command_template",
  "temperature_command_template",
  "mode_command_template",
  "set_position_template",
  "percentage_command_template",
];

/** Templates of a `schema: template` light (HA's schema_template.py). */
const TEMPLATE_LIGHT = [
  "command_on_template",
  "command_off_template",
  "state_template",
  "brightness_template",
  "color_temp_template",
];

/**
 * Check a template-schema light: both command templates present and every template one
 * earshot evaluates; otherwise say so naming the entity and return false (it is skipped,
 * so a half-understood template never sends garbage).
 */
function templateLight(out: ImportResult, where: string, name: string, c: Disc): boolean {
  for (const k of ["command_on_template", "command_off_template"]) {
    if (typeof c[k] !== "string") {
      out.problems.push(`${where}: template light "${name}" has no ${k}; skipped`);
      return false;
    }
  }
  for (const k of TEMPLATE_LIGHT) {
    if (c[k] !== undefined && !supportedTemplate(c[k])) {
      out.problems.push(
        `${where}: template light "${name}": ${k} ${
          JSON.stringify(c[k])
        } uses template syntax earshot does not evaluate; skipped`,
      );
      return false;
    }
  }
  return true;
}

/**
 * Convert one Home Assistant discovery message into devices (or removals): a single
 * entity (`<prefix>/<component>/[<node>/]<object>/config`) or a device with components
 * (`<prefix>/device/[<node>/]<object>/config` with `cmps`, HA 2024.11+).
 */
export function importHaDiscovery(
  registry: Registry,
  topic: string,
  payload: string,
  defaultArea?: string,
): ImportResult {
  const out: ImportResult = { devices: [], remove: [], problems: [] };
  const m = TOPIC.exec(topic);
  if (!m) {
    out.problems.push(`${topic}: not a discovery config topic`);
    return out;
  }
  const [, , component, node, object] = m;
  const topicId = `ha_${idSlug(`${node ? `${node}_` : ""}${object}`)}`;
  const fromTopic = registry.devices.filter((d) =>
    d.source === "homeassistant" && d.adapter.type === "homeassistant" &&
    (d.adapter.discovery as Record<string, unknown>)["__topic"] === topic
  ).map((d) => d.id);
  if (payload.trim() === "") {
    // Removal uses the id derived from the topic or the ids seen on this topic before.
    out.remove.push(...(fromTopic.length ? fromTopic : [topicId]));
    return out;
  }
  if (component !== "device" && !HA_TYPES[component]) return out; // sensors: not commandable
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    out.problems.push(`${topic}: discovery payload is not JSON`);
    return out;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    out.problems.push(`${topic}: discovery payload is not a JSON object`);
    return out;
  }
  if (component !== "device") {
    haEntity(registry, out, topic, component, topicId, object, raw as Disc, defaultArea);
    return out;
  }
  // Device-based discovery: "cmps" holds the components; the other root options (availability,
  // state_topic, command_topic, qos, ~, ...) are inherited unless a component sets them itself.
  const root = expandDiscovery(raw as Disc);
  const cmps = root.components;
  if (!cmps || typeof cmps !== "object" || Array.isArray(cmps)) {
    out.problems.push(`${topic}: device discovery payload has no "cmps" object`);
    return out;
  }
  const shared: Disc = { ...root };
  delete shared.components;
  for (const [cid, cfg] of Object.entries(cmps as Record<string, unknown>)) {
    if (!cfg || typeof cfg !== "object" || Array.isArray(cfg)) {
      out.problems.push(`${topic}: cmps.${cid}: expected an object`);
      continue;
    }
    const c = cfg as Disc;
    const platform = c.p ?? c.platform;
    if (typeof platform !== "string") {
      out.problems.push(`${topic}: cmps.${cid}: no "p" (platform)`);
      continue;
    }
    if (!HA_TYPES[platform]) continue; // sensors and others
    const own: Disc = { ...c };
    delete own.p;
    delete own.platform;
    if (!Object.keys(own).length) continue; // {"p": "light"} alone removes the component
    haEntity(
      registry,
      out,
      `${topic}#${cid}`,
      platform,
      `ha_${idSlug(`${object}_${cid}`)}`,
      cid,
      { ...shared, ...expandDiscovery(own) },
      defaultArea,
      topic,
    );
  }
  const keep = new Set(out.devices.map((d) => d.id));
  out.remove.push(...fromTopic.filter((id) => !keep.has(id)));
  return out;
}

type Disc = Record<string, unknown>;

/** One entity config (already merged for device discovery) into a device of `out`. */
function haEntity(
  registry: Registry,
  out: ImportResult,
  where: string,
  component: string,
  topicId: string,
  object: string,
  raw: Disc,
  defaultArea?: string,
  configTopic = where,
): void {
  const type = HA_TYPES[component];
  const c = expandDiscovery(raw);
  const uid = typeof c.unique_id === "string" ? c.unique_id : undefined;
  if (uid?.startsWith("earshot_")) return; // earshot's own entities
  const dev = (c.device ?? {}) as Record<string, unknown>;
  const entityName = typeof c.name === "string" ? c.name : "";
  const devName = typeof dev.name === "string" ? dev.name : "";
  const name = normalizeText(
    entityName && devName && !normalizeText(entityName).startsWith(normalizeText(devName))
      ? `${devName} ${entityName}`
      : entityName || devName || object.replace(/_/g, " "),
  );
  if (!name) {
    out.problems.push(`${where}: entity has no usable name`);
    return;
  }
  const cmdKey = component === "climate" ? "temperature_command_topic" : "command_topic";
  if (typeof c[cmdKey] !== "string") {
    out.problems.push(`${where}: no ${cmdKey}; "${name}" cannot be commanded and was skipped`);
    return;
  }
  const templates: Array<[string, unknown]> = [...VALUE_TEMPLATES, ...COMMAND_TEMPLATES]
    .filter((k) => c[k] !== undefined).map((k) => [k, c[k]]);
  if (Array.isArray(c.availability)) {
    c.availability.forEach((a, i) => {
      const tpl = (a as Record<string, unknown> | null)?.value_template;
      if (tpl !== undefined) templates.push([`availability[${i}].value_template`, tpl]);
    });
  }
  for (const [k, tpl] of templates) {
    if (!supportedTemplate(tpl)) {
      out.problems.push(
        `${where}: ${k} ${JSON.stringify(tpl)} is not supported; ${
          COMMAND_TEMPLATES.includes(k)
            ? "commands that need it are refused (never sent without it)"
            : "that state will be reported as an error"
        }`,
      );
    }
  }
  const features: Feature[] = [];
  const modes = Array.isArray(c.supported_color_modes) ? c.supported_color_modes as string[] : [];
  switch (component) {
    case "light":
      features.push("onoff");
      if (c.schema === "template") {
        if (!templateLight(out, where, name, c)) return;
        // Only what command_on_template can carry is commandable.
        const onTpl = String(c.command_on_template);
        if (/\bbrightness\b/.test(onTpl)) features.push("brightness");
        if (/\bcolor_temp\b/.test(onTpl)) features.push("colorTemp");
      } else if (c.schema === "json") {
        if (c.brightness === true || modes.some((x) => x !== "onoff")) features.push("brightness");
        if (c.color_temp === true || modes.includes("color_temp")) features.push("colorTemp");
      } else {
        if (typeof c.brightness_command_topic === "string") features.push("brightness");
        if (typeof c.color_temp_command_topic === "string") features.push("colorTemp");
      }
      break;
    case "switch":
      features.push("onoff");
      break;
    case "climate":
      features.push("temperature");
      if (typeof c.mode_command_topic === "string") features.push("onoff");
      break;
    case "cover":
      features.push("position");
      break;
    case "fan":
      features.push("onoff");
      if (typeof c.percentage_command_topic === "string") features.push("speed");
      break;
    default:
      features.push("activate");
  }
  const range = (lo: unknown, hi: unknown): [number, number] | undefined => {
    const a = numOpt(lo);
    const b = numOpt(hi);
    return a !== undefined && b !== undefined && a < b ? [a, b] : undefined;
  };
  const mireds = range(c.min_mireds, c.max_mireds);
  const kelvins = range(c.min_kelvin, c.max_kelvin);
  out.devices.push({
    id: uid ? `ha_${idSlug(uid)}` : topicId,
    name,
    area: guessArea(registry, name, dev.suggested_area, defaultArea),
    type,
    features,
    adapter: {
      type: "homeassistant",
      component: component as "light",
      discovery: { ...raw, __topic: configTopic },
    },
    colorTempRange: mireds ? [Math.round(1e6 / mireds[1]), Math.round(1e6 / mireds[0])] : kelvins,
    temperatureRange: range(c.min_temp, c.max_temp),
    source: "homeassistant",
  });
}

/** One entry of a Zigbee2MQTT definition's `exposes` (zigbee-herdsman-converters' Base). */
interface Expose {
  type?: string;
  name?: string;
  property?: string;
  endpoint?: string;
  features?: Expose[];
  values?: unknown[];
  value_min?: number;
  value_max?: number;
}

/** Expose types earshot commands (the "specific" exposes of zigbee-herdsman-converters). */
const Z2M_TYPES = ["light", "switch", "fan", "cover", "climate"];

/** Spoken form of an endpoint name: `l1` -> `1`, `left` stays. */
const endpointWords = (ep: string) => ep.replace(/^l(\d+)$/, "$1").replace(/_/g, " ");

/** The device (type, features, adapter extras) one specific expose describes. */
function z2mExposeDevice(x: Expose): {
  type: DeviceType;
  features: Feature[];
  extra: Record<string, unknown>;
  colorTempRange?: [number, number];
  temperatureRange?: [number, number];
} | undefined {
  const feats = Array.isArray(x.features) ? x.features : [];
  const f = (name: string) => feats.find((y) => y.name === name);
  const features: Feature[] = [];
  const extra: Record<string, unknown> = {};
  if (x.endpoint) extra.endpoint = x.endpoint;
  switch (x.type) {
    case "light": {
      features.push("onoff");
      if (f("brightness")) features.push("brightness");
      const ct = f("color_temp");
      if (ct) features.push("colorTemp");
      const range = ct && typeof ct.value_min === "number" && typeof ct.value_max === "number" &&
          ct.value_min > 0 && ct.value_min < ct.value_max
        ? [Math.round(1e6 / ct.value_max), Math.round(1e6 / ct.value_min)] as [number, number]
        : undefined;
      return { type: "light", features, extra, colorTempRange: range };
    }
    case "switch":
      return { type: "switch", features: ["onoff"], extra };
    case "cover":
      return { type: "cover", features: ["position"], extra };
    case "fan": {
      // Fan: state property `fan_state` (older) or `state`; speed by the `fan_mode` enum
      // (withModes) or a numeric `speed` (withSpeed), never both.
      const state = f("state");
      if (state?.property) extra.stateProperty = state.property;
      const mode = f("mode");
      const speed = f("speed");
      features.push("onoff");
      if (mode && Array.isArray(mode.values)) {
        extra.fanModes = mode.values.map(String);
        features.push("speed");
      } else if (speed) {
        extra.speedRange = [speed.value_min ?? 1, speed.value_max ?? 254];
        features.push("speed");
      }
      return { type: "fan", features, extra };
    }
    case "climate": {
      const sp = feats.find((y) =>
        ["occupied_heating_setpoint", "current_heating_setpoint"].includes(y.name ?? "")
      );
      extra.setpoint = sp?.property ?? "occupied_heating_setpoint";
      const t = sp && typeof sp.value_min === "number" && typeof sp.value_max === "number" &&
          sp.value_min < sp.value_max
        ? [sp.value_min, sp.value_max] as [number, number]
        : undefined;
      return { type: "thermostat", features: ["temperature"], extra, temperatureRange: t };
    }
  }
  return undefined;
}

/**
 * A Zigbee2MQTT bridge list (`bridge/devices`, `bridge/groups`): the parsed array, or null with
 * the problem recorded.
 */
function bridgeList(
  payload: string,
  topic: string,
  what: string,
  problems: string[],
): unknown[] | null {
  let list: unknown;
  try {
    list = JSON.parse(payload);
  } catch {
    problems.push(`${topic}: payload is not JSON`);
    return null;
  }
  if (!Array.isArray(list)) {
    problems.push(`${topic}: expected a JSON array of ${what}`);
    return null;
  }
  return list;
}

/**
 * Convert Zigbee2MQTT's `bridge/devices` list into devices: one per light, switch, fan,
 * cover or climate expose, so a 2-gang switch (exposes with `endpoint` l1, l2) gives two.
 */
export function importZ2mDevices(
  registry: Registry,
  payload: string,
  baseTopic = "zigbee2mqtt",
  defaultArea?: string,
): ImportResult {
  const out: ImportResult = { devices: [], remove: [], problems: [] };
  const topic = `${baseTopic}/bridge/devices`;
  const list = bridgeList(payload, topic, "devices", out.problems);
  if (!list) return out;
  const configured = new Set(
    registry.devices.filter((d) => d.source !== "zigbee2mqtt" && d.adapter.type === "zigbee2mqtt")
      .map((d) => d.adapter.type === "zigbee2mqtt" ? d.adapter.name : ""),
  );
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== "object") {
      out.problems.push(`${topic}[${i}]: expected an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const friendly = e.friendly_name;
    if (typeof friendly !== "string" || !friendly) {
      out.problems.push(`${topic}[${i}]: missing friendly_name`);
      return;
    }
    if (e.type === "Coordinator" || e.disabled === true || configured.has(friendly)) return;
    const def = e.definition as { exposes?: Expose[] } | null | undefined;
    const exposes = Array.isArray(def?.exposes) ? def!.exposes : [];
    const specific = exposes.filter((x) => Z2M_TYPES.includes(x.type ?? ""));
    const found = specific.map((x) => ({ x, dev: z2mExposeDevice(x) }))
      .filter((v) => v.dev !== undefined);
    if (!found.length && exposes.some((x) => x.property === "fan_mode")) {
      found.push({ x: {}, dev: { type: "fan", features: ["onoff", "speed"], extra: {} } });
    }
    if (!found.length) return; // sensors, remotes: nothing to command
    const spokenDescription = typeof e.description === "string" && e.description.length < 40
      ? e.description
      : "";
    if (!spokenDescription && /^0x[0-9a-f]{8,16}$/i.test(friendly)) {
      out.problems.push(
        `${topic}[${i}]: "${friendly}" still has its IEEE address as name; give it a friendly name in Zigbee2MQTT to command it by voice`,
      );
      return;
    }
    const base = normalizeText(spokenDescription || friendly);
    if (!base) {
      out.problems.push(`${topic}[${i}]: "${friendly}" has no usable name`);
      return;
    }
    // Several exposes without an endpoint (a light and a fan on one device): name by type.
    const plain = found.filter((v) => !v.x.endpoint).length;
    for (const { x, dev } of found) {
      const suffix = x.endpoint ? endpointWords(x.endpoint) : plain > 1 ? dev!.type : "";
      const name = normalizeText(suffix ? `${base} ${suffix}` : base);
      const idPart = x.endpoint ?? (plain > 1 ? dev!.type : "");
      out.devices.push({
        id: `z2m_${idSlug(friendly)}${idPart ? `_${idSlug(idPart)}` : ""}`,
        name,
        area: guessArea(registry, name, undefined, defaultArea),
        type: dev!.type,
        features: dev!.features,
        adapter: {
          type: "zigbee2mqtt",
          name: friendly,
          baseTopic,
          setpoint: "occupied_heating_setpoint",
          ...dev!.extra,
        },
        colorTempRange: dev!.colorTempRange,
        temperatureRange: dev!.temperatureRange,
        source: "zigbee2mqtt",
      });
    }
  });
  const keep = new Set(out.devices.map((d) => d.id));
  for (const d of registry.devices) {
    if (
      d.source === "zigbee2mqtt" && d.adapter.type === "zigbee2mqtt" && !d.id.startsWith("z2mg_") &&
      d.adapter.baseTopic === baseTopic && !keep.has(d.id)
    ) {
      out.remove.push(d.id);
    }
  }
  return out;
}

/**
 * Convert Zigbee2MQTT's `bridge/groups` into group devices (commanded on `<base>/<group>/set`
 * like a device) and their scenes (`scene_recall`). The group's type comes from its members'
 * exposes in `bridge/devices` (`devicesPayload`): lights, else switches, else covers, as
 * Zigbee2MQTT's own Home Assistant groups (GROUP_SUPPORTED_TYPES).
 */
export function importZ2mGroups(
  registry: Registry,
  payload: string,
  devicesPayload: string | undefined,
  baseTopic = "zigbee2mqtt",
  defaultArea?: string,
): ImportResult {
  const out: ImportResult = { devices: [], remove: [], problems: [] };
  const topic = `${baseTopic}/bridge/groups`;
  const list = bridgeList(payload, topic, "groups", out.problems);
  if (!list) return out;
  const byIeee = new Map<string, Expose[]>();
  try {
    const devs = devicesPayload ? JSON.parse(devicesPayload) : [];
    for (const d of Array.isArray(devs) ? devs : []) {
      const ex = d?.definition?.exposes;
      if (typeof d?.ieee_address === "string" && Array.isArray(ex)) byIeee.set(d.ieee_address, ex);
    }
  } catch { /* bridge/devices problems are reported by its own import */ }
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== "object") {
      out.problems.push(`${topic}[${i}]: expected an object`);
      return;
    }
    const g = entry as Record<string, unknown>;
    const friendly = g.friendly_name;
    if (typeof friendly !== "string" || !friendly) {
      out.problems.push(`${topic}[${i}]: missing friendly_name`);
      return;
    }
    const members = Array.isArray(g.members) ? g.members as Array<{ ieee_address?: string }> : [];
    if (g.id === 901 || !members.length) return; // default_bind_group, empty groups
    const exposes = members.flatMap((m) => byIeee.get(m.ieee_address ?? "") ?? []);
    let type: "light" | "switch" | "cover" | undefined;
    for (const t of ["light", "switch", "cover"] as const) {
      if (exposes.some((x) => x.type === t)) {
        type = t;
        break;
      }
    }
    const description = typeof g.description === "string" && g.description.length < 40
      ? g.description
      : "";
    const name = normalizeText(description || friendly);
    if (!name) {
      out.problems.push(`${topic}[${i}]: "${friendly}" has no usable name`);
      return;
    }
    const adapter = { type: "zigbee2mqtt" as const, name: friendly, baseTopic };
    if (type) {
      const features = new Set<Feature>(type === "cover" ? ["position"] : ["onoff"]);
      for (const x of exposes.filter((x) => x.type === type)) {
        for (const f of z2mExposeDevice(x)?.features ?? []) features.add(f);
      }
      out.devices.push({
        id: `z2mg_${idSlug(friendly)}`,
        name,
        area: guessArea(registry, name, undefined, defaultArea),
        type,
        features: [...features],
        adapter: { ...adapter, setpoint: "occupied_heating_setpoint" },
        source: "zigbee2mqtt",
      });
    } else if (devicesPayload !== undefined) {
      out.problems.push(
        `${topic}[${i}]: group "${friendly}" has no light, switch or cover among its members; skipped`,
      );
    }
    const scenes = Array.isArray(g.scenes)
      ? g.scenes as Array<{ id?: unknown; name?: unknown }>
      : [];
    for (const sc of scenes) {
      if (typeof sc.id !== "number" || typeof sc.name !== "string") continue;
      const sceneName = normalizeText(sc.name);
      if (!sceneName) continue;
      out.devices.push({
        id: `z2mg_${idSlug(friendly)}_scene_${sc.id}`,
        name: sceneName,
        area: guessArea(registry, name, undefined, defaultArea),
        type: "scene",
        features: ["activate"],
        adapter: { ...adapter, setpoint: "occupied_heating_setpoint", sceneId: sc.id },
        source: "zigbee2mqtt",
      });
    }
  });
  const keep = new Set(out.devices.map((d) => d.id));
  for (const d of registry.devices) {
    if (
      d.source === "zigbee2mqtt" && d.adapter.type === "zigbee2mqtt" && d.id.startsWith("z2mg_") &&
      d.adapter.baseTopic === baseTopic && !keep.has(d.id)
    ) {
      out.remove.push(d.id);
    }
  }
  return out;
}

const TASMOTA_TOPIC = /^(.+)\/([A-Z0-9_-]+)\/config$/;

/**
 * Convert Tasmota's own discovery (`tasmota/discovery/<MAC>/config`, the default since
 * SetOption19 0) into devices, as hatasmota reads it: `rl[i]` 1 = relay (a light with
 * SetOption30 1), 2 = light (`lt_st` 1 dimmer, 2 cold/warm, 3..5 colour), names from `fn[i]`,
 * topics from `ft` (FullTopic), `t`, `tp` and `hn`, LWT words `onln`/`ofln`, power words `state`,
 * SetOption4 (`so["4"]`) command reply topics.
 */
export function importTasmotaDiscovery(
  registry: Registry,
  topic: string,
  payload: string,
  defaultArea?: string,
): ImportResult {
  const out: ImportResult = { devices: [], remove: [], problems: [] };
  const m = TASMOTA_TOPIC.exec(topic);
  if (!m) {
    out.problems.push(`${topic}: not a Tasmota discovery config topic`);
    return out;
  }
  const mac = m[2];
  const prefix = `tas_${idSlug(mac.toLowerCase())}_`;
  const before = registry.devices.filter((d) => d.source === "tasmota" && d.id.startsWith(prefix))
    .map((d) => d.id);
  if (payload.trim() === "") {
    out.remove.push(...before);
    return out;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    out.problems.push(`${topic}: discovery payload is not JSON`);
    return out;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    out.problems.push(`${topic}: discovery payload is not a JSON object`);
    return out;
  }
  const c = raw as Record<string, unknown>;
  const need = ["t", "ft", "tp", "rl", "dn"].filter((k) => c[k] === undefined);
  if (need.length) {
    out.problems.push(`${topic}: missing ${need.join(", ")}`);
    return out;
  }
  if (typeof c.mac === "string" && c.mac.toUpperCase() !== mac.toUpperCase()) {
    out.problems.push(`${topic}: MAC mismatch between topic and payload (${c.mac})`);
    return out;
  }
  const tp = c.tp as unknown[];
  const rl = c.rl as unknown[];
  if (
    typeof c.t !== "string" || typeof c.ft !== "string" || !Array.isArray(tp) ||
    tp.length < 3 || !tp.every((x) => typeof x === "string") || !Array.isArray(rl)
  ) {
    out.problems.push(`${topic}: t, ft, tp (3 prefixes) or rl has the wrong type`);
    return out;
  }
  const so = (c.so ?? {}) as Record<string, unknown>;
  const fn = Array.isArray(c.fn) ? c.fn : [];
  const state = Array.isArray(c.state) ? c.state : [];
  const ltSt = typeof c.lt_st === "number" ? c.lt_st : 0;
  const reducedCt = so["82"] === 1;
  const base = tasmotaAdapterBase(c, c.t, c.ft, tp as string[], so, state);
  const lights = rl.map((v, i) => v === 2 ? i : -1).filter((i) => i >= 0);
  rl.forEach((kind, i) => {
    if (kind !== 1 && kind !== 2) {
      if (kind !== 0 && kind !== undefined) {
        out.problems.push(
          `${topic}: rl[${i}] = ${JSON.stringify(kind)} (shutter or other) is not imported`,
        );
      }
      return;
    }
    const asLight = kind === 2 || so["30"] === 1;
    const platform = asLight ? "light" : "switch";
    // hatasmota: config_get_friendlyname -> fn[i], else "<dn> <platform> <i+1>".
    const label = typeof fn[i] === "string" && fn[i]
      ? fn[i] as string
      : `${c.dn} ${platform} ${i + 1}`;
    const name = normalizeText(label);
    if (!name) {
      out.problems.push(`${topic}: relay ${i + 1} has no usable name`);
      return;
    }
    const features: Feature[] = ["onoff"];
    let colorTempRange: [number, number] | undefined;
    if (kind === 2) {
      const split = c.lk === 0 && ltSt >= 4 && i - lights[0] === 1;
      if (split) {
        out.problems.push(`${topic}: the separate white channel (relay ${i + 1}) is not imported`);
        return;
      }
      if (ltSt >= 1) features.push("brightness");
      // RGBW (lt_st 4) has no CT channel; SetOption106 makes Tasmota emulate one from RGB + W.
      if (ltSt === 2 || ltSt === 5 || (ltSt === 4 && so["106"] === 1)) {
        features.push("colorTemp");
        // hatasmota: 153..500 mired, SetOption82 (reduced CT range) 200..380.
        colorTempRange = reducedCt ? [2632, 5000] : [2000, 6536];
      }
    }
    out.devices.push({
      id: `${prefix}${i + 1}`,
      name,
      area: guessArea(registry, name, undefined, defaultArea),
      type: asLight ? "light" : "switch",
      features,
      colorTempRange,
      adapter: { ...base, relay: i + 1 },
      source: "tasmota",
    });
  });
  const keep = new Set(out.devices.map((d) => d.id));
  out.remove.push(...before.filter((id) => !keep.has(id)));
  return out;
}

/**
 * The adapter fields every relay of one Tasmota discovery config shares (hatasmota's
 * TasmotaDiscoveryMsg): topics, prefixes, host, MAC, SetOption4, state texts and LWT.
 */
function tasmotaAdapterBase(
  c: Record<string, unknown>,
  topic: string,
  fullTopic: string,
  tp: string[],
  so: Record<string, unknown>,
  state: unknown[],
) {
  return {
    type: "tasmota" as const,
    topic,
    fullTopic,
    cmndPrefix: tp[0] as string,
    statPrefix: tp[1] as string,
    telePrefix: tp[2] as string,
    shutter: 1,
    ...(typeof c.hn === "string" ? { hostname: c.hn } : {}),
    ...(typeof c.mac === "string" && /^[0-9A-Fa-f]{12}$/.test(c.mac) ? { mac: c.mac } : {}),
    setOption4: so["4"] === 1,
    ...(typeof state[0] === "string" && typeof state[1] === "string"
      ? { stateText: [state[0], state[1]] as [string, string] }
      : {}),
    ...(typeof c.ofln === "string" && typeof c.onln === "string"
      ? { lwt: [c.ofln, c.onln] as [string, string] }
      : {}),
  };
}

/** The part of the MQTT link the importer needs. */
export interface Subscriber {
  subscribe(filter: string, handler: (topic: string, payload: string) => void): () => void;
}

/** Applies import results to the registry; problems go to `report`. */
export function applyImport(
  registry: Registry,
  result: ImportResult,
  report: (msg: string) => void,
): void {
  for (const p of result.problems) report(p);
  for (const id of result.remove) registry.remove(id);
  for (const d of result.devices) {
    const existing = registry.devices.find((x) => x.id === d.id);
    if (existing && existing.source === "file") {
      report(
        `imported device "${d.id}" clashes with a device in the registry file; kept the file's`,
      );
      continue;
    }
    try {
      registry.add(d);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      report(`import skipped: ${err.message}`);
    }
  }
}

/** Subscribes to the discovery topics the registry's `import` section enables. */
export function startImport(
  registry: Registry,
  link: Subscriber,
  report: (msg: string) => void,
): () => void {
  const opts = registry.import;
  const unsubs: Array<() => void> = [];
  if (opts.homeassistant) {
    const handler = (topic: string, payload: string) =>
      applyImport(registry, importHaDiscovery(registry, topic, payload, opts.defaultArea), report);
    unsubs.push(link.subscribe(`${opts.haPrefix}/+/+/config`, handler));
    unsubs.push(link.subscribe(`${opts.haPrefix}/+/+/+/config`, handler));
  }
  if (opts.zigbee2mqtt) {
    // Groups need the members' exposes: re-run the groups import when the devices change.
    let devices: string | undefined;
    let groups: string | undefined;
    const importGroups = () => {
      if (groups === undefined) return;
      applyImport(
        registry,
        importZ2mGroups(registry, groups, devices, opts.z2mBaseTopic, opts.defaultArea),
        report,
      );
    };
    unsubs.push(
      link.subscribe(`${opts.z2mBaseTopic}/bridge/devices`, (_t, payload) => {
        devices = payload;
        applyImport(
          registry,
          importZ2mDevices(registry, payload, opts.z2mBaseTopic, opts.defaultArea),
          report,
        );
        importGroups();
      }),
      link.subscribe(`${opts.z2mBaseTopic}/bridge/groups`, (_t, payload) => {
        groups = payload;
        importGroups();
      }),
    );
  }
  if (opts.tasmota) {
    unsubs.push(
      link.subscribe(`${opts.tasmotaPrefix}/+/config`, (topic, payload) =>
        applyImport(
          registry,
          importTasmotaDiscovery(registry, topic, payload, opts.defaultArea),
          report,
        )),
    );
  }
  return () => unsubs.forEach((u) => u());
}
