/**
 * Devices and intents benchmarks: `deno task bench bench/devices_bench.ts`.
 * Grammar compile time (example registry and a 120-device house), text ->
 * intent parse time (exact, fuzzy, out of grammar), and typed text -> MQTT ->
 * simulated Zigbee2MQTT device -> confirm round trip on the embedded broker.
 */
import { EventBus } from "../core/bus.ts";
import { parseConfig } from "../core/config.ts";
import { buildCommandGrammar, parseIntent } from "../intent/index.ts";
import { loadRegistry, parseRegistry, type Registry } from "../home/registry.ts";
import { startDevices } from "../devices/runtime.ts";
import { Simulator } from "../devices/simulator.ts";

const example = new URL("../devices/example.devices.json", import.meta.url).pathname;
const file = JSON.parse(await Deno.readTextFile(example));

/** A house with `rooms` rooms of six devices each. */
function bigHouse(rooms: number): Registry {
  const names = [
    "attic",
    "basement",
    "bathroom",
    "bedroom",
    "den",
    "dining room",
    "garage",
    "guest room",
    "hall",
    "kitchen",
    "laundry",
    "library",
    "living room",
    "loft",
    "nursery",
    "office",
    "pantry",
    "porch",
    "studio",
    "sunroom",
  ];
  const areas = names.slice(0, rooms).map((name) => ({ name }));
  const devices = areas.flatMap(({ name }) => [
    {
      name: `${name} light`,
      area: name,
      type: "light",
      features: ["onoff", "brightness", "colorTemp"],
      adapter: { type: "zigbee2mqtt", name: `${name}_light` },
    },
    {
      name: `${name} lamp`,
      area: name,
      type: "light",
      adapter: { type: "tasmota", topic: `${name}_lamp`.replace(/ /g, "_") },
    },
    {
      name: `${name} plug`,
      area: name,
      type: "plug",
      adapter: { type: "tasmota", topic: `${name}_plug`.replace(/ /g, "_") },
    },
    {
      name: `${name} blinds`,
      area: name,
      type: "cover",
      adapter: { type: "zigbee2mqtt", name: `${name}_blinds` },
    },
    {
      name: `${name} fan`,
      area: name,
      type: "fan",
      adapter: { type: "zigbee2mqtt", name: `${name}_fan` },
    },
    {
      name: `${name} heating`,
      area: name,
      type: "thermostat",
      adapter: { type: "zigbee2mqtt", name: `${name}_trv` },
    },
  ]);
  return parseRegistry({ areas, devices }, "big-house");
}

Deno.bench(
  "compile grammar: example registry (11 devices)",
  { group: "grammar", baseline: true },
  () => {
    buildCommandGrammar(parseRegistry(file, "example"));
  },
);
Deno.bench("compile grammar: 20 rooms, 120 devices", { group: "grammar" }, () => {
  buildCommandGrammar(bigHouse(20));
});

const reg = await loadRegistry(example);
buildCommandGrammar(reg);
Deno.bench("parse: exact sentence", { group: "parse (example registry)", baseline: true }, () => {
  parseIntent("set the kitchen light to twenty one percent", reg, { area: "kitchen" });
});
Deno.bench("parse: typed with digits and filler", { group: "parse (example registry)" }, () => {
  parseIntent("Please set the kitchen light to 21%", reg, { area: "kitchen" });
});
Deno.bench("parse: typo", { group: "parse (example registry)" }, () => {
  parseIntent("turn on the kitchn light", reg, { area: "kitchen" });
});
Deno.bench("parse: out of grammar (rejected)", { group: "parse (example registry)" }, () => {
  parseIntent("what is the weather like tomorrow in paris", reg, { area: "kitchen" });
});
const big = bigHouse(20);
buildCommandGrammar(big);
Deno.bench(
  "parse: exact sentence, 120 devices",
  { group: "parse (120 devices)", baseline: true },
  () => {
    parseIntent("set the guest room light to twenty one percent", big, { area: "kitchen" });
  },
);
Deno.bench("parse: typed with filler, 120 devices", { group: "parse (120 devices)" }, () => {
  parseIntent("please set the guest room light to 21% now", big, { area: "kitchen" });
});

const bus = new EventBus();
const rt = await startDevices(
  parseConfig({ devices: { file: example, area: "kitchen" }, mqtt: { embeddedPort: 0 } }),
  bus,
);
await rt.ready();
const sim = await Simulator.start(rt.brokerUrl);
await new Promise((r) => setTimeout(r, 200));
let on = false;
Deno.bench("typed text -> publish -> device state -> confirm (embedded broker)", {
  group: "round trip",
}, async () => {
  on = !on;
  const r = await rt.handleText(on ? "turn on the kitchen light" : "turn off the kitchen light");
  const [c] = await r.confirmations;
  if (!c.confirmed) throw new Error(c.reason);
});
globalThis.addEventListener("unload", () => {
  sim.close();
  rt.close();
});
