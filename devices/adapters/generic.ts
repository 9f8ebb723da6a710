/**
 * Generic adapter: hand-written topic and payload templates per command
 * (`{{value}}`, `{{state}}` = ON/OFF, `{{device}}` = id) and an optional
 * state topic read as JSON fields or a raw on/off word.
 * @module
 */
import type { Device } from "../../home/registry.ts";
import {
  type Adapter,
  AdapterError,
  adapterOf,
  type Command,
  type DeviceState,
  jsonObject,
  numField,
  onOffField,
  type OutMessage,
} from "./types.ts";

type Generic = Extract<Device["adapter"], { type: "generic" }>;

const cfg = (d: Device): Generic => adapterOf(d, "generic");

function fill(text: string, d: Device, cmd: Command): string {
  const value = "value" in cmd ? String(cmd.value) : "";
  const state = cmd.kind === "on" ? "ON" : cmd.kind === "off" ? "OFF" : "";
  return text.replace(
    /\{\{\s*(value|state|device)\s*\}\}/g,
    (_, k: string) => k === "value" ? value : k === "state" ? state : d.id,
  );
}

function getPath(o: unknown, path: string): unknown {
  let cur = o;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The generic template adapter. */
export const generic: Adapter = {
  canToggle: (d) => !!cfg(d).commands.toggle,
  encode(d: Device, cmd: Command): OutMessage[] {
    const c = cfg(d).commands[cmd.kind];
    if (!c) throw new AdapterError(`${d.id}: adapter.commands.${cmd.kind} is not configured`);
    return [{
      topic: fill(c.topic, d, cmd),
      payload: fill(c.payload, d, cmd),
      retain: c.retain || undefined,
    }];
  },
  stateTopics: (d) => cfg(d).state ? [cfg(d).state!.topic] : [],
  decode(d: Device, topic: string, payload: string): DeviceState | null {
    const st = cfg(d).state;
    if (!st || topic !== st.topic) return null;
    if (st.format === "raw") {
      return { on: onOffField(topic, "payload", payload.trim(), st.onValue, st.offValue) };
    }
    const o = jsonObject(topic, payload);
    const s: DeviceState = {};
    const f = st.fields;
    const on = f.on ? getPath(o, f.on) : undefined;
    if (on !== undefined) s.on = onOffField(topic, f.on!, on, st.onValue, st.offValue);
    for (
      const k of [
        "brightness",
        "colorTemp",
        "temperature",
        "currentTemperature",
        "position",
        "speed",
      ] as const
    ) {
      const path = f[k];
      const v = path ? getPath(o, path) : undefined;
      if (v !== undefined) s[k] = numField(topic, path!, v);
    }
    return s;
  },
  refresh: () => [],
};
