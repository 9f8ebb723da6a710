/**
 * Text -> intent with the same grammar the ASR decoder uses. An exact path
 * through the grammar gives confidence 1; otherwise a word-level edit search
 * (skipped filler words, missing template words, close typos; never invented
 * slot values) finds the cheapest path and the confidence drops with the cost.
 * @module
 */
import type { Registry } from "../home/registry.ts";
import {
  buildCommandGrammar,
  type CommandGrammar,
  effectiveTemplates,
  type GrammarTag,
} from "./grammar.ts";
import { DEVICE_TYPES } from "../home/schema.ts";
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

function intentOf(h: Hyp): string | undefined {
  for (let x: Hyp | null = h; x; x = x.prev) if (x.tag && "intent" in x.tag) return x.tag.intent;
  return undefined;
}

interface Hyp {
  cost: number;
  /** Edit cost only (no preference penalty). */
  edit: number;
  prev: Hyp | null;
  tag?: GrammarTag;
}

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

/** Close one token layer over epsilon arcs and skipped template words (Dijkstra, lazy heap). */
function relax(
  g: CommandGrammar,
  layer: Map<number, Hyp>,
  maxCost: number,
  fuzzy: boolean,
  ban?: string,
): void {
  const heap = new MinHeap();
  for (const [s, h] of layer) heap.push(h.cost, s);
  while (heap.size) {
    const [c, s] = heap.pop();
    const h = layer.get(s)!;
    if (c > h.cost) continue;
    for (const a of g.arcs[s]) {
      let step: number;
      let edit = 0;
      if (a.word === null) {
        if (ban !== undefined && a.tag && "intent" in a.tag && a.tag.intent === ban) continue;
        step = a.cost ?? 0;
      } else if (a.slotWord || !fuzzy) continue;
      else edit = step = DELETE;
      const cost = h.cost + step;
      if (cost > maxCost) continue;
      const old = layer.get(a.to);
      if (!old || cost < old.cost) {
        layer.set(a.to, { cost, edit: h.edit + edit, prev: h, tag: a.tag });
        heap.push(cost, a.to);
      }
    }
  }
}

/** A binary min-heap of (cost, state). */
class MinHeap {
  #c: number[] = [];
  #s: number[] = [];
  get size(): number {
    return this.#c.length;
  }
  push(cost: number, state: number): void {
    const c = this.#c, s = this.#s;
    let i = c.length;
    c.push(cost);
    s.push(state);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (c[p] <= c[i]) break;
      [c[p], c[i]] = [c[i], c[p]];
      [s[p], s[i]] = [s[i], s[p]];
      i = p;
    }
  }
  pop(): [number, number] {
    const c = this.#c, s = this.#s;
    const top: [number, number] = [c[0], s[0]];
    const lc = c.pop()!, ls = s.pop()!;
    if (c.length) {
      c[0] = lc;
      s[0] = ls;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < c.length && c[l] < c[m]) m = l;
        if (r < c.length && c[r] < c[m]) m = r;
        if (m === i) break;
        [c[m], c[i]] = [c[i], c[m]];
        [s[m], s[i]] = [s[i], s[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Cheapest path for the tokens: exact only, or with edits (fuzzy) up to maxCost. */
function search(
  g: CommandGrammar,
  tokens: string[],
  maxCost: number,
  fuzzy: boolean,
  ban?: string,
  keep?: ReadonlySet<string>,
): Hyp | undefined {
  let layer = new Map<number, Hyp>([[g.start, { cost: 0, edit: 0, prev: null }]]);
  relax(g, layer, maxCost, fuzzy, ban);
  for (const tok of tokens) {
    const next = new Map<number, Hyp>();
    const offer = (s: number, cost: number, edit: number, prev: Hyp) => {
      if (cost > maxCost) return;
      const old = next.get(s);
      if (!old || cost < old.cost) next.set(s, { cost, edit, prev });
    };
    const ins = !fuzzy
      ? Infinity
      : FILLERS.has(tok)
      ? INSERT_FILLER
      : NUMBER_WORDS.has(tok) || keep?.has(tok)
      ? Infinity
      : INSERT;
    for (const [s, h] of layer) {
      if (ins !== Infinity) offer(s, h.cost + ins, h.edit + ins, h);
      for (const a of g.arcs[s]) {
        if (a.word === null) continue;
        if (a.word === tok) offer(a.to, h.cost, h.edit, h);
        else if (fuzzy) {
          const sub = substitution(a.word, tok);
          if (sub !== Infinity) offer(a.to, h.cost + sub, h.edit + sub, h);
        }
      }
    }
    if (!next.size) return undefined;
    relax(g, next, maxCost, fuzzy, ban);
    layer = next;
  }
  let best: Hyp | undefined;
  for (const [s, h] of layer) if (g.final[s] && (!best || h.cost < best.cost)) best = h;
  return best;
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
  let best = search(g, tokens, 0.5, false);
  if (!best) {
    const maxCost = (1 - minConfidence) * (tokens.length + 1) + 0.05;
    const keep = nameWords(registry, opts.templates);
    best = search(g, tokens, maxCost, true, undefined, keep);
    if (!best) return null;
    // An edited sentence that another intent explains about as well is ambiguous
    // ("turn the kitchen light": on or off?): do nothing rather than guess.
    const intent = intentOf(best);
    const rival = search(g, tokens, maxCost, true, intent, keep);
    if (rival && rival.cost - best.cost < AMBIGUITY_MARGIN) return null;
  }
  let name = "";
  const raw: Record<string, string | number> = {};
  const tags: GrammarTag[] = [];
  for (let h: Hyp | null = best; h; h = h.prev) if (h.tag) tags.push(h.tag);
  for (const tag of tags.reverse()) {
    if ("intent" in tag) name = tag.intent;
    else raw[tag.slot] = tag.value;
  }
  const site = opts.area === undefined ? undefined : registry.area(opts.area)?.id ?? opts.area;
  const { slots, problem, candidates } = resolveSlots(registry, name, raw, site, {
    typeWords: typeWords(registry, opts.templates),
  });
  const confidence = best.edit === 0
    ? 1
    : Math.max(0, Math.min(0.95, 1 - best.edit / (tokens.length + 1)));
  if (confidence < minConfidence) return null;
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
