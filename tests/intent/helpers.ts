import { parseRegistry, type Registry } from "../../home/registry.ts";
import { intentTargets } from "../../devices/router.ts";
import { parseIntent } from "../../intent/index.ts";

/**
 * What a sentence does in `home`, said at `site`: intent, sorted target ids, value, and the
 * reason when nothing acts (Cancel acts on nothing by design); null when not understood.
 */
export function whatItDoes(home: Registry, text: string, site = "living_room") {
  const p = parseIntent(text, home, { area: site });
  if (!p) return null;
  const { devices, errors } = intentTargets(home, p);
  const value = p.name === "QueryState" ? p.slots.state : p.slots.value;
  return {
    intent: p.name,
    on: devices.map((d) => d.id).sort(),
    ...(value !== undefined ? { value } : {}),
    ...(devices.length || p.name === "Cancel" ? {} : { why: errors.join("; ") }),
  };
}

/** A small registry covering every device type and adapter. */
export function testRegistry(extra: Record<string, unknown> = {}): Registry {
  return parseRegistry({
    areas: [
      { id: "kitchen", name: "kitchen" },
      { id: "living_room", name: "living room", aliases: ["lounge"] },
      { id: "bedroom", name: "bedroom" },
    ],
    devices: [
      {
        name: "kitchen light",
        area: "kitchen",
        type: "light",
        features: ["onoff", "brightness", "colorTemp"],
        adapter: { type: "zigbee2mqtt", name: "kitchen_light" },
      },
      {
        name: "counter lights",
        area: "kitchen",
        type: "light",
        adapter: { type: "tasmota", topic: "counter" },
      },
      {
        name: "floor lamp",
        aliases: ["reading lamp"],
        area: "living_room",
        type: "light",
        adapter: { type: "zigbee2mqtt", name: "floor_lamp" },
      },
      {
        name: "coffee machine",
        area: "kitchen",
        type: "plug",
        adapter: { type: "tasmota", topic: "coffee" },
      },
      {
        name: "thermostat",
        area: "living_room",
        type: "thermostat",
        adapter: { type: "zigbee2mqtt", name: "trv" },
      },
      {
        name: "blinds",
        aliases: ["living room blinds"],
        area: "living_room",
        type: "cover",
        adapter: { type: "zigbee2mqtt", name: "blinds" },
      },
      {
        name: "ceiling fan",
        area: "bedroom",
        type: "fan",
        adapter: { type: "homie", device: "fan", node: "fan" },
      },
      {
        name: "movie time",
        type: "scene",
        adapter: { type: "zigbee2mqtt", name: "living_group", sceneId: 1 },
      },
    ],
    ...extra,
  }, "test.devices.json");
}
