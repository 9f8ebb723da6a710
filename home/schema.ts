/**
 * The device registry file format (JSON, see docs/devices.md): areas, devices
 * with their adapter, optional extra sentence templates and import switches.
 * Adapters are validated by their own schema so errors say
 * `devices[3].adapter: unknown "zigbee"` rather than a generic union failure.
 * @module
 */
import { z } from "zod";

/** Device kinds earshot knows how to command. */
export const DEVICE_TYPES = [
  "light",
  "switch",
  "plug",
  "thermostat",
  "cover",
  "fan",
  "scene",
] as const;
/** One of {@link DEVICE_TYPES}. */
export type DeviceType = typeof DEVICE_TYPES[number];

/** Capabilities a device may have. */
export const FEATURES = [
  "onoff",
  "brightness",
  "colorTemp",
  "temperature",
  "position",
  "speed",
  "activate",
] as const;
/** One of {@link FEATURES}. */
export type Feature = typeof FEATURES[number];

/** Features a device type has when the file does not list them. */
export const DEFAULT_FEATURES: Record<DeviceType, Feature[]> = {
  light: ["onoff", "brightness"],
  switch: ["onoff"],
  plug: ["onoff"],
  thermostat: ["temperature"],
  cover: ["position"],
  fan: ["onoff", "speed"],
  scene: ["activate"],
};

const phrase = z.string().trim().min(1, "must not be empty");

/** A room or zone. */
export const areaSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, _ . -").optional(),
  name: phrase,
  aliases: z.array(phrase).default([]),
}).strict();

/** A floor (or any group of areas): "upstairs" = study + guest room + bedroom. */
export const floorSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, _ . -").optional(),
  name: phrase,
  aliases: z.array(phrase).default([]),
  /** Area ids, names or aliases on this floor. */
  areas: z.array(z.string()).min(1, "list at least one area"),
}).strict();

