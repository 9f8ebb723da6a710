/**
 * The cheapest path through a tagged word grammar for a sequence of words, and
 * the command (intent and slot values) its tags spell. One search serves the
 * command recognizer (which reads the command of the sentence it decoded off
 * the grammar) and the text parser (which adds edits for typed text), so both
 * give the same command for the same words.
 *
 * Among paths that spell the same words the one with the least summed
 * preference `cost` wins (a named device beats area + device type); a path's
 * `edit` counts only what the edits cost.
 * @module
 */
import type { GrammarTag, WordGrammar } from "./grammar.ts";

/** The intent and slot values of a grammar path. */
export interface GrammarCommand {
  /** Intent name ("TurnOn"). */
  name: string;
  /** Slot values as the grammar holds them (device and area ids, numbers, shared names). */
  slots: Record<string, string | number>;
}

/** Edits a search may make; without them only exact paths count. */
export interface PathEdits {
  /** Cost of a token the grammar does not read here (Infinity: never). */
  insert(token: string): number;
  /** Cost of reading `token` where the grammar has `word` (Infinity: never). */
  substitute(word: string, token: string): number;
  /** Cost of a template word that was not said (slot words are never skipped). */
  skip: number;
}

/** A path found by {@link cheapestPath}. */
export interface GrammarPath {
  /** Preference costs plus edits. */
  cost: number;
  /** Edit cost only. */
  edit: number;
  /** Tags along the path, in order. */
  tags: GrammarTag[];
}

/** Most preference cost an exact path may have (costs are small tie-breaks). */
export const EXACT_MAX_COST = 0.5;

interface Hyp {
  cost: number;
  edit: number;
  prev: Hyp | null;
  tag?: GrammarTag;
}

/**
 * The cheapest path that reads `tokens` from start to a final state, up to `maxCost`;
 * undefined when none. `ban`: paths of this intent do not count (a rival search).
 * @example
 * ```ts
 * import { cheapestPath } from "./grammar_path.ts";
 * const g = {
 *   start: 0,
 *   final: [false, false, true],
 *   arcs: [[{ word: null, to: 1, tag: { intent: "TurnOn", template: 0 } }], [{ word: "on", to: 2 }], []],
 * };
 * cheapestPath(g, ["on"], 0.5)?.tags; // [{ intent: "TurnOn", template: 0 }]
 * ```
 */
export function cheapestPath(
  g: WordGrammar,
  tokens: string[],
  maxCost: number,
  edits?: PathEdits,
  ban?: string,
): GrammarPath | undefined {
  let layer = new Map<number, Hyp>([[g.start, { cost: 0, edit: 0, prev: null }]]);
  relax(g, layer, maxCost, edits, ban);
  for (const tok of tokens) {
    const next = new Map<number, Hyp>();
    const offer = (s: number, cost: number, edit: number, prev: Hyp) => {
      if (cost > maxCost) return;
      const old = next.get(s);
      if (!old || cost < old.cost) next.set(s, { cost, edit, prev });
    };
    const ins = edits ? edits.insert(tok) : Infinity;
    for (const [s, h] of layer) {
      if (ins !== Infinity) offer(s, h.cost + ins, h.edit + ins, h);
      for (const a of g.arcs[s]) {
        if (a.word === null) continue;
        if (a.word === tok) offer(a.to, h.cost, h.edit, h);
        else if (edits) {
          const sub = edits.substitute(a.word, tok);
          if (sub !== Infinity) offer(a.to, h.cost + sub, h.edit + sub, h);
        }
      }
    }
    if (!next.size) return undefined;
    relax(g, next, maxCost, edits, ban);
    layer = next;
  }
  let best: Hyp | undefined;
  for (const [s, h] of layer) if (g.final[s] && (!best || h.cost < best.cost)) best = h;
  if (!best) return undefined;
  const tags: GrammarTag[] = [];
  for (let h: Hyp | null = best; h; h = h.prev) if (h.tag) tags.push(h.tag);
  return { cost: best.cost, edit: best.edit, tags: tags.reverse() };
}

/** The command of a path's tags: the last intent and each slot's last value. */
export function commandOf(tags: GrammarTag[]): GrammarCommand {
  let name = "";
  const slots: Record<string, string | number> = {};
  for (const tag of tags) {
    if ("intent" in tag) name = tag.intent;
    else slots[tag.slot] = tag.value;
  }
  return { name, slots };
}

/**
 * The command a sentence of the grammar spells (its cheapest exact path); undefined when the
 * words are no sentence of the grammar or the path has no intent tag.
 */
export function sentenceCommand(g: WordGrammar, words: string[]): GrammarCommand | undefined {
  const path = cheapestPath(g, words, EXACT_MAX_COST);
  if (!path) return undefined;
  const command = commandOf(path.tags);
  return command.name ? command : undefined;
}

/** Close one token layer over word-less arcs and skipped template words (Dijkstra, lazy heap). */
function relax(
  g: WordGrammar,
  layer: Map<number, Hyp>,
  maxCost: number,
  edits: PathEdits | undefined,
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
      } else if (a.slotWord || !edits) continue;
      else edit = step = edits.skip;
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
