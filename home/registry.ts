/**
 * The device registry: areas and devices from a validated JSON file, plus
 * devices imported at run time (Home Assistant discovery, Zigbee2MQTT
 * bridge/devices). Every validation error names the file, the path and the
 * problem (`devices.json: devices[3].adapter: unknown "zigbee"`).
 * @module
 */
import { parseJsonText } from "../core/json.ts";
import { z } from "zod";
import { dirname, resolve } from "node:path";
import { normalizeText } from "../core/text.ts";
import { mergeTemplates } from "./templates.ts";
import {
  ADAPTER_SCHEMAS,
  type AdapterConfig,
  DEFAULT_FEATURES,
  type DeviceType,
  type Feature,
  type ImportOptions,
  importSchema,
  registryFileSchema,
  type TemplatesFile,
  templatesSchema,
} from "./schema.ts";

/** A room or zone; `name` and `aliases` are normalized grammar words. */
export interface Area {
  id: string;
  name: string;
  aliases: string[];
  /** Floor id, when the registry groups areas by floor. */
  floor?: string;
}

/** A group of areas ("upstairs"); its id may stand wherever an area id does. */
export interface Floor {
  id: string;
  name: string;
  aliases: string[];
  /** Area ids on this floor. */
  areas: string[];
}

/** A device ready for the router and the grammar. */
export interface Device {
  id: string;
  /** Spoken name, normalized ("kitchen light"). */
  name: string;
  aliases: string[];
  /** Area id, if any. */
  area?: string;
  type: DeviceType;
  features: Feature[];
  adapter: AdapterConfig;
  colorTempRange: [number, number];
  temperatureRange: [number, number];
  /** Where the device came from. */
  source: "file" | "homeassistant" | "zigbee2mqtt" | "tasmota";
}

/** A device to add (ids and defaults are filled in). */
export interface DeviceInput {
  id?: string;
  name: string;
  aliases?: string[];
  area?: string;
  type: DeviceType;
  features?: Feature[];
  adapter: AdapterConfig;
  colorTempRange?: [number, number];
  temperatureRange?: [number, number];
  source?: Device["source"];
}

/** A registry problem; the message names file, path and problem (one per line). */
export class RegistryError extends Error {
  override name = "RegistryError";
}

/** An id from an external identifier: "0x00158d/Light 1" -> "0x00158d_light_1". */
export function idSlug(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9.-]+/g, "_").replace(/^_+|_+$/g, "") || "device";
}

/** "Kitchen Light 2" -> "kitchen_light_two". */
export function slug(name: string): string {
  return normalizeText(name).replace(/ /g, "_") || "device";
}

function pathText(path: PropertyKey[]): string {
  return path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("").replace(
    /^\./,
    "",
  ) || "(root)";
}