const topicPart = z.string().min(1).refine((s) => !/[#+]/.test(s), "must not contain + or #");

/** Zigbee2MQTT: `<baseTopic>/<name>/set` JSON commands, state on `<baseTopic>/<name>`. */
export const z2mAdapterSchema = z.object({
  type: z.literal("zigbee2mqtt"),
  /** Zigbee2MQTT friendly name (may contain "/"). */
  name: topicPart,
  baseTopic: topicPart.default("zigbee2mqtt"),
  /** Thermostat setpoint property. */
  setpoint: z.string().default("occupied_heating_setpoint"),
  /** Scene id for `scene_recall` (scenes on a group or device). */
  sceneId: z.number().int().min(0).max(255).optional(),
  /**
   * Endpoint of a multi-endpoint device (`l1`, `left`): its properties carry the suffix
   * (`state_l1`), as zigbee-herdsman-converters' `withEndpoint` names them.
   */
  endpoint: z.string().regex(/^[A-Za-z0-9_-]+$/, "use letters, digits, _ -").optional(),
  /** On/off property; default `state`, fans `fan_state` (older Zigbee2MQTT fans; newer: `state`). */
  stateProperty: z.string().min(1).optional(),
  /** The values of a fan's `fan_mode` enum (e.g. off, low, medium, high, on, auto, smart). */
  fanModes: z.array(z.string().min(1)).optional(),
  /** Range of a fan's numeric `speed` property (Fan `withSpeed`, default 1..254); replaces fan_mode. */
  speedRange: z.tuple([z.number().int().min(0), z.number().int().positive()]).optional(),
}).strict();

/** Tasmota: `cmnd/<topic>/POWER|Dimmer|CT|...`, state from `stat/<topic>/RESULT|POWER` and `tele/<topic>/STATE`. */
export const tasmotaAdapterSchema = z.object({
  type: z.literal("tasmota"),
  topic: topicPart,
  /** Relay index for multi-relay devices (POWER1..POWER8); unset means POWER. */
  relay: z.number().int().min(1).max(8).optional(),
  /** Shutter index for covers (ShutterOpen1 ...). */
  shutter: z.number().int().min(1).max(4).default(1),
  cmndPrefix: topicPart.default("cmnd"),
  statPrefix: topicPart.default("stat"),
  telePrefix: topicPart.default("tele"),
  /** Command that recalls a scene (e.g. "Backlog Dimmer 30; CT 400"). */
  sceneCommand: z.string().optional(),
  /**
   * Tasmota's FullTopic: `%prefix%`, `%topic%`, `%hostname%` and `%id%` (last 6 of the MAC)
   * are replaced; `%topic%/%prefix%/` (the SetOption19 layout) works like the default
   * `%prefix%/%topic%/`.
   */
  fullTopic: z.string().min(1).refine((s) => s.includes("%prefix%"), "must contain %prefix%")
    .refine((s) => !/[#+]/.test(s), "must not contain + or #").optional(),
  /** %hostname% of the FullTopic. */
  hostname: z.string().optional(),
  /** The MAC (12 hex digits) for %id% of the FullTopic. */
  mac: z.string().regex(/^[0-9A-Fa-f]{12}$/, "12 hex digits").optional(),
  /** SetOption4 1: command replies on `stat/<topic>/<COMMAND>` (DIMMER, CT, ...) instead of RESULT. */
  setOption4: z.boolean().optional(),
  /** StateText1/2 (the power words the device reports), default ["OFF", "ON"]. */
  stateText: z.tuple([z.string().min(1), z.string().min(1)]).optional(),
  /** LWT payloads [offline, online], default ["Offline", "Online"]. */
  lwt: z.tuple([z.string().min(1), z.string().min(1)]).optional(),
}).strict();

/** Home Assistant MQTT: the discovery config (abbreviations allowed) tells the topics. */
export const haAdapterSchema = z.object({
  type: z.literal("homeassistant"),
  component: z.enum(["light", "switch", "climate", "cover", "fan", "scene", "button"]),
  /** The discovery payload, e.g. {"command_topic": "...", "state_topic": "...", "schema": "json"}. */
  discovery: z.record(z.string(), z.unknown()),
}).strict();

/** Homie 4: `<base>/<device>/<node>/<property>/set`, state on `<base>/<device>/<node>/<property>`. */
export const homieAdapterSchema = z.object({
  type: z.literal("homie"),
  device: topicPart,
  node: topicPart,
  base: topicPart.default("homie"),
  /** Property ids per feature; defaults: on, brightness, color-temperature, target-temperature, position, speed, activate. */
  properties: z.object({
    onoff: topicPart.optional(),
    brightness: topicPart.optional(),
    colorTemp: topicPart.optional(),
    temperature: topicPart.optional(),
    position: topicPart.optional(),
    speed: topicPart.optional(),
    activate: topicPart.optional(),
  }).strict().default({}),
  /** Brightness/position/speed range of the properties ($format), default 0:100. */
  max: z.number().positive().default(100),
}).strict();

const templateCommand = z.object({
  topic: topicPart,
  /** Payload text; `{{value}}`, `{{state}}` (ON/OFF), `{{device}}` are substituted. */
  payload: z.string(),
  retain: z.boolean().default(false),
}).strict();

/** Generic: hand-written topics and payload templates per command. */
export const genericAdapterSchema = z.object({
  type: z.literal("generic"),
  commands: z.object({
    on: templateCommand.optional(),
    off: templateCommand.optional(),
    toggle: templateCommand.optional(),
    brightness: templateCommand.optional(),
    colorTemp: templateCommand.optional(),
    temperature: templateCommand.optional(),
    open: templateCommand.optional(),
    close: templateCommand.optional(),
    stop: templateCommand.optional(),
    position: templateCommand.optional(),
    speed: templateCommand.optional(),
    activate: templateCommand.optional(),
  }).strict(),
  state: z.object({
    topic: topicPart,
    /** "json": read `fields` from a JSON object; "raw": the payload is the on/off state. */
    format: z.enum(["json", "raw"]).default("json"),
    /** JSON paths (dot separated) of each state field. */
    fields: z.object({
      on: z.string().optional(),
      brightness: z.string().optional(),
      colorTemp: z.string().optional(),
      temperature: z.string().optional(),
      currentTemperature: z.string().optional(),
      position: z.string().optional(),
      speed: z.string().optional(),
    }).strict().default({}),
    onValue: z.string().default("ON"),
    offValue: z.string().default("OFF"),
  }).strict().optional(),
}).strict();

/** Adapter schemas by type. */
export const ADAPTER_SCHEMAS = {
  zigbee2mqtt: z2mAdapterSchema,
  tasmota: tasmotaAdapterSchema,
  homeassistant: haAdapterSchema,
  homie: homieAdapterSchema,
  generic: genericAdapterSchema,
} as const;
/** Adapter type names. */
export type AdapterType = keyof typeof ADAPTER_SCHEMAS;

/** Any adapter configuration. */
export type AdapterConfig =
  | z.infer<typeof z2mAdapterSchema>
  | z.infer<typeof tasmotaAdapterSchema>
  | z.infer<typeof haAdapterSchema>
  | z.infer<typeof homieAdapterSchema>
  | z.infer<typeof genericAdapterSchema>;

/** A device as written in the file (adapter validated separately). */
export const deviceSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, _ . -").optional(),
  name: phrase,
  aliases: z.array(phrase).default([]),
  area: z.string().optional(),
  type: z.enum(DEVICE_TYPES),
  features: z.array(z.enum(FEATURES)).optional(),
  /** Colour temperature range in kelvin for lights with colorTemp. */
  colorTempRange: z.tuple([z.number().min(1000), z.number().max(12000)]).optional(),
  /** Thermostat setpoint range in degrees Celsius. */
  temperatureRange: z.tuple([z.number(), z.number()]).optional(),
  adapter: z.unknown(),
}).strict();

/** Extra sentence templates (see docs/devices.md). */
export const templatesSchema = z.object({
  rules: z.record(z.string(), z.string()).default({}),
  lists: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number()]))).default({}),
  intents: z.record(z.string(), z.array(z.string())).default({}),
  /** Replace the words allowed before / after every command (default "[please]"). */
  prefix: z.string().optional(),
  suffix: z.string().optional(),
}).strict();

