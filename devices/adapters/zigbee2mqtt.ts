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

/** Property names of this device (with the endpoint suffix of a multi-endpoint device). */
const prop = (d: Device, name: string) => cfg(d).endpoint ? `${name}_${cfg(d).endpoint}` : name;
/** The on/off property: `stateProperty`, else `fan_state` for fans, else `state`. */
const stateProp = (d: Device) =>
  cfg(d).stateProperty ?? prop(d, d.type === "fan" ? "fan_state" : "state");

/** Fan modes that are speeds, in Zigbee2MQTT's own order (lib/extension/homeassistant.ts). */
const SPEED_MODES = ["low", "medium", "high", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
/** Modes that mean "on" without a speed (presets: on, auto, smart). */
const PRESET_MODES = ["on", "auto", "smart"];

/** The speed modes of a fan (default low, medium, high). */
function speedModes(d: Device): string[] {
  const modes = cfg(d).fanModes;
  if (!modes) return ["low", "medium", "high"];
  return SPEED_MODES.filter((m) => modes.includes(m));
}

/** Percent -> fan_mode of the default low/medium/high fan. */
export function fanMode(pct: number, speeds = ["low", "medium", "high"]): string {
  if (pct <= 0) return "off";
  return speeds[Math.min(speeds.length, Math.max(1, Math.ceil((pct * speeds.length) / 100))) - 1];
}

/** The Zigbee2MQTT adapter. */
export const zigbee2mqtt: Adapter = {
  canToggle: () => true,
  encode(d: Device, cmd: Command): OutMessage[] {
    const c = cfg(d);
    let body: Record<string, unknown>;
    const state = stateProp(d);
    switch (cmd.kind) {
      case "on":
      case "off":
      case "toggle":
        body = { [state]: cmd.kind.toUpperCase() };
        break;
      case "brightness":
        body = cmd.value <= 0
          ? { [state]: "OFF" }
          : { [state]: "ON", [prop(d, "brightness")]: clampInt((cmd.value * 254) / 100, 1, 254) };
        break;
      case "colorTemp":
        body = { [prop(d, "color_temp")]: toMired(cmd.value) };
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
        body = { [prop(d, "position")]: clampInt(cmd.value, 0, 100) };
        break;
      case "speed": {
        const range = c.speedRange;
        if (range) {
          // Fan withSpeed(min, max): a number property; 0 % turns the fan off.
          body = cmd.value <= 0
            ? { [state]: "OFF" }
            : { speed: clampInt((cmd.value * range[1]) / 100, Math.max(1, range[0]), range[1]) };
        } else body = { fan_mode: fanMode(cmd.value, speedModes(d)) };
        break;
      }
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
    const has = (k: string) => o[k] !== undefined && o[k] !== null;
    const stateKey = cfg(d).stateProperty ??
      (d.type === "fan" && !has(prop(d, "fan_state")) ? prop(d, "state") : stateProp(d));
    if (has(stateKey)) {
      if (d.type === "cover") {
        if (o[stateKey] === "OPEN" && !has(prop(d, "position"))) s.position = 100;
        else if (o[stateKey] === "CLOSE" && !has(prop(d, "position"))) s.position = 0;
      } else s.on = onOffField(topic, stateKey, o[stateKey]);
    }
    const bri = prop(d, "brightness");
    if (has(bri)) s.brightness = Math.round((numField(topic, bri, o[bri]) * 100) / 254);
    const ct = prop(d, "color_temp");
    if (has(ct)) {
      const m = numField(topic, ct, o[ct]);
      if (m <= 0) throw new StatePayloadError(`${topic}: ${ct}: must be positive, got ${m}`);
      s.colorTemp = toKelvin(m);
    }
    const setpoint = cfg(d).setpoint;
    if (has(setpoint)) s.temperature = numField(topic, setpoint, o[setpoint]);
    if (has("local_temperature")) {
      s.currentTemperature = numField(topic, "local_temperature", o.local_temperature);
    }
    const pos = prop(d, "position");
    if (has(pos)) s.position = numField(topic, pos, o[pos]);
    if (d.type === "fan" && cfg(d).speedRange && has("speed")) {
      const [, hi] = cfg(d).speedRange!;
      s.speed = clampInt((numField(topic, "speed", o.speed) * 100) / hi, 0, 100);
    }
    if (has("fan_mode")) {
      const mode = String(o.fan_mode);
      const speeds = speedModes(d);
      const i = speeds.indexOf(mode);
      const known = cfg(d).fanModes;
      if (mode === "off") {
        s.speed = 0;
        s.on = false;
      } else if (i >= 0) {
        // low/medium/high of the default fan keep 33/66/100; n speeds: (i + 1) / n.
        s.speed = speeds.length === 3
          ? [33, 66, 100][i]
          : Math.round(((i + 1) * 100) / speeds.length);
        s.on = true;
      } else if (PRESET_MODES.includes(mode) || known?.includes(mode)) {
        s.on = true; // auto / smart / on: running, speed chosen by the fan
      } else {
        throw new StatePayloadError(`${topic}: fan_mode: unknown ${JSON.stringify(o.fan_mode)}`);
      }
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
      : stateProp(d);
    return property
      ? [{ topic: `${base(d)}/get`, payload: JSON.stringify({ [property]: "" }) }]
      : [];
  },
};