function zodIssues(prefix: PropertyKey[], error: z.ZodError): string[] {
  return error.issues.map((i) => {
    let msg = i.message;
    if (i.code === "unrecognized_keys") {
      msg = `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
    }
    return `${pathText([...prefix, ...i.path])}: ${msg}`;
  });
}

/** Validate one adapter config; returns it parsed or the problems (paths under `prefix`). */
export function parseAdapter(
  raw: unknown,
  prefix: PropertyKey[] = ["adapter"],
): { adapter?: AdapterConfig; problems: string[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { problems: [`${pathText(prefix)}: expected an object with a "type"`] };
  }
  const type = (raw as Record<string, unknown>).type;
  if (typeof type !== "string") {
    return {
      problems: [
        `${pathText([...prefix, "type"])}: missing; one of ${
          Object.keys(ADAPTER_SCHEMAS).join(", ")
        }`,
      ],
    };
  }
  const schema = ADAPTER_SCHEMAS[type as keyof typeof ADAPTER_SCHEMAS];
  if (!schema) {
    return {
      problems: [
        `${pathText(prefix)}: unknown "${type}" (known: ${
          Object.keys(ADAPTER_SCHEMAS).join(", ")
        })`,
      ],
    };
  }
  const r = schema.safeParse(raw);
  if (!r.success) return { problems: zodIssues(prefix, r.error) };
  return { adapter: r.data as AdapterConfig, problems: [] };
}

const KELVIN: [number, number] = [2200, 6500];
const CELSIUS: [number, number] = [5, 30];

/** Devices and areas, with lookup helpers. Mutable only through {@link Registry.add}. */
export class Registry {
  readonly areas: Area[] = [];
  readonly floors: Floor[] = [];
  readonly devices: Device[] = [];
  readonly templates?: TemplatesFile;
  readonly import: ImportOptions;
  /** Bumped on every change (grammar caches compare it). */
  version = 0;
  #listeners = new Set<() => void>();

  constructor(
    init: {
      areas?: Area[];
      floors?: Floor[];
      devices?: DeviceInput[];
      templates?: TemplatesFile;
      import?: ImportOptions;
    } = {},
  ) {
    this.templates = init.templates;
    this.import = init.import ?? importSchema.parse({});
    for (const a of init.areas ?? []) this.areas.push(a);
    for (const f of init.floors ?? []) this.floors.push(f);
    for (const d of init.devices ?? []) this.add(d);
  }

  /** Find an area by id, name or alias (normalized). */
  area(ref: string): Area | undefined {
    const n = normalizeText(ref);
    return this.areas.find((a) => a.id === ref || a.name === n || a.aliases.includes(n));
  }

  /** Find a floor by id, name or alias (normalized). */
  floor(ref: string): Floor | undefined {
    const n = normalizeText(ref);
    return this.floors.find((f) => f.id === ref || f.name === n || f.aliases.includes(n));
  }

  /**
   * Find a device by id, or by name or alias. A name that several devices share
   * (in different areas) finds the first; {@link Registry.named} lists them all.
   */
  device(ref: string): Device | undefined {
    const byId = this.devices.find((d) => d.id === ref);
    if (byId) return byId;
    const n = normalizeText(ref);
    return this.devices.find((d) => d.name === n || d.aliases.includes(n));
  }

  /** Every device called `name` (name or alias, normalized). */
  named(name: string): Device[] {
    const n = normalizeText(name);
    return this.devices.filter((d) => d.name === n || d.aliases.includes(n));
  }

  /**
   * Devices in an area of the given types. `area`: an area id, a floor id (its
   * areas), or "*" / undefined (everywhere).
   */
  devicesIn(area: string | undefined, types?: DeviceType[]): Device[] {
    const floor = area === undefined || area === "*" || this.areas.some((a) => a.id === area)
      ? undefined
      : this.floors.find((f) => f.id === area);
    return this.devices.filter((d) =>
      (area === undefined || area === "*" || d.area === area ||
        (floor !== undefined && d.area !== undefined && floor.areas.includes(d.area))) &&
      (!types || types.includes(d.type))
    );
  }

  /** Subscribe to changes (imports); returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Add or replace (same id) a device. Throws {@link RegistryError} when its
   * name clashes with another device in the same area (devices in different
   * areas may share a name: "ceiling fan" in the study and in the guest room; a
   * device without an area shares its names with none) or its area is unknown.
   */
  add(input: DeviceInput): Device {
    const name = normalizeText(input.name);
    if (!name) throw new RegistryError(`device "${input.name}": name has no words`);
    const id = input.id ?? slug(name);
    const aliases = [
      ...new Set((input.aliases ?? []).map(normalizeText).filter((a) => a && a !== name)),
    ];
    let area: string | undefined;
    if (input.area !== undefined) {
      const a = this.area(input.area);
      if (!a) {
        throw new RegistryError(
          `device "${id}": unknown area "${input.area}" (known: ${
            this.areas.map((x) => x.id).join(", ") || "none"
          })`,
        );
      }
      area = a.id;
    }
    for (const other of this.devices) {
      if (other.id === id) continue;
      if (area !== undefined && other.area !== undefined && other.area !== area) continue;
      const clash = [name, ...aliases].find((n) => n === other.name || other.aliases.includes(n));
      if (clash) {
        const where = area !== undefined && other.area === area
          ? ` in the same area (${area})`
          : area === undefined || other.area === undefined
          ? " (a device without an area shares no name)"
          : "";
        throw new RegistryError(
          `device "${id}": name "${clash}" is already used by "${other.id}"${where}`,
        );
      }
    }
    const type = input.type;
    const device: Device = {
      id,
      name,
      aliases,
      area,
      type,
      features: [...new Set(input.features ?? DEFAULT_FEATURES[type])],
      adapter: input.adapter,
      colorTempRange: input.colorTempRange ?? KELVIN,
      temperatureRange: input.temperatureRange ?? CELSIUS,
      source: input.source ?? "file",
    };
    const i = this.devices.findIndex((d) => d.id === id);
    if (i >= 0) this.devices[i] = device;
    else this.devices.push(device);
    this.version++;
    for (const fn of this.#listeners) fn();
    return device;
  }

  /** Remove a device by id; returns whether it existed. */
  remove(id: string): boolean {
    const i = this.devices.findIndex((d) => d.id === id);
    if (i < 0) return false;
    this.devices.splice(i, 1);
    this.version++;
    for (const fn of this.#listeners) fn();
    return true;
  }
}

type RegistryFile = z.infer<typeof registryFileSchema>;

/**
 * The areas of a registry file, names normalized; a name or alias used twice, by areas or
 * floors (`areaWords`: word -> where), and a duplicate id are `problems`.
 */
function parseAreas(
  input: RegistryFile["areas"],
  areaWords: Map<string, string>,
  problems: string[],
): Area[] {
  const areas: Area[] = [];
  input.forEach((a, i) => {
    const name = normalizeText(a.name);
    const id = a.id ?? slug(name);
    for (
      const [k, word] of [
        [`name`, name],
        ...a.aliases.map((x, j) => [`aliases[${j}]`, normalizeText(x)]),
      ]
    ) {
      const prev = areaWords.get(word);
      if (prev) problems.push(`areas[${i}].${k}: "${word}" is already used by ${prev}`);
      else areaWords.set(word, `areas[${i}]`);
    }
    if (areas.some((x) => x.id === id)) problems.push(`areas[${i}].id: duplicate id "${id}"`);
    areas.push({ id, name, aliases: a.aliases.map(normalizeText).filter((x) => x !== name) });
  });
  return areas;
}

/** The floors of a registry file; each area named by a floor gets its `floor`. */
function parseFloors(
  input: RegistryFile["floors"],
  areas: Area[],
  areaWords: Map<string, string>,
  problems: string[],
): Floor[] {
  const floors: Floor[] = [];
  input.forEach((f, i) => {
    const name = normalizeText(f.name);
    const id = f.id ?? slug(name);
    for (
      const [k, word] of [
        [`name`, name],
        ...f.aliases.map((x, j) => [`aliases[${j}]`, normalizeText(x)]),
      ]
    ) {
      const prev = areaWords.get(word);
      if (prev) problems.push(`floors[${i}].${k}: "${word}" is already used by ${prev}`);
      else areaWords.set(word, `floors[${i}]`);
    }
    if (areas.some((x) => x.id === id) || floors.some((x) => x.id === id)) {
      problems.push(`floors[${i}].id: duplicate id "${id}" (area and floor ids share one space)`);
    }
    const members: string[] = [];
    f.areas.forEach((ref, j) => {
      const n = normalizeText(ref);
      const a = areas.find((x) => x.id === ref || x.name === n || x.aliases.includes(n));
      if (!a) {
        problems.push(
          `floors[${i}].areas[${j}]: unknown area "${ref}" (known: ${
            areas.map((x) => x.id).join(", ") || "none"
          })`,
        );
      } else if (a.floor !== undefined) {
        problems.push(`floors[${i}].areas[${j}]: area "${a.id}" is already on floor "${a.floor}"`);
      } else {
        a.floor = id;
        members.push(a.id);
      }
    });
    floors.push({
      id,
      name,
      aliases: f.aliases.map(normalizeText).filter((x) => x !== name),
      areas: members,
    });
  });
  return floors;
}

/** Add the devices of a registry file to `registry` (ids, areas, features, adapters checked). */
function addDevices(registry: Registry, input: RegistryFile["devices"], problems: string[]): void {
  const areas = registry.areas;
  // A name several devices share (in different areas) gets area-qualified default ids:
  // "ceiling fan" in the study -> "study_ceiling_fan".
  const nameAreas = new Map<string, Set<string>>();
  for (const d of input) {
    const where = d.area === undefined ? "" : registry.area(d.area)?.id ?? d.area;
    for (const n of new Set([d.name, ...d.aliases].map(normalizeText))) {
      if (!nameAreas.has(n)) nameAreas.set(n, new Set());
      nameAreas.get(n)!.add(where);
    }
  }
  const ids = new Map<string, number>();
  input.forEach((d, i) => {
    const p = `devices[${i}]`;
    const { adapter, problems: ap } = parseAdapter(d.adapter, ["devices", i, "adapter"]);
    problems.push(...ap);
    const areaId = d.area === undefined ? undefined : registry.area(d.area)?.id;
    const shared = (nameAreas.get(normalizeText(d.name))?.size ?? 0) > 1 && areaId !== undefined;
    const id = d.id ?? (shared ? `${areaId}_${slug(d.name)}` : slug(d.name));
    if (ids.has(id)) {
      problems.push(`${p}.id: duplicate id "${id}" (also devices[${ids.get(id)}])`);
      return;
    }
    ids.set(id, i);
    if (d.area !== undefined && !registry.area(d.area)) {
      problems.push(
        `${p}.area: unknown area "${d.area}" (known: ${
          areas.map((a) => a.id).join(", ") || "none"
        })`,
      );
      return;
    }
    if (d.type === "scene" && d.features && d.features.some((f) => f !== "activate")) {
      problems.push(`${p}.features: a scene only has "activate"`);
    }
    if (adapter?.type === "generic") {
      const feats = d.features ?? DEFAULT_FEATURES[d.type];
      const need: Record<Feature, string[]> = {
        onoff: ["on", "off"],
        brightness: ["brightness"],
        colorTemp: ["colorTemp"],
        temperature: ["temperature"],
        position: ["open", "close"],
        speed: ["speed"],
        activate: ["activate"],
      };
      for (const f of feats) {
        for (const c of need[f]) {
          if (!(c in adapter.commands)) {
            problems.push(`${p}.adapter.commands.${c}: missing (the device has feature "${f}")`);
          }
        }
      }
    }
    if (!adapter) return;
    try {
      registry.add({ ...d, id, adapter, features: d.features });
    } catch (err) {
      problems.push(`${p}.name: ${(err as Error).message.replace(/^device "[^"]*": /, "")}`);
    }
  });
}

/**
 * Validate a parsed registry object. `source` (the file name) prefixes every
 * message. Throws {@link RegistryError} listing all problems, one per line.
 */
export function parseRegistry(input: unknown, source = "devices"): Registry {
  const result = registryFileSchema.safeParse(input);
  if (!result.success) {
    throw new RegistryError(zodIssues([], result.error).map((m) => `${source}: ${m}`).join("\n"));
  }
  const file = result.data;
  if (file.sentences.length) {
    throw new RegistryError(
      `${source}: sentences: sentence files are read when the registry is a file (loadRegistry)`,
    );
  }
  const problems: string[] = [];
  const areaWords = new Map<string, string>();
  const areas = parseAreas(file.areas, areaWords, problems);
  const floors = parseFloors(file.floors, areas, areaWords, problems);
  const registry = new Registry({ areas, floors, templates: file.templates, import: file.import });
  addDevices(registry, file.devices, problems);
  if (problems.length) throw new RegistryError(problems.map((m) => `${source}: ${m}`).join("\n"));
  return registry;
}

/**
 * Read, parse and validate a registry file; JSON syntax errors name line and column.
 * Its `sentences` files (relative to it) are read and merged into its templates.
 */
export async function loadRegistry(path: string): Promise<Registry> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new RegistryError(`${path}: cannot read device registry: ${(err as Error).message}`);
  }
  const value = parseJsonText(text, path, (m) => new RegistryError(m));
  if (
    typeof value === "object" && value !== null && !Array.isArray(value) &&
    Array.isArray((value as Record<string, unknown>).sentences)
  ) {
    const obj = { ...(value as Record<string, unknown>) };
    const files = obj.sentences as unknown[];
    delete obj.sentences;
    let templates = templatesSchema.safeParse(obj.templates ?? {});
    if (!templates.success) return parseRegistry(value, path); // reports the templates problem
    let merged = templates.data;
    for (const [i, f] of files.entries()) {
      if (typeof f !== "string" || !f) {
        throw new RegistryError(`${path}: sentences[${i}]: expected a file name`);
      }
      const file = resolve(dirname(path), f);
      let raw: string;
      try {
        raw = await Deno.readTextFile(file);
      } catch (err) {
        throw new RegistryError(
          `${path}: sentences[${i}]: cannot read "${f}": ${(err as Error).message}`,
        );
      }
      const parsed = parseJsonText(raw, f, (m) => new RegistryError(m));
      const { $comment: _, ...body } =
        (typeof parsed === "object" && parsed !== null ? parsed : { value: parsed }) as Record<
          string,
          unknown
        >;
      templates = templatesSchema.safeParse(body);
      if (!templates.success) {
        throw new RegistryError(zodIssues([], templates.error).map((m) => `${f}: ${m}`).join("\n"));
      }
      merged = mergeTemplates(merged, templates.data) as TemplatesFile;
    }
    obj.templates = merged;
    return parseRegistry(obj, path);
  }
  return parseRegistry(value, path);
}

/** Parse registry JSON text; `source` names it in errors. */
export function parseRegistryText(text: string, source: string): Registry {
  const value = parseJsonText(text, source, (m) => new RegistryError(m));
  return parseRegistry(value, source);
}
