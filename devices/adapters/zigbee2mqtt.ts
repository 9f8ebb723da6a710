/**
 * Zigbee2MQTT: commands are JSON on `<base>/<name>/set`, state is the JSON
 * object on `<base>/<name>`, availability on `<base>/<name>/availability`.
 * Brightness is 0..254, colour temperature in mired.
 * @module
 */
import type { Device } from "../../home/registry.ts";
import {
  type Adapter,
  AdapterError,
  adapterOf,
  clampInt,
  type Command,
  type DeviceState,
  jsonObject,
  numField,
  onOffField,
  type OutMessage,
  StatePayloadError,
  toKelvin,
  toMired,
} from "./types.ts";

type Z2M = Extract<Device["adapter"], { type: "zigbee2mqtt" }>;

const cfg = (d: Device): Z2M => adapterOf(d, "zigbee2mqtt");
const base = (d: Device) => `${cfg(d).baseTopic}/${cfg(d).name}`;

const FAN_MODES: Array<[string, number]> = [["off", 0], ["low", 33], ["medium", 66], ["high", 100]];

/** Percent -> fan_mode. */
export function fanMode(pct: number): string {
  if (pct <= 0) return "off";
  if (pct <= 33) return "low";
  if (pct <= 66) return "medium";
  return "high";
}

/** The Zigbee2MQTT adapter. */
export const zigbee2mqtt: Adapter = {
  canToggle: () => true,
  encode(d: Device, cmd: Command): OutMessage[] {
    const c = cfg(d);
    let body: Record<string, unknown>;
    switch (cmd.kind) {
      case "on":
      case "off":
      case "toggle":
        body = { state: cmd.kind.toUpperCase() };
        break;
      case "brightness":
        body = cmd.value <= 0
          ? { state: "OFF" }
          : { state: "ON", brightness: clampInt((cmd.value * 254) / 100, 1, 254) };
        break;
      case "colorTemp":
        body = { color_temp: toMired(cmd.value) };
        break;
      case "temperature":
        body = { [c.setpoint]: cmd.value };
        break;
      case "open":
        body = { state: "OPEN" };
        break;
      case "close":
        body = { state: "CLOSE" };
        break;
      case "stop":
        body = { state: "STOP" };
        break;
      case "position":
        body = { position: clampInt(cmd.value, 0, 100) };
        break;
      case "speed":
        body = { fan_mode: fanMode(cmd.value) };
        break;
      case "activate":
        if (c.sceneId === undefined) {
          throw new AdapterError(`${d.id}: zigbee2mqtt scene needs adapter.sceneId`);
        }
        body = { scene_recall: c.sceneId };
        break;
    }
    return [{ topic: `${base(d)}/set`, payload: JSON.stringify(body) }];
  },
  stateTopics: (d) => d.type === "scene" ? [] : [base(d), `${base(d)}/availability`],
  decode(d: Device, topic: string, payload: string): DeviceState | null {
    if (topic === `${base(d)}/availability`) {
      // Current format is {"state":"online"}; legacy is the bare word.
      const text = payload.trim().startsWith("{")
        ? jsonObject(topic, payload).state
        : payload.trim();
      if (text !== "online" && text !== "offline") {
        throw new StatePayloadError(
          `${topic}: expected "online" or "offline", got ${JSON.stringify(text)}`,
        );
      }
      return { available: text === "online" };
    }
    if (topic !== base(d)) return null;
    const o = jsonObject(topic, payload);
    const s: DeviceState = {};
    if (o.state !== undefined) {
      if (d.type === "cover") {
        if (o.state === "OPEN" && o.position === undefined) s.position = 100;
        else if (o.state === "CLOSE" && o.position === undefined) s.position = 0;
      } else s.on = onOffField(topic, "state", o.state);
    }
    if (o.brightness !== undefined) {
      s.brightness = Math.round((numField(topic, "brightness", o.brightness) * 100) / 254);
    }
    if (o.color_temp !== undefined) {
      const m = numField(topic, "color_temp", o.color_temp);
      if (m <= 0) throw new StatePayloadError(`${topic}: color_temp: must be positive, got ${m}`);
      s.colorTemp = toKelvin(m);
    }
    const setpoint = cfg(d).setpoint;
    if (o[setpoint] !== undefined) s.temperature = numField(topic, setpoint, o[setpoint]);
    if (o.local_temperature !== undefined) {
      s.currentTemperature = numField(topic, "local_temperature", o.local_temperature);
    }
    if (o.position !== undefined) s.position = numField(topic, "position", o.position);
    if (o.fan_mode !== undefined) {
      const m = FAN_MODES.find(([k]) => k === o.fan_mode);
      if (m) {
        s.speed = m[1];
        s.on = m[1] > 0;
      } else if (o.fan_mode === "on") s.on = true;
      else throw new StatePayloadError(`${topic}: fan_mode: unknown ${JSON.stringify(o.fan_mode)}`);
    }
    return s;
  },
  refresh(d: Device): OutMessage[] {
    // Ask for a property the device has (Zigbee2MQTT logs an error for unknown ones).
    const property = d.type === "scene"
      ? undefined
      : d.type === "cover"
      ? "position"
      : d.type === "thermostat"
      ? cfg(d).setpoint
      : d.type === "fan" && !d.features.includes("onoff")
      ? "fan_mode"
      : "state";
    return property
      ? [{ topic: `${base(d)}/get`, payload: JSON.stringify({ [property]: "" }) }]
      : [];
  },
};
