/**
 * Text -> intent with the same grammar the ASR decoder uses. An exact path
 * through the grammar gives confidence 1; otherwise a word-level edit search
 * (skipped filler words, missing template words, close typos; never invented
 * slot values) finds the cheapest path and the confidence drops with the cost.
 * A sentence the recognizer decoded already carries its path's command
 * ({@link decodedIntent}).
 * @module
 */
import type { Registry } from "../home/registry.ts";
import { buildCommandGrammar, type CommandGrammar, effectiveTemplates } from "./grammar.ts";
import { DEVICE_TYPES } from "../home/schema.ts";
import {
  cheapestPath,
  commandOf,
  EXACT_MAX_COST,
  type GrammarCommand,
  type PathEdits,
} from "../core/grammar_path.ts";
import { tokenize } from "../core/text.ts";
import { DEFAULTS } from "../core/config.ts";
import { resolveSlots } from "./resolve.ts";
import type { TemplateSet } from "./templates.ts";
import { round3 } from "../core/math.ts";

/** A recognized intent. */
export interface ParsedIntent {
  name: string;
  /** device (id), area (id), domain (device type), value (number), scene (id), state. */
  slots: Record<string, string | number>;
  /** 1 for an exact grammar match, lower for fuzzy ones. */
  confidence: number;
  /** The normalized words that were parsed. */
  text: string;
  /** True when the area came from the satellite (opts.area), not from the words. */
  areaFromSite?: boolean;
  /**
   * Why the words name no single device ("which ceiling fan? there is one in the
   * study and one in the guest room"): the intent is understood, nothing acts.
   */
  problem?: string;
  /** The devices an ambiguous name could mean (ids). */
  candidates?: string[];
}

/** Options of {@link parseIntent}. */
export interface ParseOptions {
  /** The satellite's area: fills `area` for group commands ("turn on the lights"). */
  area?: string;
  /** Below this confidence the result is null (default: the schema's `devices.minIntentConfidence`). */
  minConfidence?: number;
  templates?: TemplateSet;
  /** A grammar already built for this registry (skips the cache lookup). */
  grammar?: CommandGrammar;
}

/** Words whose insertion costs little ("please turn on the light now"). */
const FILLERS = new Set([
  "please",
  "the",
  "a",
  "an",
  "and",
  "now",
  "could",
  "can",
  "would",
  "will",
  "you",
  "kindly",
  "just",
  "hey",
  "ok",
  "okay",
  "um",
  "uh",
  "for",
  "me",
  "thanks",
  "thank",
  "my",
  // In typed text only: spoken, "our" sounds like "are" ("are the lights on"), so the grammar
  // leaves it out.
  "our",
]);
const INSERT = 2;
/** Number words are never skipped or inserted: an extra "fifty" changes the meaning. */
const NUMBER_WORDS = new Set(
  ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " +
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety " +
    "hundred thousand minus point").split(" "),
);
const INSERT_FILLER = 0.3;
const DELETE = 1;
/** A fuzzy parse needs this much lower cost than the best parse of any other intent. */
const AMBIGUITY_MARGIN = 0.5;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

const simCache = new Map<string, number>();
/** Substitution cost for a typo (Infinity when the words are not close). */
function substitution(word: string, token: string): number {
  const key = `${word}\u0000${token}`;
  let c = simCache.get(key);
  if (c === undefined) {
    c = Infinity;
    if (
      word.length >= 4 && token.length >= 3 && !NUMBER_WORDS.has(word) && !NUMBER_WORDS.has(token)
    ) {
      const sim = 1 - editDistance(word, token) / Math.max(word.length, token.length);
      if (sim >= 0.75) c = 0.3 + (1 - sim);
    }
    if (simCache.size > 100_000) simCache.clear();
    simCache.set(key, c);
  }
  return c;
}

/**
 * The edits of typed text: skipped filler words, missing template words, close typos. Number
 * words and the words of `keep` (device, area and floor names: {@link nameWords}) are never
 * skipped.
 */
function typedEdits(keep: ReadonlySet<string>): PathEdits {
  return {
    insert: (tok) =>
      FILLERS.has(tok) ? INSERT_FILLER : NUMBER_WORDS.has(tok) || keep.has(tok) ? Infinity : INSERT,
    substitute: substitution,
    skip: DELETE,
  };
}

const typeWordCache = new WeakMap<
  Registry,
  { templates?: TemplateSet; words: Map<string, string> }
>();

/**
 * Type words of the templates' lists ("fan" -> fan, "lamps" -> light): every list phrase whose
 * value is a device type, or a type and a kind ("light/lamp").
 */
export function typeWords(registry: Registry, templates?: TemplateSet): Map<string, string> {
  const cached = typeWordCache.get(registry);
  if (cached && cached.templates === templates) return cached.words;
  const words = new Map<string, string>();
  for (const entries of Object.values(effectiveTemplates(registry, templates).lists)) {
    for (const [phrase, value] of Object.entries(entries)) {
      const type = String(value).split("/")[0];
      if ((DEVICE_TYPES as readonly string[]).includes(type)) words.set(phrase, type);
    }
  }
  typeWordCache.set(registry, { templates, words });
  return words;
}