/** Device import from the broker. */
export const importSchema = z.object({
  /** Import devices from Home Assistant discovery topics (`<prefix>/+/+/config`, `<prefix>/+/+/+/config`). */
  homeassistant: z.boolean().default(false),
  haPrefix: topicPart.default("homeassistant"),
  /** Import devices from Zigbee2MQTT's `<baseTopic>/bridge/devices`. */
  zigbee2mqtt: z.boolean().default(false),
  z2mBaseTopic: topicPart.default("zigbee2mqtt"),
  /** Import devices from Tasmota's own discovery (`<tasmotaPrefix>/<MAC>/config`, SetOption19 0). */
  tasmota: z.boolean().default(false),
  tasmotaPrefix: z.string().min(1).refine((s) => !/[#+]/.test(s), "must not contain + or #")
    .default("tasmota/discovery"),
  /** Area for imported devices whose name starts with no known area. */
  defaultArea: z.string().optional(),
}).strict();

/** The registry file. */
export const registryFileSchema = z.object({
  $schema: z.string().optional(),
  areas: z.array(areaSchema).default([]),
  /** Optional groups of areas ("upstairs lights"). */
  floors: z.array(floorSchema).default([]),
  devices: z.array(deviceSchema).default([]),
  templates: templatesSchema.optional(),
  /**
   * Sentence files (JSON, the shape of `templates`), relative to this file, merged in order
   * after `templates`: your own sentences kept apart from the device list.
   */
  sentences: z.array(z.string().min(1, "must not be empty")).default([]),
  import: importSchema.default(importSchema.parse({})),
}).strict();

/** Registry file as written. */
export type RegistryFile = z.infer<typeof registryFileSchema>;
/** Extra templates as written. */
export type TemplatesFile = z.infer<typeof templatesSchema>;
/** Import switches. */
export type ImportOptions = z.infer<typeof importSchema>;

/**
 * JSON Schema of the registry file (for editors: `"$schema": "./registry.schema.json"`),
 * with the adapter union spelled out. devices/registry.schema.json is this, checked by a test.
 */
export function registryJsonSchema(): Record<string, unknown> {
  const adapter = z.discriminatedUnion("type", [
    z2mAdapterSchema,
    tasmotaAdapterSchema,
    haAdapterSchema,
    homieAdapterSchema,
    genericAdapterSchema,
  ]);
  const schema = registryFileSchema.extend({
    devices: z.array(deviceSchema.extend({ adapter })).default([]),
  });
  return {
    ...z.toJSONSchema(schema, { io: "input" }),
    title: "earshot device registry",
    description: "Areas, devices and their MQTT adapters; see docs/devices.md.",
  };
}

if (import.meta.main) console.log(JSON.stringify(registryJsonSchema(), null, 2));
