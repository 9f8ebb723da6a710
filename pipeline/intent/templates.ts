/**
 * The built-in sentence templates: one list of templates per intent, shared
 * rules and value lists. Registry files may add rules, lists and templates
 * (merged by {@link mergeTemplates}). Slot lists filled from the registry:
 * `device`, `switchable`, `dimmable`, `ct_light`, `thermostat`, `cover`, `fan`,
 * `scene`, `area` (see docs/devices.md).
 * @module
 */

/** Rules, value lists and per-intent templates. */
export interface TemplateSet {
  /** Named sub-templates used as `<name>`. */
  rules: Record<string, string>;
  /** Static value lists used as `{slot:list}`: phrase -> slot value. */
  lists: Record<string, Record<string, string | number>>;
  /** Intent name -> templates. */
  intents: Record<string, string[]>;
  /** Words allowed before / after every command, e.g. "[please]". */
  prefix?: string;
  suffix?: string;
}

/** Intent names of the built-in templates. */
export const INTENTS = [
  "TurnOn",
  "TurnOff",
  "Toggle",
  "SetBrightness",
  "SetColorTemp",
  "SetTemperature",
  "OpenCover",
  "CloseCover",
  "SetCoverPosition",
  "StopDevice",
  "SetFanSpeed",
  "ActivateScene",
  "QueryState",
  "Cancel",
] as const;