const keepCache = new WeakMap<Registry, { templates?: TemplateSet; words: Set<string> }>();

/**
 * Words the fuzzy parse never skips: words of device, area and floor names that are not type
 * words or fillers. Skipping one turns a device into a group or another room ("switch the
 * pendant lights off in the dining room" is not "the lights in the dining room").
 */
export function nameWords(registry: Registry, templates?: TemplateSet): Set<string> {
  const cached = keepCache.get(registry);
  if (cached && cached.templates === templates) return cached.words;
  const types = new Set([...typeWords(registry, templates).keys()].flatMap((p) => p.split(" ")));
  const words = new Set<string>();
  const names = [
    ...registry.devices.flatMap((d) => [d.name, ...d.aliases]),
    ...registry.areas.flatMap((a) => [a.name, ...a.aliases]),
    ...registry.floors.flatMap((f) => [f.name, ...f.aliases]),
  ];
  for (const n of names) {
    for (const w of n.split(" ")) if (w && !types.has(w) && !FILLERS.has(w)) words.add(w);
  }
  keepCache.set(registry, { templates, words });
  return words;
}

/**
 * Recognize an intent in typed or transcribed text; null when nothing in the
 * grammar is close enough. Group commands without an area ("turn on the
 * lights") get `opts.area`.
 */
export function parseIntent(
  text: string,
  registry: Registry,
  opts: ParseOptions = {},
): ParsedIntent | null {
  const g = opts.grammar ?? buildCommandGrammar(registry, opts.templates);
  const tokens = tokenize(text);
  if (!tokens.length || !g.arcs[g.start].length) return null;
  const minConfidence = opts.minConfidence ?? DEFAULTS.devices.minIntentConfidence;
  // Exact paths first (cheap); the edit search only when none exists.
  let best = cheapestPath(g, tokens, EXACT_MAX_COST);
  if (!best) {
    const maxCost = (1 - minConfidence) * (tokens.length + 1) + 0.05;
    const typed = typedEdits(nameWords(registry, opts.templates));
    best = cheapestPath(g, tokens, maxCost, typed);
    if (!best) return null;
    // An edited sentence that another intent explains about as well is ambiguous
    // ("turn the kitchen light": on or off?): do nothing rather than guess.
    const rival = cheapestPath(g, tokens, maxCost, typed, commandOf(best.tags).name);
    if (rival && rival.cost - best.cost < AMBIGUITY_MARGIN) return null;
  }
  const confidence = best.edit === 0
    ? 1
    : Math.max(0, Math.min(0.95, 1 - best.edit / (tokens.length + 1)));
  if (confidence < minConfidence) return null;
  return resolved(commandOf(best.tags), confidence, tokens, registry, opts);
}

/**
 * The intent of a sentence the recognizer decoded, from the command its grammar path spells
 * (the transcript's `intent`): the same as {@link parseIntent} gives for the sentence, without
 * searching the grammar again. `text` is the transcript's; `opts.area` as for parseIntent.
 * (A command that names what the registry no longer has, `commandKnown` false, is better
 * parsed again.)
 * @example
 * ```ts
 * import { loadRegistry } from "../home/registry.ts";
 * import { decodedIntent } from "./parser.ts";
 * const registry = await loadRegistry("devices/example.devices.json");
 * const command = { name: "TurnOn", slots: { device: "kitchen_light" } };
 * decodedIntent(command, "turn on the kitchen light", registry)?.slots; // { device: "kitchen_light" }
 * ```
 */
export function decodedIntent(
  command: GrammarCommand,
  text: string,
  registry: Registry,
  opts: Pick<ParseOptions, "area" | "templates"> = {},
): ParsedIntent | null {
  const tokens = tokenize(text);
  if (!tokens.length || !command.name) return null;
  return resolved(command, 1, tokens, registry, opts);
}

/** A path's command with `here` and shared names resolved (the satellite's `area`). */
function resolved(
  command: GrammarCommand,
  confidence: number,
  tokens: string[],
  registry: Registry,
  opts: Pick<ParseOptions, "area" | "templates">,
): ParsedIntent {
  const { name } = command;
  const area = opts.area;
  const site = area === undefined ? undefined : registry.area(area)?.id ?? area;
  const { slots, problem, candidates } = resolveSlots(registry, name, command.slots, site, {
    typeWords: typeWords(registry, opts.templates),
  });
  const result: ParsedIntent = {
    name,
    slots,
    confidence: round3(confidence),
    text: tokens.join(" "),
  };
  if (problem) result.problem = problem;
  if (candidates) result.candidates = candidates;
  if (
    slots.domain !== undefined && slots.area === undefined && slots.device === undefined &&
    site !== undefined
  ) {
    slots.area = site;
    result.areaFromSite = true;
  }
  return result;
}
