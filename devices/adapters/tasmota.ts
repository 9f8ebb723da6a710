/**
 * Tasmota: commands are plain payloads on `cmnd/<topic>/<Command>` (POWER,
 * Dimmer, CT, ShutterOpen1, ...); results arrive as JSON on
 * `stat/<topic>/RESULT`, bare ON/OFF on `stat/<topic>/POWER`, telemetry on
 * `tele/<topic>/STATE` and availability on `tele/<topic>/LWT`.
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

type Tas = Extract<Device["adapter"], { type: "tasmota" }>;

const cfg = (d: Device): Tas => adapterOf(d, "tasmota");
const power = (c: Tas) => `POWER${c.relay ?? ""}`;

/**
 * The topic of `command` under `prefix` through the FullTopic, as Tasmota (and hatasmota's
 * `_get_topic`) build it: %hostname%, %id% (last 6 of the MAC), %prefix%, %topic%.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRegistry } from "../../home/registry.ts";
 * const registry = parseRegistry({
 *   devices: [{
 *     name: "garage light",
 *     type: "light",
 *     adapter: { type: "tasmota", topic: "garage", fullTopic: "%topic%/%prefix%/" },
 *   }],
 * });
 * const adapter = registry.device("garage_light")!.adapter;
 * assert.ok(adapter.type === "tasmota");
 * assert.equal(tasmotaTopic(adapter, "cmnd", "POWER"), "garage/cmnd/POWER");
 * ```
 */
export function tasmotaTopic(c: Tas, prefix: string, command: string): string {
  let t = (c.fullTopic ?? "%prefix%/%topic%/")
    .replaceAll("%hostname%", c.hostname ?? c.topic)
    .replaceAll("%id%", (c.mac ?? "").slice(-6).toUpperCase())
    .replaceAll("%prefix%", prefix)
    .replaceAll("%topic%", c.topic);
  if (!t.endsWith("/")) t += "/";
  return t + command;
}
const cmnd = (c: Tas, command: string) => tasmotaTopic(c, c.cmndPrefix, command);
const stat = (c: Tas, command: string) => tasmotaTopic(c, c.statPrefix, command);
const tele = (c: Tas, command: string) => tasmotaTopic(c, c.telePrefix, command);

/** SetOption4 reply topics (`stat/<t>/<COMMAND>`, upper case) of a device type. */
function commandTopics(d: Device, c: Tas): string[] {
  if (!c.setOption4) return [];
  const names: string[] = [];
  if (d.features.includes("brightness")) names.push("DIMMER");
  if (d.features.includes("colorTemp")) names.push("CT");
  if (d.features.includes("temperature")) names.push("TEMPTARGETSET");
  if (d.features.includes("speed")) names.push("FANSPEED");
  if (d.features.includes("position")) {
    for (const k of ["SHUTTERPOSITION", "SHUTTEROPEN", "SHUTTERCLOSE", "SHUTTERSTOP"]) {
      names.push(`${k}${c.shutter}`);
    }
  }
  return names.map((n) => stat(c, n));
}

