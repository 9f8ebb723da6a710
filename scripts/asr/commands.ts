/**
 * Command sentences for ASR training and evaluation, sampled from the real
 * sentence templates (intent/) over many random device registries:
 * random device names, areas and types, so the acoustic model hears many
 * names, rooms, numbers and phrasings. Each line carries the intent and
 * slots the sentence was generated from (ground truth for intent+slot
 * accuracy).
 *
 *   deno run -A scripts/asr/commands.ts --kind train|eval --n 4000 --seed 1 --out cmds.tsv
 *     [--registry-out dir]   (eval: also writes each registry as JSON for the evaluation)
 *
 * Output TSV: id, text, intent, slots JSON, registry index. "eval" registries
 * also contain device names that never occur in training ({@link HELD_OUT_DEVICES}).
 * @module
 */
import { parseRegistry, type Registry } from "../../home/registry.ts";
import { buildCommandGrammar, sampleCommands, seededRandom } from "../../intent/index.ts";
import { intOption, scriptArgs } from "../cli.ts";

/** Device names that only evaluation registries use. */
export const HELD_OUT_DEVICES: [string, string][] = [
  ["garage door", "cover"],
  ["aquarium light", "light"],
  ["dehumidifier", "switch"],
  ["record player", "plug"],
  ["sauna heater", "switch"],
  ["projector", "plug"],
  ["greenhouse fan", "fan"],
  ["pool pump", "switch"],
  ["skylight blind", "cover"],
  ["porch lantern", "light"],
];

const AREAS = [
  "kitchen",
  "living room",
  "bedroom",
  "bathroom",
  "office",
  "hallway",
  "dining room",
  "guest room",
  "basement",
  "attic",
  "porch",
  "patio",
  "nursery",
  "laundry room",
  "kids room",
  "master bedroom",
  "garden",
  "lounge",
  "den",
  "library",
];

const TRAIN_DEVICES: [string, string][] = [
  ["ceiling light", "light"],
  ["floor lamp", "light"],
  ["desk lamp", "light"],
  ["table lamp", "light"],
  ["reading light", "light"],
  ["night light", "light"],
  ["spotlights", "light"],
  ["strip lights", "light"],
  ["chandelier", "light"],
  ["wall light", "light"],
  ["bedside lamp", "light"],
  ["led strip", "light"],
  ["pendant light", "light"],
  ["counter lights", "light"],
  ["christmas tree", "plug"],
  ["fairy lights", "plug"],
  ["coffee machine", "plug"],
  ["kettle", "plug"],
  ["television", "plug"],
  ["tv", "plug"],
  ["radio", "plug"],
  ["printer", "plug"],
  ["computer", "plug"],
  ["toaster", "plug"],
  ["fountain", "switch"],
  ["humidifier", "switch"],
  ["air purifier", "switch"],
  ["water heater", "switch"],
  ["dishwasher", "switch"],
  ["washing machine", "switch"],
  ["towel rail", "switch"],
  ["ceiling fan", "fan"],
  ["desk fan", "fan"],
  ["tower fan", "fan"],
  ["extractor fan", "fan"],
  ["blinds", "cover"],
  ["curtains", "cover"],
  ["shutters", "cover"],
  ["roller blind", "cover"],
  ["awning", "cover"],
  ["thermostat", "thermostat"],
  ["radiator", "thermostat"],
  ["heating", "thermostat"],
  ["movie night", "scene"],
  ["dinner time", "scene"],
  ["good night", "scene"],
  ["good morning", "scene"],
  ["relax", "scene"],
  ["party mode", "scene"],
  ["reading mode", "scene"],
];

function pick<T>(rng: () => number, list: T[]): T {
  return list[Math.floor(rng() * list.length)];
}

/** A random registry: 4-8 areas, 8-16 devices, names sometimes prefixed with their area. */
export function randomRegistry(rng: () => number, heldOut: boolean): Registry {
  const areas = [...AREAS].sort(() => rng() - 0.5).slice(0, 4 + Math.floor(rng() * 5));
  const pool = heldOut
    ? [...HELD_OUT_DEVICES, ...HELD_OUT_DEVICES, ...TRAIN_DEVICES]
    : TRAIN_DEVICES;
  const n = 8 + Math.floor(rng() * 9);
  const names = new Set<string>();
  const devices = [];
  for (let i = 0; i < n * 3 && devices.length < n; i++) {
    const [base, type] = pick(rng, pool);
    const area = pick(rng, areas);
    const name = type !== "scene" && rng() < 0.4 ? `${area} ${base}` : base;
    if (names.has(name)) continue;
    names.add(name);
    devices.push({
      name,
      area: area.replace(/ /g, "_"),
      type,
      ...(type === "light" && rng() < 0.5
        ? { features: ["onoff", "brightness", "colorTemp"] }
        : {}),
      adapter: { type: "zigbee2mqtt", name: `dev_${i}` },
    });
  }
  return parseRegistry({
    areas: areas.map((a) => ({ id: a.replace(/ /g, "_"), name: a })),
    devices,
  }, "random registry");
}

if (import.meta.main) {
  const usage =
    "usage: commands.ts --kind train|eval --n N --seed S --out file.tsv [--registry-out DIR] " +
    "[--per-registry N]";
  const { values } = scriptArgs("commands.ts", usage, {
    options: {
      kind: { type: "string", default: "train" },
      n: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      out: { type: "string" },
      "registry-out": { type: "string" },
      "per-registry": { type: "string", default: "25" },
    },
  });
  if (!values.out || !["train", "eval"].includes(values.kind!)) {
    console.error(usage);
    Deno.exit(2);
  }
  const rng = seededRandom(intOption("commands.ts", values, "seed", 0));
  const n = intOption("commands.ts", values, "n", 1);
  const per = intOption("commands.ts", values, "per-registry", 1);
  const rows: string[] = [];
  let r = 0;
  const prefix = values.kind === "train" ? "cm" : "ev";
  while (rows.length < n) {
    const registry = randomRegistry(rng, values.kind === "eval");
    if (values["registry-out"]) {
      await Deno.mkdir(values["registry-out"], { recursive: true });
      await Deno.writeTextFile(
        `${values["registry-out"]}/${r}.json`,
        JSON.stringify({
          areas: registry.areas.map((a) => ({ id: a.id, name: a.name })),
          devices: registry.devices.map((d) => ({
            name: d.name,
            area: d.area,
            type: d.type,
            features: d.features,
            adapter: { type: "zigbee2mqtt", name: d.id },
          })),
        }),
      );
    }
    const g = buildCommandGrammar(registry);
    for (const c of sampleCommands(g, per, rng)) {
      if (rows.length >= n || !c.text) break;
      rows.push(
        `${prefix}${String(rows.length).padStart(5, "0")}\t${c.text}\t${c.intent}\t${
          JSON.stringify(c.slots)
        }\t${r}`,
      );
    }
    r++;
  }
  await Deno.writeTextFile(values.out, rows.join("\n") + "\n");
  console.error(`commands: ${rows.length} sentences from ${r} registries -> ${values.out}`);
}