/** The built-in templates (English). */
export const DEFAULT_TEMPLATES: TemplateSet = {
  prefix: "[please]",
  suffix: "[please]",
  rules: {
    on: "(turn | switch | power) on",
    off: "(turn | switch | power) off",
    set: "(set | change | put | make)",
    in_area: "in [the] {area}",
    pct: "{value:0..100} [percent]",
  },
  lists: {
    lights: {
      lights: "light",
      light: "light",
      lamps: "light",
      lamp: "light",
    },
    switchables: {
      lights: "light",
      light: "light",
      lamps: "light",
      lamp: "light",
      fans: "fan",
      fan: "fan",
      switches: "switch",
      plugs: "plug",
      sockets: "plug",
    },
    covers: {
      blinds: "cover",
      blind: "cover",
      shutters: "cover",
      curtains: "cover",
      covers: "cover",
    },
    fans: { fans: "fan", fan: "fan" },
    heating: { heating: "thermostat", thermostat: "thermostat", heater: "thermostat" },
    onoff: { on: "on", off: "off" },
    openclosed: { open: "open", closed: "closed" },
    fan_speed: { low: 33, medium: 66, high: 100, "full speed": 100, "full": 100 },
    fan_level: { one: 33, two: 66, three: 100 },
    level_word: { full: 100, maximum: 100, half: 50, minimum: 1 },
    halfway: { half: 50, halfway: 50, "half way": 50 },
    ct_word: {
      "warm white": 2700,
      warm: 2700,
      "neutral white": 4000,
      neutral: 4000,
      "cool white": 5000,
      cool: 5000,
      "cold white": 6500,
      daylight: 6500,
    },
  },
  intents: {
    TurnOn: [
      "<on> [the] {device:switchable}",
      "(turn | switch) [the] {device:switchable} on",
      "<on> [the] {domain:switchables} [<in_area>]",
      "<on> all {area=*} [of] [the] {domain:switchables} [<in_area>]",
      "<on> [all] [the] {area} {domain:switchables}",
      "<on> [all] [the] {domain:switchables} everywhere {area=*}",
    ],
    TurnOff: [
      "<off> [the] {device:switchable}",
      "(turn | switch) [the] {device:switchable} off",
      "<off> [the] {domain:switchables} [<in_area>]",
      "<off> all {area=*} [of] [the] {domain:switchables} [<in_area>]",
      "<off> [all] [the] {area} {domain:switchables}",
      "<off> [all] [the] {domain:switchables} everywhere {area=*}",
    ],
    Toggle: [
      "toggle [the] {device:switchable}",
      "toggle [the] {domain:switchables} [<in_area>]",
      "toggle [the] {area} {domain:switchables}",
    ],
    SetBrightness: [
      "(<set> | dim | brighten) [the] {device:dimmable} [brightness] to <pct>",
      "<set> [the] brightness of [the] {device:dimmable} to <pct>",
      "(<set> | dim | brighten) [the] {domain:lights} [<in_area>] to <pct>",
      "(<set> | dim | brighten) [the] {area} {domain:lights} to <pct>",
      "(<set> | dim | brighten) [the] {device:dimmable} to {value:level_word} [brightness]",
      "(<set> | dim | brighten) [the] {domain:lights} [<in_area>] to {value:level_word} [brightness]",
    ],
    SetColorTemp: [
      "<set> [the] {device:ct_light} [(colour | color) temperature] to {value:2000..6500,100} kelvin",
      "<set> [the] {device:ct_light} to {value:ct_word}",
      "<set> [the] (colour | color) temperature of [the] {device:ct_light} to {value:2000..6500,100} kelvin",
      "<set> [the] {domain:lights} [<in_area>] to {value:ct_word}",
      "<set> [the] {area} {domain:lights} to {value:ct_word}",
    ],
    SetTemperature: [
      "<set> [the] {device:thermostat} to {value:5..35,0.5} [degrees]",
      "<set> [the] temperature [<in_area>] to {value:5..35,0.5} [degrees] {domain=thermostat}",
      "<set> [the] {area} temperature to {value:5..35,0.5} [degrees] {domain=thermostat}",
      "<set> [the] {domain:heating} [<in_area>] to {value:5..35,0.5} [degrees]",
      "<set> [the] {area} {domain:heating} to {value:5..35,0.5} [degrees]",
    ],
    OpenCover: [
      "open [the] {device:cover}",
      "open [the] {domain:covers} [<in_area>]",
      "open [the] {area} {domain:covers}",
    ],
    CloseCover: [
      "(close | shut) [the] {device:cover}",
      "(close | shut) [the] {domain:covers} [<in_area>]",
      "(close | shut) [the] {area} {domain:covers}",
    ],
    SetCoverPosition: [
      "(<set> | open | move) [the] {device:cover} [position] to <pct>",
      "(<set> | open | move) [the] {domain:covers} [<in_area>] to <pct>",
      "(<set> | open | move) [the] {area} {domain:covers} to <pct>",
      "(<set> | open | move) [the] {device:cover} [to] {value:halfway}",
      "(<set> | open | move) [the] {domain:covers} [<in_area>] [to] {value:halfway}",
    ],
    StopDevice: [
      "stop [the] {device:cover}",
      "stop [the] {domain:covers} [<in_area>]",
      "stop [the] {area} {domain:covers}",
    ],
    SetFanSpeed: [
      "<set> [the] {device:fan} [speed] to {value:fan_speed}",
      "<set> [the] {device:fan} [speed] to {value:0..100} percent",
      "<set> [the] {device:fan} to speed {value:fan_level}",
      "<set> [the] {domain:fans} [<in_area>] to {value:fan_speed}",
    ],
    ActivateScene: [
      "(activate | start | enable | turn on | set) [the] {scene:scene} [scene]",
      "(activate | start | enable | set) [the] scene {scene:scene}",
    ],
    QueryState: [
      "is [the] {device:switchable} {state:onoff}",
      "is [the] {device:cover} {state:openclosed}",
      "are [the] {domain:switchables} [<in_area>] {state:onoff}",
      "are [the] {area} {domain:switchables} {state:onoff}",
      "what is [the] (state | status) of [the] {device:device}",
      "what is [the] {device:thermostat} set to {state=temperature}",
      "what is [the] temperature [<in_area>] {domain=thermostat} {state=temperature}",
      "how (warm | cold | hot) is it [<in_area>] {domain=thermostat} {state=temperature}",
    ],
    Cancel: [
      "(stop | cancel | never mind | nevermind | forget it | nothing) [that]",
    ],
  },
};

/** `base` plus `extra`: rules and lists are replaced by name, intent templates appended. */
export function mergeTemplates(base: TemplateSet, extra?: Partial<TemplateSet>): TemplateSet {
  if (!extra) return base;
  const intents: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(base.intents)) intents[k] = [...v];
  for (const [k, v] of Object.entries(extra.intents ?? {})) {
    intents[k] = [...(intents[k] ?? []), ...v];
  }
  return {
    rules: { ...base.rules, ...extra.rules },
    lists: { ...base.lists, ...extra.lists },
    intents,
    prefix: extra.prefix ?? base.prefix,
    suffix: extra.suffix ?? base.suffix,
  };
}
