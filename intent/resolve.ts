/**
 * After a parse: which device a spoken name means. A name several devices
 * share ("ceiling fan" in the study and in the guest room) is picked by the
 * area said ("the study ceiling fan", "the ceiling fan in the study"), else by
 * the satellite's area, else by the one device that can do the command; when
 * that still leaves several, nothing is picked and the reason says which
 * rooms to choose from (never a guess). "here" is the satellite's area.
 *
 * A device name that is also a type word ("fan", "lamp", "blinds") said for a
 * room that has no device of that name is the type word: "turn on the fan" in
 * the bathroom is the bathroom's extractor fan, not the nursery's "fan" (in a
 * room with no fan at all it is still the one called "fan"). A domain value "cover/blind" is the type "cover" and the kind "blind"
 * (the router prefers devices whose name says "blind"); `everything` is
 * understood and refused ("say the lights, the fans or a device").
 * @module
 */
import type { Device, Registry } from "../home/registry.ts";
import type { Feature } from "../home/schema.ts";

/** The feature an intent needs of its device (QueryState by the state asked). */
export function featureFor(
  intent: string,
  slots: Record<string, string | number>,
): Feature | undefined {
  switch (intent) {
    case "TurnOn":
    case "TurnOff":
    case "Toggle":
      return "onoff";
    case "SetBrightness":
    case "StepBrightness":
      return "brightness";
    case "SetColorTemp":
      return "colorTemp";
    case "SetTemperature":
      return "temperature";
    case "OpenCover":
    case "CloseCover":
    case "SetCoverPosition":
    case "StopDevice":
      return "position";
    case "SetFanSpeed":
      return "speed";
    case "ActivateScene":
      return "activate";
    case "QueryState":
      return slots.state === "on" || slots.state === "off"
        ? "onoff"
        : slots.state === "open" || slots.state === "closed"
        ? "position"
        : slots.state === "temperature"
        ? "temperature"
        : undefined;
  }
  return undefined;
}

/** What resolution did: the slots to use and, when no device could be picked, why. */
export interface Resolution {
  slots: Record<string, string | number>;
  /** Set when the words name no single device: "which ceiling fan? ...". */
  problem?: string;
  /** Devices the name could mean (ids), when ambiguous. */
  candidates?: string[];
}

function inArea(registry: Registry, d: Device, area: string): boolean {
  if (area === "*") return true;
  if (d.area === area) return true;
  const f = registry.floors.find((x) => x.id === area);
  return !!f && d.area !== undefined && f.areas.includes(d.area);
}

/** "the study", "upstairs", "the house". */
export function placeName(registry: Registry, area: string): string {
  if (area === "*") return "the house";
  const a = registry.areas.find((x) => x.id === area);
  if (a) return `the ${a.name}`;
  const f = registry.floors.find((x) => x.id === area);
  return f ? f.name : area;
}

/** Options of {@link resolveSlots}. */
export interface ResolveOptions {
  /** Type words of the templates: phrase -> device type ("fan" -> fan, "lamps" -> light). */
  typeWords?: ReadonlyMap<string, string>;
}

/** The reason given for "turn everything off": too broad to guess. */
export const EVERYTHING_PROBLEM =
  `"everything" is too much to switch at once: say the lights, the fans or a device's name`;

/** Does a device's name or alias have a word starting with the kind ("blind" in "blinds")? */
export function hasKind(d: Device, kind: string): boolean {
  return [d.name, ...d.aliases].some((n) =>
    n.split(" ").some((w) => w.startsWith(kind) || (kind === "door" && w.startsWith("gate")))
  );
}

/** "blinds" -> "blind", "lamp" -> "lamp": the stem a kind match looks for. */
function stem(word: string): string {
  return word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word;
}

/**
 * The type-word reading of a device name (see the module doc): the devices of that type in
 * `area` whose names have the word, or none.
 */
function typeReading(
  registry: Registry,
  name: string,
  area: string,
  typeWords: ReadonlyMap<string, string> | undefined,
): { domain: string; kind: string } | undefined {
  const type = typeWords?.get(name);
  if (type === undefined) return undefined;
  const kind = stem(name);
  const here = registry.devices.filter((d) =>
    d.type === type && inArea(registry, d, area) && hasKind(d, kind)
  );
  return here.length ? { domain: type, kind } : undefined;
}

