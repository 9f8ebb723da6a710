/**
 * Grammar build time with the natural-phrasing templates:
 * `deno bench -A bench/phrasing_bench.ts`. Target: a 200-device home builds in
 * under 1 s. The home has 25 rooms on 3 floors and 8 devices a room, most with
 * names every room shares ("ceiling light", "lamp", "blinds", "thermostat",
 * "ceiling fan"); the old templates (bench/fixtures/templates_before.json) are
 * the baseline; bench/fixtures/templates_round1.json are the templates before
 * round 2 of issue 15 (docs/phrasing.md). Also: a parse in that home, exact,
 * with fillers, and fuzzy (a typo).
 * @module
 */
import { parseRegistry, type Registry } from "../home/registry.ts";
import { buildCommandGrammar, countSentences, parseIntent } from "../intent/index.ts";
import { buildGraph } from "../asr/graph.ts";
import { buildLexicon } from "../asr/lexicon.ts";
import { grammarWords } from "../core/grammar.ts";

const ROOMS = [
  "kitchen",
  "living room",
  "dining room",
  "hall",
  "study",
  "library",
  "den",
  "pantry",
  "laundry",
  "porch",
  "bedroom",
  "guest room",
  "nursery",
  "kids room",
  "bathroom",
  "attic",
  "loft",
  "office",
  "studio",
  "sunroom",
  "garage",
  "cellar",
  "workshop",
  "gym",
  "playroom",
].map((name) => ({ name }));

/** 25 rooms x 8 devices = 200, most sharing their names with the same device in other rooms. */
export function sharedNameHome(): Registry {
  const z = (n: string) => ({ type: "zigbee2mqtt", name: n.replace(/ /g, "_") });
  const devices = ROOMS.flatMap(({ name }) => [
    { name: "ceiling light", area: name, type: "light", adapter: z(`${name}/ceiling`) },
    {
      name: "lamp",
      area: name,
      type: "light",
      features: ["onoff", "brightness", "colorTemp"],
      adapter: z(`${name}/lamp`),
    },
    { name: "blinds", area: name, type: "cover", adapter: z(`${name}/blinds`) },
    { name: "thermostat", area: name, type: "thermostat", adapter: z(`${name}/trv`) },
    { name: "ceiling fan", area: name, type: "fan", adapter: z(`${name}/fan`) },
    { name: "socket", area: name, type: "plug", adapter: z(`${name}/socket`) },
    { name: `${name} speaker`, area: name, type: "switch", adapter: z(`${name}/speaker`) },
    { name: `${name} strip`, area: name, type: "light", adapter: z(`${name}/strip`) },
  ]);
  return parseRegistry({
    areas: ROOMS,
    floors: [
      { name: "downstairs", areas: ROOMS.slice(0, 10).map((r) => r.name) },
      { name: "upstairs", areas: ROOMS.slice(10, 20).map((r) => r.name) },
      { name: "outbuildings", areas: ROOMS.slice(20).map((r) => r.name) },
    ],
    devices,
  }, "shared-name-home");
}

/** The same rooms with 200 names of their own ("kitchen ceiling light", ...). */
export function ownNameHome(): Registry {
  const shared = sharedNameHome();
  return parseRegistry({
    areas: ROOMS,
    devices: shared.devices.map((d) => ({
      id: d.id,
      name: d.name.startsWith(shared.area(d.area!)!.name)
        ? d.name
        : `${d.area} ${d.name}`.replace(/_/g, " "),
      area: d.area,
      type: d.type,
      features: d.features,
      adapter: d.adapter,
    })),
  }, "own-name-home");
}

const home = sharedNameHome();
const own = ownNameHome();
const before = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/templates_before.json", import.meta.url)),
);
const round1 = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/templates_round1.json", import.meta.url)),
);
for (const [name, r] of [["shared names", home], ["own names", own]] as const) {
  for (const [which, t] of [["round 1", round1], ["now", undefined]] as const) {
    r.version++;
    const g = buildCommandGrammar(r, t);
    console.log(
      `${name}, ${which}: ${r.devices.length} devices, ${g.arcs.length} states, ${
        countSentences(g)
      } sentences`,
    );
  }
}

Deno.bench("build grammar: 200 devices, old templates", { group: "build", baseline: true }, () => {
  home.version++; // defeat the per-version cache
  buildCommandGrammar(home, before);
});
Deno.bench(
  "build grammar: 200 devices, natural phrasing (target < 1 s)",
  { group: "build" },
  () => {
    home.version++;
    buildCommandGrammar(home);
  },
);

Deno.bench("build grammar: 200 devices, round 1 templates", { group: "build" }, () => {
  home.version++;
  buildCommandGrammar(home, round1);
});

Deno.bench("build grammar: 200 devices, 200 names, natural phrasing", { group: "build" }, () => {
  own.version++;
  buildCommandGrammar(own);
});

Deno.bench("parse: shared name with its room, 200 devices", { group: "parse" }, () => {
  parseIntent("turn off the ceiling fan in the guest room", home, { area: "kitchen" });
});
Deno.bench("parse: fillers and a floor, 200 devices", { group: "parse" }, () => {
  parseIntent("could you turn off the upstairs lights for me", home, { area: "kitchen" });
});

Deno.bench("parse: a typo (fuzzy search), 200 devices", { group: "parse" }, () => {
  parseIntent("turn of the ceiling fan in the guest room", home, { area: "kitchen" });
});

// The recognizer's decoding graph over the same grammar (pronunciations looked up once).
const g200 = buildCommandGrammar(own);
const { lexicon } = await buildLexicon(grammarWords(g200));
Deno.bench("decoding graph: 200 devices, 200 names (phone tries)", { group: "build" }, () => {
  buildGraph(g200, lexicon);
});
const gRound1 = buildCommandGrammar(own, round1);
Deno.bench("decoding graph: 200 devices, 200 names, round 1 templates", { group: "build" }, () => {
  buildGraph(gRound1, lexicon);
});
const gOld = buildCommandGrammar(own, before);
Deno.bench("decoding graph: 200 devices, 200 names, old templates", { group: "build" }, () => {
  buildGraph(gOld, lexicon);
});
