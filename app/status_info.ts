/**
 * The devices of the status API (`/api/status` `devices`) from the devices runtime's status:
 * what the registry calls each device and its area (the names people say), its type, its
 * state as reported and in words, its availability and its last change.
 * @module
 */
import type { DeviceStatus } from "../api/status.ts";
import type { DevicesStatus } from "../devices/runtime.ts";

/**
 * Status entries by device id.
 * @example
 * ```ts
 * const devices = statusDevices({
 *   devices: [{
 *     id: "kitchen_light",
 *     name: "kitchen light",
 *     type: "light",
 *     area: "kitchen",
 *     areaName: "kitchen",
 *     source: "file",
 *     adapter: "zigbee2mqtt",
 *     state: { on: true, brightness: 40, changedAt: "2026-12-03T06:30:00.000Z" },
 *     stateText: "on, 40%",
 *     availability: "online",
 *     changedAt: "2026-12-03T06:30:00.000Z",
 *   }],
 * });
 * devices.kitchen_light.stateText; // "on, 40%"
 * devices.kitchen_light.state; // { on: true, brightness: 40 }
 * ```
 */
export function statusDevices(d: Pick<DevicesStatus, "devices">): Record<string, DeviceStatus> {
  return Object.fromEntries(d.devices.map((x) => {
    const { updatedAt: _u, changedAt: _c, ...state } = x.state;
    return [x.id, {
      name: x.name,
      area: x.area,
      areaName: x.areaName,
      type: x.type,
      state,
      stateText: x.stateText,
      availability: x.availability,
      changedAt: x.changedAt,
    }];
  }));
}
