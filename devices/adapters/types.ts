/**
 * The adapter contract: turn a normalized command into the MQTT messages an
 * ecosystem expects, and its state messages back into a normalized state.
 * Adapters are pure (no I/O), so tests compare exact topics and payloads.
 * @module
 */
import type { Device } from "../../home/registry.ts";

/** A normalized device command (percentages 0..100, kelvin, degrees Celsius). */
export type Command =
  | { kind: "on" }
  | { kind: "off" }
  | { kind: "toggle" }
  | { kind: "brightness"; value: number }
  | { kind: "colorTemp"; value: number }
  | { kind: "temperature"; value: number }
  | { kind: "open" }
  | { kind: "close" }
  | { kind: "stop" }
  | { kind: "position"; value: number }
  | { kind: "speed"; value: number }
  | { kind: "activate" };

/** A normalized device state (fields the device reported). */
export interface DeviceState {
  on?: boolean;
  /** Percent 0..100. */
  brightness?: number;
  /** Kelvin. */
  colorTemp?: number;
  /** Setpoint, degrees Celsius. */
  temperature?: number;
  /** Measured temperature, degrees Celsius. */
  currentTemperature?: number;
  /** Cover position percent (0 closed, 100 open). */
  position?: number;
  /** Fan speed percent. */
  speed?: number;
  /** Whether the device says it is reachable. */
  available?: boolean;
  /**
   * Availability per topic, for entities with several availability topics
   * (Home Assistant `availability_mode` "all"/"any", as Zigbee2MQTT's bridge + device topics).
   */
  availableBy?: Record<string, boolean>;
}

/** One MQTT message to publish. */
export interface OutMessage {
  topic: string;
  payload: string;
  retain?: boolean;
}

/** A command the device (or its adapter) cannot carry out. */
export class AdapterError extends Error {
  override name = "AdapterError";
}

/** The adapter settings of `d`, checked to be of `type` (adapters call this, never cast). */
export function adapterOf<T extends Device["adapter"]["type"]>(
  d: Device,
  type: T,
): Extract<Device["adapter"], { type: T }> {
  if (d.adapter.type !== type) throw new AdapterError(`${d.id}: not a ${type} device`);
  return d.adapter as Extract<Device["adapter"], { type: T }>;
}

/** A state payload that could not be read; the message names topic and problem. */
export class StatePayloadError extends Error {
  override name = "StatePayloadError";
}

/** One ecosystem's topics and payloads. */
export interface Adapter {
  /** Messages that carry out `cmd`; throws {@link AdapterError} when unsupported. */
  encode(device: Device, cmd: Command): OutMessage[];
  /** Whether the ecosystem has a native toggle (else the router sends on/off from the known state). */
  canToggle(device: Device): boolean;
  /** Topics (exact, no wildcards) carrying this device's state and availability. */
  stateTopics(device: Device): string[];
  /**
   * The state fields in one message on a state topic; null when the message
   * carries nothing for this device. Throws {@link StatePayloadError} on malformed payloads.
   * `prev` is the device's state so far (for availability over several topics).
   */
  decode(device: Device, topic: string, payload: string, prev?: DeviceState): DeviceState | null;
  /** Messages that ask the device to report its state (sent at start and after reconnect). */
  refresh(device: Device): OutMessage[];
}

/** Clamp and round to an integer. */
export function clampInt(v: number, lo: number, hi: number): number {
  return Math.round(Math.min(hi, Math.max(lo, v)));
}

/** Kelvin <-> mired. */
export const toMired = (kelvin: number): number => Math.round(1e6 / kelvin);
/** Mired -> kelvin (rounded to 10 K). */
export const toKelvin = (mired: number): number => Math.round(1e6 / mired / 10) * 10;

/** Parse a JSON object payload or throw {@link StatePayloadError} naming the topic. */
export function jsonObject(topic: string, payload: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    throw new StatePayloadError(
      `${topic}: payload is not JSON: ${JSON.stringify(payload.slice(0, 80))}`,
    );
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new StatePayloadError(
      `${topic}: expected a JSON object, got ${JSON.stringify(payload.slice(0, 80))}`,
    );
  }
  return v as Record<string, unknown>;
}

/** A finite number field (numbers or numeric strings), or a {@link StatePayloadError}. */
export function numField(topic: string, field: string, v: unknown): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new StatePayloadError(`${topic}: ${field}: expected a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** ON/OFF-like values to boolean, or a {@link StatePayloadError}. */
export function onOffField(
  topic: string,
  field: string,
  v: unknown,
  on = "ON",
  off = "OFF",
): boolean {
  if (typeof v === "boolean") return v;
  const s = typeof v === "string" ? v.trim() : typeof v === "number" ? String(v) : undefined;
  if (s !== undefined) {
    if (s.toUpperCase() === on.toUpperCase()) return true;
    if (s.toUpperCase() === off.toUpperCase()) return false;
  }
  throw new StatePayloadError(
    `${topic}: ${field}: expected ${JSON.stringify(on)} or ${JSON.stringify(off)}, got ${
      JSON.stringify(v)
    }`,
  );
}

/** The range each normalized state field must fall in (after the adapter's conversion). */
export const STATE_RANGES: Record<string, [number, number]> = {
  brightness: [0, 100],
  position: [0, 100],
  speed: [0, 100],
  colorTemp: [1000, 40000],
  temperature: [-50, 100],
  currentTemperature: [-50, 100],
};

/**
 * Decode one state message with `adapter` and check it: every number finite
 * and inside {@link STATE_RANGES}, `on`/`available` booleans. Throws
 * {@link StatePayloadError} naming the topic and field otherwise (a device
 * reporting brightness 6622 is misconfigured or broken; its state is not taken).
 */
export function decodeState(
  adapter: Pick<Adapter, "decode">,
  device: Device,
  topic: string,
  payload: string,
  prev?: DeviceState,
): DeviceState | null {
  const s = adapter.decode(device, topic, payload, prev);
  if (s === null) return s;
  for (const [field, v] of Object.entries(s)) {
    if (v === undefined) continue;
    const range = STATE_RANGES[field];
    if (range) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < range[0] || v > range[1]) {
        throw new StatePayloadError(
          `${topic}: ${field}: ${JSON.stringify(v)} is outside ${range[0]}..${range[1]} ` +
            `(payload ${JSON.stringify(payload.slice(0, 80))})`,
        );
      }
    } else if ((field === "on" || field === "available") && typeof v !== "boolean") {
      throw new StatePayloadError(`${topic}: ${field}: expected true or false`);
    }
  }
  return s;
}

/** Human text of a command ("brightness 50"). */
export function describeCommand(cmd: Command): string {
  return "value" in cmd ? `${cmd.kind} ${cmd.value}` : cmd.kind;
}
