/**
 * Device state in words, for people (the status page, the status API): "on, 40%, 2700 K",
 * "closed", "heating to 21 °C, now 19.5 °C", "off". Pure: the device type and a tracked state
 * in, a short text out. A value that is missing is left out; a value of the wrong kind or out
 * of range (a broken report) is shown as "unknown", never as raw JSON or "undefined". Numbers
 * and their units are joined by a no-break space (U+00A0), so "2700 K" never wraps apart.
 * @module
 */
import type { DeviceType } from "../home/schema.ts";
import { STATE_RANGES } from "./adapters/types.ts";

/** What a device says about being reachable: from the adapters' `available` field. */
export type Availability = "online" | "offline" | "unknown";

/** No-break space between a number and its unit. */
const NBSP = "\u00a0";

type Value<T> = { ok: true; v: T } | { ok: false; missing: boolean };

/** A number field inside its range (STATE_RANGES), missing, or bad. */
function num(state: Record<string, unknown>, field: string): Value<number> {
  const v = state[field];
  if (v === undefined || v === null) return { ok: false, missing: true };
  const range = STATE_RANGES[field];
  if (typeof v !== "number" || !Number.isFinite(v)) return { ok: false, missing: false };
  if (range && (v < range[0] || v > range[1])) return { ok: false, missing: false };
  return { ok: true, v };
}

/** A boolean field, missing, or bad. */
function bool(state: Record<string, unknown>, field: string): Value<boolean> {
  const v = state[field];
  if (v === undefined || v === null) return { ok: false, missing: true };
  return typeof v === "boolean" ? { ok: true, v } : { ok: false, missing: false };
}

const pct = (v: number) => `${Math.round(v)}%`;
const kelvin = (v: number) => `${Math.round(v)}${NBSP}K`;
const celsius = (v: number) => `${Math.round(v * 10) / 10}${NBSP}°C`;

/** "on"/"off", or "unknown" for a bad value; null when not reported. */
function power(state: Record<string, unknown>): string | null {
  const on = bool(state, "on");
  if (on.ok) return on.v ? "on" : "off";
  return on.missing ? null : "unknown";
}

/** `label value` parts of the optional details; a bad one is "<label> unknown". */
function detail(
  state: Record<string, unknown>,
  field: string,
  show: (v: number) => string,
  label: string,
): string | null {
  const v = num(state, field);
  if (v.ok) return show(v.v);
  return v.missing ? null : `${label} unknown`;
}

function join(parts: (string | null)[]): string {
  const kept = parts.filter((p): p is string => p !== null);
  return kept.length ? kept.join(", ") : "unknown";
}

function light(s: Record<string, unknown>): string {
  const p = power(s);
  if (p === "off") return "off";
  const b = num(s, "brightness");
  // Brightness 0 is off, whatever the power field says (some lights only report brightness).
  if (b.ok && b.v === 0 && p !== "on") return "off";
  return join([
    p,
    detail(s, "brightness", pct, "brightness"),
    detail(s, "colorTemp", kelvin, "colour temperature"),
  ]);
}

function onOff(s: Record<string, unknown>): string {
  return power(s) ?? "unknown";
}

function fan(s: Record<string, unknown>): string {
  const p = power(s);
  if (p === "off") return "off";
  const speed = num(s, "speed");
  if (speed.ok && speed.v === 0) return "off";
  return join([p, detail(s, "speed", (v) => `speed ${pct(v)}`, "speed")]);
}

function cover(s: Record<string, unknown>): string {
  const pos = num(s, "position");
  if (!pos.ok) return "unknown";
  if (pos.v <= 0) return "closed";
  if (pos.v >= 100) return "open";
  return `open ${pct(pos.v)}`;
}

function thermostat(s: Record<string, unknown>): string {
  if (power(s) === "off") return "off";
  const set = num(s, "temperature");
  const now = num(s, "currentTemperature");
  const nowText = now.ok ? `now ${celsius(now.v)}` : now.missing ? null : "now unknown";
  if (!set.ok) {
    return join([set.missing ? null : "setpoint unknown", nowText]);
  }
  // A heating thermostat (earshot's setpoints are heating ones) heats while the room is colder.
  const verb = now.ok && now.v < set.v ? "heating to" : "set to";
  return join([`${verb} ${celsius(set.v)}`, nowText]);
}

/** The text of each device type: a typed record, so a new type in home/schema.ts needs one. */
const DESCRIBE: Record<DeviceType, (s: Record<string, unknown>) => string> = {
  light,
  switch: onOff,
  plug: onOff,
  fan,
  cover,
  thermostat,
  // Scenes are commands with nothing to report.
  scene: () => "no state",
};

/**
 * A device's state in words. `state` is what the adapters reported (any shape: a field of the
 * wrong kind reads as "unknown").
 * @example
 * ```ts
 * describeState("light", { on: true, brightness: 40, colorTemp: 2700 }); // "on, 40%, 2700 K"
 * describeState("cover", { position: 0 }); // "closed"
 * describeState("thermostat", { temperature: 21, currentTemperature: 19.5 });
 * // "heating to 21 °C, now 19.5 °C"
 * describeState("switch", {}); // "unknown"
 * ```
 */
export function describeState(type: DeviceType, state: unknown): string {
  const s = state && typeof state === "object" && !Array.isArray(state)
    ? state as Record<string, unknown>
    : {};
  const describe = DESCRIBE[type] as ((s: Record<string, unknown>) => string) | undefined;
  return describe ? describe(s) : "unknown";
}

/**
 * Whether the device is reachable, as its adapter reported (Zigbee2MQTT availability, Tasmota
 * LWT, Homie `$state`, Home Assistant availability topics); "unknown" when it never said.
 * @example
 * ```ts
 * availabilityOf({ available: false }); // "offline"
 * availabilityOf({ on: true }); // "unknown"
 * ```
 */
export function availabilityOf(state: unknown): Availability {
  const v = state && typeof state === "object"
    ? (state as Record<string, unknown>).available
    : undefined;
  return v === true ? "online" : v === false ? "offline" : "unknown";
}
