/**
 * Adapter lookup by the device's `adapter.type`.
 * @module
 */
import type { Device } from "../../home/registry.ts";
import type { AdapterType } from "../../home/schema.ts";
import { generic } from "./generic.ts";
import { homeassistant } from "./homeassistant.ts";
import { homie } from "./homie.ts";
import { tasmota } from "./tasmota.ts";
import type { Adapter } from "./types.ts";
import { zigbee2mqtt } from "./zigbee2mqtt.ts";

/** Adapters by type. */
export const ADAPTERS: Record<AdapterType, Adapter> = {
  zigbee2mqtt,
  tasmota,
  homeassistant,
  homie,
  generic,
};

/** The adapter of a device. */
export function adapterFor(device: Device): Adapter {
  return ADAPTERS[device.adapter.type];
}

export * from "./types.ts";