/**
 * Resolve `here` and shared device names in parsed slots. `site` is the
 * satellite's area (devices.area), if it has one.
 */
export function resolveSlots(
  registry: Registry,
  intent: string,
  input: Record<string, string | number>,
  site?: string,
  opts: ResolveOptions = {},
): Resolution {
  const slots = { ...input };
  if (slots.domain === "everything") {
    return { slots, problem: EVERYTHING_PROBLEM };
  }
  if (typeof slots.domain === "string" && slots.domain.includes("/")) {
    const [domain, kind] = slots.domain.split("/");
    slots.domain = domain;
    slots.kind = kind;
  }
  if (slots.area === "here") {
    if (site === undefined) {
      delete slots.area;
      if (slots.name === undefined && slots.device === undefined && slots.domain === undefined) {
        return { slots };
      }
      if (slots.name !== undefined || slots.domain !== undefined) {
        return {
          slots,
          problem: `which room is "here"? this satellite has no devices.area`,
        };
      }
    } else slots.area = site;
  }
  const said = slots.area === undefined ? undefined : String(slots.area);
  if (slots.device !== undefined) {
    // A name only one device has; an area said with it must be that device's.
    const d = registry.device(String(slots.device));
    const where = said ?? site;
    if (d && where !== undefined && !inArea(registry, d, where) && opts.typeWords?.has(d.name)) {
      // "turn on the fan" in the bathroom: the bathroom's fan, not the one called "fan".
      const reading = typeReading(registry, d.name, where, opts.typeWords);
      if (reading) {
        delete slots.device;
        return { slots: { ...slots, ...reading, area: where } };
      }
    }
    if (d && said !== undefined && !inArea(registry, d, said)) {
      return {
        slots,
        problem: `there is no ${d.name} in ${placeName(registry, said)}${
          d.area ? ` (the ${d.name} is in ${placeName(registry, d.area)})` : ""
        }`,
      };
    }
    return { slots };
  }
  if (slots.name === undefined) return { slots };
  const name = String(slots.name);
  const feature = featureFor(intent, slots);
  const all = registry.named(name);
  let pool = all;
  let why = "";
  if (said !== undefined) {
    pool = all.filter((d) => inArea(registry, d, said));
    const reading = pool.length ? undefined : typeReading(registry, name, said, opts.typeWords);
    if (reading) {
      // "the lamp in the study", where the study's lamp is the "desk lamp".
      delete slots.name;
      return { slots: { ...slots, ...reading } };
    }
    if (!pool.length) {
      return {
        slots,
        problem: `there is no ${name} in ${placeName(registry, said)} (there is one in ${
          areasOf(registry, all)
        })`,
        candidates: all.map((d) => d.id),
      };
    }
  } else if (site !== undefined) {
    const here = all.filter((d) => inArea(registry, d, site));
    const reading = here.length ? undefined : typeReading(registry, name, site, opts.typeWords);
    if (reading) {
      delete slots.name;
      return { slots: { ...slots, ...reading } };
    }
    if (here.length) pool = here;
    else why = `, and none in ${placeName(registry, site)}, where this satellite is`;
  }
  if (pool.length > 1 && feature) {
    const able = pool.filter((d) => d.features.includes(feature));
    if (able.length) pool = able;
  }
  if (pool.length === 1) {
    slots.device = pool[0].id;
    delete slots.name;
    return { slots };
  }
  return {
    slots,
    problem: `which ${name}? there is one in ${areasOf(registry, pool)}${why}`,
    candidates: pool.map((d) => d.id),
  };
}

/**
 * Whether every device, scene, area and shared name in `slots` is still in the registry: a
 * command the recognizer decoded against an older grammar may name a device removed since.
 */
export function commandKnown(registry: Registry, slots: Record<string, string | number>): boolean {
  for (const [slot, value] of Object.entries(slots)) {
    const v = String(value);
    if ((slot === "device" || slot === "scene") && !registry.device(v)) return false;
    if (slot === "name" && !registry.named(v).length) return false;
    if (
      slot === "area" && v !== "here" && v !== "*" && !registry.area(v) && !registry.floor(v)
    ) return false;
  }
  return true;
}

function areasOf(registry: Registry, devices: Device[]): string {
  const names = devices.map((d) => d.area ? placeName(registry, d.area) : "no room");
  return names.length <= 2
    ? names.join(" and one in ")
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
