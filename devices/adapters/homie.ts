/**
 * Homie 4: one property per feature; commands on
 * `<base>/<device>/<node>/<property>/set`, state (retained) on
 * `<base>/<device>/<node>/<property>`, device state on `<base>/<device>/$state`.
 * Booleans are "true"/"false"; brightness, position and speed scale to `max`.
 * @module
 */
import type { Device } from "../../home/registry.ts";
import type { Feature } from "../../home/schema.ts";
import {
  type Adapter,
  AdapterError,
  adapterOf,
  clampInt,
  type Command,
  type DeviceState,
  numField,
  onOffField,
  type OutMessage,
  StatePayloadError,
} from "./types.ts";

type Homie = Extract<Device["adapter"], { type: "homie" }>;

/** Default property ids per feature. */
export const HOMIE_PROPERTIES: Record<Feature, string> = {
  onoff: "on",
  brightness: "brightness",
  colorTemp: "color-temperature",
  temperature: "target-temperature",
  position: "position",
  speed: "speed",
  activate: "activate",
};

const cfg = (d: Device): Homie => adapterOf(d, "homie");
const node = (d: Device) => `${cfg(d).base}/${cfg(d).device}/${cfg(d).node}`;
const prop = (d: Device, f: Feature) => cfg(d).properties[f] ?? HOMIE_PROPERTIES[f];

/** The Homie adapter. */
export const homie: Adapter = {
  canToggle: () => false,
  encode(d: Device, cmd: Command): OutMessage[] {
    const max = cfg(d).max;
    const set = (f: Feature, payload: string | number): OutMessage[] => [
      { topic: `${node(d)}/${prop(d, f)}/set`, payload: String(payload) },
    ];
    const scaled = (v: number) => clampInt((v * max) / 100, 0, max);
    switch (cmd.kind) {
      case "on":
        return set("onoff", "true");
      case "off":
        return set("onoff", "false");
      case "brightness":
        return set("brightness", scaled(cmd.value));
      case "colorTemp":
        return set("colorTemp", Math.round(cmd.value));
      case "temperature":
        return set("temperature", cmd.value);
      case "open":
        return set("position", max);
      case "close":
        return set("position", 0);
      case "position":
        return set("position", scaled(cmd.value));
      case "speed":
        return set("speed", scaled(cmd.value));
      case "activate":
        return set("activate", "true");
      case "stop":
      case "toggle":
        throw new AdapterError(`${d.id}: Homie devices have no ${cmd.kind} command`);
    }
  },
  stateTopics(d: Device): string[] {
    const c = cfg(d);
    const props = d.features.filter((f) => f !== "activate").map((f) => `${node(d)}/${prop(d, f)}`);
    if (d.type === "thermostat") props.push(`${node(d)}/current-temperature`);
    return [...props, `${c.base}/${c.device}/$state`];
  },
  decode(d: Device, topic: string, payload: string): DeviceState | null {
    const c = cfg(d);
    if (topic === `${c.base}/${c.device}/$state`) {
      const v = payload.trim();
      // Homie 5: "A zero length payload published on the `$state` topic indicates a device
      // removal": the device is gone, so not available (never an error).
      if (v === "") return { available: false };
      const known = ["init", "ready", "disconnected", "sleeping", "lost", "alert"];
      if (!known.includes(v)) {
        throw new StatePayloadError(`${topic}: unknown Homie $state ${JSON.stringify(v)}`);
      }
      return { available: v === "ready" || v === "sleeping" || v === "alert" };
    }
    const max = c.max;
    const pct = (f: string) => Math.round((numField(topic, f, payload) * 100) / max);
    for (const f of d.features) {
      if (topic !== `${node(d)}/${prop(d, f)}`) continue;
      switch (f) {
        case "onoff":
          return { on: onOffField(topic, prop(d, f), payload, "true", "false") };
        case "brightness":
          return { brightness: pct(prop(d, f)) };
        case "colorTemp":
          return { colorTemp: numField(topic, prop(d, f), payload) };
        case "temperature":
          return { temperature: numField(topic, prop(d, f), payload) };
        case "position":
          return { position: pct(prop(d, f)) };
        case "speed":
          return { speed: pct(prop(d, f)) };
        case "activate":
          return null;
      }
    }
    if (topic === `${node(d)}/current-temperature`) {
      return { currentTemperature: numField(topic, "current-temperature", payload) };
    }
    return null;
  },
  refresh: () => [],
};
