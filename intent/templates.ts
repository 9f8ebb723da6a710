/**
 * The built-in sentence templates: one list of templates per intent, shared
 * rules and value lists. Registry files may add rules, lists and templates
 * (merged by {@link mergeTemplates}). Slot lists filled from the registry:
 * `device`, `switchable`, `dimmable`, `ct_light`, `thermostat`, `cover`, `fan`,
 * `scene`, `area` (see docs/devices.md).
 * @module
 */
import english from "./sentences/en.json" with { type: "json" };
import { TemplateError } from "./template.ts";
import type { TemplateSet } from "../home/templates.ts";

export { mergeTemplates, type TemplateSet } from "../home/templates.ts";

/** Intent names of the built-in templates. */
export const INTENTS = [
  "TurnOn",
  "TurnOff",
  "Toggle",
  "SetBrightness",
  "StepBrightness",
  "SetColorTemp",
  "SetTemperature",
  "OpenCover",
  "CloseCover",
  "SetCoverPosition",
  "StopDevice",
  "SetFanSpeed",
  "ActivateScene",
  "QueryState",
  "Cancel",
] as const;

/** A built-in intent name (registry templates may add names of their own; those have no action). */
export type IntentName = typeof INTENTS[number];

/**
 * The built-in templates (English), from the data file sentences/en.json (rules,
 * lists, per-intent sentences; docs/devices.md explains how to add your own).
 */
export const DEFAULT_TEMPLATES: TemplateSet = templateSetOf(english, "sentences/en.json");

/**
 * A template set from parsed JSON (the built-in file, a sentences file): checks the
 * shape and names the source and field on a problem. Keys starting with "$" are comments.
 */
export function templateSetOf(raw: unknown, source: string): TemplateSet {
  const fail = (msg: string): never => {
    throw new TemplateError(`${source}: ${msg}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("expected an object");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!k.startsWith("$") && !["rules", "lists", "intents", "prefix", "suffix"].includes(k)) {
      fail(`unknown field "${k}" (known: rules, lists, intents, prefix, suffix)`);
    }
  }
  const record = (v: unknown, field: string): Record<string, unknown> => {
    if (v === undefined) return {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      fail(`${field}: expected an object`);
    }
    return v as Record<string, unknown>;
  };
  const rules: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(o.rules, "rules"))) {
    if (typeof v !== "string") fail(`rules.${k}: expected a template string`);
    rules[k] = v as string;
  }
  const lists: Record<string, Record<string, string | number>> = {};
  for (const [k, v] of Object.entries(record(o.lists, "lists"))) {
    lists[k] = {};
    for (const [phrase, value] of Object.entries(record(v, `lists.${k}`))) {
      if (typeof value !== "string" && typeof value !== "number") {
        fail(`lists.${k}.${phrase}: expected a string or number value`);
      }
      lists[k][phrase] = value as string | number;
    }
  }
  const intents: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(record(o.intents, "intents"))) {
    if (!Array.isArray(v) || v.some((t) => typeof t !== "string")) {
      fail(`intents.${k}: expected a list of template strings`);
    }
    intents[k] = v as string[];
  }
  for (const k of ["prefix", "suffix"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "string") fail(`${k}: expected a template string`);
  }
  return {
    rules,
    lists,
    intents,
    prefix: o.prefix as string | undefined,
    suffix: o.suffix as string | undefined,
  };
}