/** The Tasmota adapter. */
export const tasmota: Adapter = {
  canToggle: () => true,
  encode(d: Device, cmd: Command): OutMessage[] {
    const c = cfg(d);
    const m = (command: string, payload: string): OutMessage[] => [
      { topic: cmnd(c, command), payload },
    ];
    const n = c.shutter;
    switch (cmd.kind) {
      case "on":
      case "off":
      case "toggle":
        return m(power(c), cmd.kind.toUpperCase());
      case "brightness":
        return m("Dimmer", String(clampInt(cmd.value, 0, 100)));
      case "colorTemp":
        return m("CT", String(clampInt(toMired(cmd.value), 153, 500)));
      case "temperature":
        return m("TempTargetSet", String(cmd.value));
      case "open":
        return m(`ShutterOpen${n}`, "");
      case "close":
        return m(`ShutterClose${n}`, "");
      case "stop":
        return m(`ShutterStop${n}`, "");
      case "position":
        return m(`ShutterPosition${n}`, String(clampInt(cmd.value, 0, 100)));
      case "speed":
        return m("FanSpeed", String(clampInt(cmd.value / 33.34, 0, 3)));
      case "activate": {
        if (!c.sceneCommand) {
          throw new AdapterError(`${d.id}: tasmota scene needs adapter.sceneCommand`);
        }
        const [command, ...rest] = c.sceneCommand.trim().split(/\s+/);
        return m(command, rest.join(" "));
      }
    }
  },
  stateTopics(d: Device): string[] {
    if (d.type === "scene") return [];
    const c = cfg(d);
    const topics = [
      stat(c, "RESULT"),
      stat(c, power(c)),
      ...(c.relay === 1 ? [stat(c, "POWER")] : []),
      ...commandTopics(d, c),
      tele(c, "STATE"),
      tele(c, "LWT"),
    ];
    return [...new Set(topics)];
  },
  decode(d: Device, topic: string, payload: string): DeviceState | null {
    const c = cfg(d);
    const [off, on] = c.stateText ?? ["OFF", "ON"];
    if (topic === tele(c, "LWT")) {
      const [offline, online] = c.lwt ?? ["Offline", "Online"];
      return { available: onOffField(topic, "LWT", payload, online, offline) };
    }
    const powerTopics = [stat(c, power(c)), ...(c.relay === 1 ? [stat(c, "POWER")] : [])];
    if (powerTopics.includes(topic) && !payload.trim().startsWith("{")) {
      // A single-relay device reports on stat/<t>/POWER even when relay 1 is configured.
      return { on: onOffField(topic, power(c), payload, on, off) };
    }
    if (
      topic !== stat(c, "RESULT") && topic !== tele(c, "STATE") && !powerTopics.includes(topic) &&
      !commandTopics(d, c).includes(topic)
    ) {
      return null;
    }
    const o = jsonObject(topic, payload);
    const s: DeviceState = {};
    // A single-relay device reports "POWER"; with relay 1 configured accept both POWER1 and POWER.
    const key = power(c);
    const pw = o[key] ?? (c.relay === 1 ? o.POWER : undefined);
    if (pw !== undefined) s.on = onOffField(topic, key, pw, on, off);
    if (o.Dimmer !== undefined) s.brightness = numField(topic, "Dimmer", o.Dimmer);
    const colour = colourFields(topic, o);
    if (o.CT !== undefined) {
      const ct = numField(topic, "CT", o.CT);
      if (ct < 153 || ct > 500) {
        throw new StatePayloadError(`${topic}: CT: expected 153..500 mired, got ${ct}`);
      }
      // An RGB(W/CCT) bulb showing a colour (White 0, HSBColor saturation > 0) still reports its
      // last CT; that is not the colour temperature it shows, so it is not taken.
      if (!colour.showsColour) s.colorTemp = toKelvin(ct);
    }
    if (o.TempTargetSet !== undefined) {
      s.temperature = numField(topic, "TempTargetSet", o.TempTargetSet);
    }
    if (o.FanSpeed !== undefined) {
      const sp = numField(topic, "FanSpeed", o.FanSpeed);
      s.speed = clampInt(sp * 33.34, 0, 100);
      s.on = sp > 0;
    }
    const shutter = o[`Shutter${c.shutter}`];
    if (shutter !== undefined) {
      if (typeof shutter !== "object" || shutter === null) {
        throw new StatePayloadError(`${topic}: Shutter${c.shutter}: expected an object`);
      }
      const pos = (shutter as Record<string, unknown>).Position;
      if (pos !== undefined) s.position = numField(topic, `Shutter${c.shutter}.Position`, pos);
    }
    return s;
  },
  refresh: (d) => d.type === "scene" ? [] : [{ topic: cmnd(cfg(d), "STATE"), payload: "" }],
};

const inRange = (topic: string, field: string, v: unknown, lo: number, hi: number): number => {
  const n = numField(topic, field, v);
  if (n < lo || n > hi) {
    throw new StatePayloadError(`${topic}: ${field}: expected ${lo}..${hi}, got ${n}`);
  }
  return n;
};

/**
 * Check Tasmota's colour fields of a light (RGB, RGBW, RGBCCT): `Color` (2 hex digits per
 * channel, 1..5 channels, or decimals "255,128,0" with SetOption17), `HSBColor` ("h,s,b",
 * 0..360, 0..100, 0..100), `White` (0..100) and `Channel` (1..5 percentages). Throws
 * {@link StatePayloadError} naming topic and field; returns whether the bulb shows a colour.
 */
export function colourFields(topic: string, o: Record<string, unknown>): { showsColour: boolean } {
  if (o.Color !== undefined) {
    const c = o.Color;
    const hex = typeof c === "string" && /^(?:[0-9A-Fa-f]{2}){1,5}$/.test(c);
    const dec = typeof c === "string" && /^\d{1,3}(?:,\d{1,3}){0,4}$/.test(c) &&
      c.split(",").every((x) => Number(x) <= 255);
    if (!hex && !dec) {
      throw new StatePayloadError(
        `${topic}: Color: expected hex channels ("FF8000") or "255,128,0", got ${
          JSON.stringify(c)
        }`,
      );
    }
  }
  let saturation = 0;
  if (o.HSBColor !== undefined) {
    const parts = typeof o.HSBColor === "string" ? o.HSBColor.split(",") : [];
    if (parts.length !== 3) {
      throw new StatePayloadError(
        `${topic}: HSBColor: expected "hue,saturation,brightness", got ${
          JSON.stringify(o.HSBColor)
        }`,
      );
    }
    inRange(topic, "HSBColor hue", parts[0], 0, 360);
    saturation = inRange(topic, "HSBColor saturation", parts[1], 0, 100);
    inRange(topic, "HSBColor brightness", parts[2], 0, 100);
  }
  const white = o.White === undefined ? undefined : inRange(topic, "White", o.White, 0, 100);
  if (o.Channel !== undefined) {
    if (!Array.isArray(o.Channel) || o.Channel.length < 1 || o.Channel.length > 5) {
      throw new StatePayloadError(
        `${topic}: Channel: expected 1..5 percentages, got ${JSON.stringify(o.Channel)}`,
      );
    }
    o.Channel.forEach((v, i) => inRange(topic, `Channel[${i}]`, v, 0, 100));
  }
  return { showsColour: white === 0 && saturation > 0 };
}
