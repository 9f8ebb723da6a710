/**
 * The shape of sentence templates (rules, value lists, per-intent templates) as registry files
 * carry them, and {@link mergeTemplates}, which merges a registry's sentence files into a base
 * set. intent/ compiles the result into grammars.
 * @module
 */

/** Rules, value lists and per-intent templates. */
export interface TemplateSet {
  /** Named sub-templates used as `<name>`. */
  rules: Record<string, string>;
  /** Static value lists used as `{slot:list}`: phrase -> slot value. */
  lists: Record<string, Record<string, string | number>>;
  /** Intent name -> templates. */
  intents: Record<string, string[]>;
  /** Words allowed before / after every command, e.g. "[please]". */
  prefix?: string;
  suffix?: string;
}

/** `base` plus `extra`: rules and lists are replaced by name, intent templates appended. */
export function mergeTemplates(base: TemplateSet, extra?: Partial<TemplateSet>): TemplateSet {
  if (!extra) return base;
  const intents: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(base.intents)) intents[k] = [...v];
  for (const [k, v] of Object.entries(extra.intents ?? {})) {
    intents[k] = [...(intents[k] ?? []), ...v];
  }
  return {
    rules: { ...base.rules, ...extra.rules },
    lists: { ...base.lists, ...extra.lists },
    intents,
    prefix: extra.prefix ?? base.prefix,
    suffix: extra.suffix ?? base.suffix,
  };
}
