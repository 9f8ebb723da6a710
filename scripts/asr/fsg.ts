/**
 * A {@link WordGrammar} as a compact PocketSphinx FSG file (the benchmark
 * peer; never shipped). PocketSphinx's JSGF loader turns every rule reference
 * into null transitions and then closes them (quadratic in states, 10+ GB and
 * minutes for our command grammars). Here the grammar is determinized over
 * words (epsilon closures folded in) and minimized, then written with word
 * transitions only: no null transitions, so PocketSphinx loads it in
 * seconds. The FSG format has one final state; arcs into a final state that
 * may also continue are doubled (one copy into the final state).
 *
 * The language is unchanged: {@link sameLanguage} checks the written file
 * ({@link parseFsg}) against the grammar exactly.
 * @module
 */
import { closure, type WordGrammar } from "../../core/grammar.ts";

/** A deterministic word automaton: `arcs[s]` maps a word to the next state. */
export interface WordDfa {
  start: number;
  final: boolean[];
  arcs: Map<string, number>[];
}

/** A word automaton without epsilon arcs, possibly nondeterministic (a parsed FSG). */
export interface WordNfa {
  start: number;
  final: boolean[];
  arcs: { word: string; to: number }[][];
}

/** Subset construction over the epsilon closures of a grammar (or of an epsilon-free NFA). */
export function determinize(g: WordGrammar | WordNfa): WordDfa {
  const grammar = g as WordGrammar;
  const close = (s: Set<number>) => closure(grammar, s);
  const key = (s: Set<number>) => [...s].sort((a, b) => a - b).join(",");
  const startSet = close(new Set([g.start]));
  const ids = new Map<string, number>([[key(startSet), 0]]);
  const sets = [startSet];
  const dfa: WordDfa = { start: 0, final: [], arcs: [] };
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i];
    const next = new Map<string, Set<number>>();
    let final = false;
    for (const s of set) {
      if (g.final[s]) final = true;
      for (const a of g.arcs[s]) {
        if (a.word === null) continue;
        let t = next.get(a.word);
        if (!t) next.set(a.word, t = new Set());
        t.add(a.to);
      }
    }
    const arcs = new Map<string, number>();
    for (const [word, targets] of [...next].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
      const closed = close(targets);
      const k = key(closed);
      let id = ids.get(k);
      if (id === undefined) {
        id = sets.length;
        ids.set(k, id);
        sets.push(closed);
      }
      arcs.set(word, id);
    }
    dfa.final.push(final);
    dfa.arcs.push(arcs);
  }
  return dfa;
}

/**
 * Minimal DFA of the same language (Moore's partition refinement; works for
 * cyclic automata too). States that cannot reach a final state are dropped.
 * State numbers follow a breadth-first walk from the start, so the result is
 * canonical: two minimal DFAs of one language are identical.
 */
export function minimize(d: WordDfa): WordDfa {
  const n = d.arcs.length;
  // Live states: those that reach a final state.
  const rev: number[][] = Array.from({ length: n }, () => []);
  d.arcs.forEach((m, s) => m.forEach((t) => rev[t].push(s)));
  const live = new Uint8Array(n);
  const stack: number[] = [];
  d.final.forEach((f, s) => f && (live[s] = 1, stack.push(s)));
  while (stack.length) {
    for (const p of rev[stack.pop()!]) if (!live[p]) (live[p] = 1, stack.push(p));
  }
  let block = Int32Array.from({ length: n }, (_, s) => live[s] ? (d.final[s] ? 1 : 0) : -1);
  let count = -1;
  for (;;) {
    const sig = new Map<string, number>();
    const next = new Int32Array(n).fill(-1);
    for (let s = 0; s < n; s++) {
      if (block[s] < 0) continue;
      const parts = [String(block[s])];
      for (const [w, t] of d.arcs[s]) if (block[t] >= 0) parts.push(`${w}>${block[t]}`);
      const k = parts.join(" ");
      let b = sig.get(k);
      if (b === undefined) sig.set(k, b = sig.size);
      next[s] = b;
    }
    block = next;
    if (sig.size === count) break;
    count = sig.size;
  }
  if (block[d.start] < 0) return { start: 0, final: [false], arcs: [new Map()] };
  // Renumber breadth-first from the start.
  const order = new Map<number, number>([[block[d.start], 0]]);
  const rep: number[] = [d.start];
  for (let i = 0; i < rep.length; i++) {
    for (const t of [...d.arcs[rep[i]].values()]) {
      const b = block[t];
      if (b >= 0 && !order.has(b)) {
        order.set(b, rep.length);
        rep.push(t);
      }
    }
  }
  return {
    start: 0,
    final: rep.map((s) => d.final[s]),
    arcs: rep.map((s) => {
      const m = new Map<string, number>();
      for (const [w, t] of d.arcs[s]) if (block[t] >= 0) m.set(w, order.get(block[t])!);
      return m;
    }),
  };
}

/** Minimal word DFA of a grammar: {@link minimize} of {@link determinize}. */
export function wordDfa(g: WordGrammar): WordDfa {
  return minimize(determinize(g));
}

/** Options of {@link toFsg}. */
export interface FsgOptions {
  /** Grammar name in FSG_BEGIN. */
  name?: string;
  /**
   * Transition probabilities: "flat" gives every word transition 1 (no
   * grammar preference between sentences, like earshot's decoder); "uniform"
   * splits 1 evenly over the words leaving a state.
   */
  probs?: "flat" | "uniform";
}

/**
 * FSG text (FSG_BEGIN ... FSG_END) of a grammar, word transitions only.
 * Throws when the grammar accepts nothing or accepts the empty sentence
 * (which FSG cannot express without a null transition).
 */
export function toFsg(g: WordGrammar, options: FsgOptions = {}): string {
  const d = wordDfa(g);
  const name = options.name ?? "earshot";
  if (!/^\S+$/.test(name)) throw new Error(`FSG name "${name}" must be one word`);
  if (!d.final.some(Boolean)) throw new Error("grammar accepts no sentence");
  if (d.final[d.start]) {
    throw new Error("grammar accepts the empty sentence; an FSG file cannot say so");
  }
  // The single final state: the final state without outgoing arcs (minimal DFAs have at most one),
  // else a new state.
  let F = d.final.findIndex((f, s) => f && d.arcs[s].size === 0);
  const n = F >= 0 ? d.arcs.length : d.arcs.length + 1;
  if (F < 0) F = d.arcs.length;
  const lines: string[] = [];
  for (let s = 0; s < d.arcs.length; s++) {
    const out: [number, string][] = [];
    for (const [w, t] of d.arcs[s]) {
      if (t !== F) out.push([t, w]);
      if (d.final[t]) out.push([F, w]);
    }
    // Both copies of a doubled arc carry the probability of its one word.
    const p = options.probs === "uniform" ? 1 / d.arcs[s].size : 1;
    for (const [t, w] of out) lines.push(`TRANSITION ${s} ${t} ${Number(p.toPrecision(6))} ${w}`);
  }
  return [
    `FSG_BEGIN ${name}`,
    `NUM_STATES ${n}`,
    `START_STATE ${d.start}`,
    `FINAL_STATE ${F}`,
    ...lines,
    "FSG_END",
    "",
  ].join("\n");
}

/**
 * Parse FSG text (the subset {@link toFsg} writes plus the short keywords N,
 * S, F, T and comments). Throws naming the line on malformed input and on
 * null transitions.
 */
export function parseFsg(text: string): WordNfa {
  let n = -1, start = -1, final = -1;
  const arcs: { from: number; word: string; to: number }[] = [];
  const lines = text.split("\n");
  let begun = false, ended = false;
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].replace(/#.*$/, "").trim().split(/\s+/).filter(Boolean);
    if (!f.length) continue;
    const where = `FSG line ${i + 1}`;
    const int = (x: string | undefined) => {
      const v = Number(x);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: bad number "${x}"`);
      return v;
    };
    switch (f[0]) {
      case "FSG_BEGIN":
        begun = true;
        break;
      case "FSG_END":
        ended = true;
        break;
      case "NUM_STATES":
      case "N":
        n = int(f[1]);
        break;
      case "START_STATE":
      case "S":
        start = int(f[1]);
        break;
      case "FINAL_STATE":
      case "F":
        final = int(f[1]);
        break;
      case "TRANSITION":
      case "T": {
        const p = Number(f[3]);
        if (!(p > 0 && p <= 1)) throw new Error(`${where}: bad probability "${f[3]}"`);
        if (f.length !== 5) throw new Error(`${where}: null transition or extra fields`);
        arcs.push({ from: int(f[1]), to: int(f[2]), word: f[4] });
        break;
      }
      default:
        throw new Error(`${where}: unknown keyword "${f[0]}"`);
    }
  }
  if (!begun || !ended) throw new Error("FSG: missing FSG_BEGIN or FSG_END");
  if (n < 1 || start >= n || final >= n || start < 0 || final < 0) {
    throw new Error(`FSG: states ${n}, start ${start}, final ${final} out of range`);
  }
  const nfa: WordNfa = {
    start,
    final: Array.from({ length: n }, (_, s) => s === final),
    arcs: Array.from({ length: n }, () => []),
  };
  for (const a of arcs) {
    if (a.from >= n || a.to >= n) throw new Error(`FSG: transition ${a.from} -> ${a.to} >= ${n}`);
    nfa.arcs[a.from].push({ word: a.word, to: a.to });
  }
  return nfa;
}

/** Whether an automaton accepts a whitespace-separated sentence. */
export function accepts(a: WordNfa | WordDfa, sentence: string): boolean {
  const words = sentence.trim().split(/\s+/).filter(Boolean);
  let states = new Set([a.start]);
  for (const w of words) {
    const next = new Set<number>();
    for (const s of states) {
      const arcs = a.arcs[s];
      if (arcs instanceof Map) {
        const t = arcs.get(w);
        if (t !== undefined) next.add(t);
      } else for (const x of arcs) if (x.word === w) next.add(x.to);
    }
    if (!next.size) return false;
    states = next;
  }
  return [...states].some((s) => a.final[s]);
}

/**
 * Exact language equality of two automata: their minimal DFAs are identical
 * (minimize numbers states canonically). Returns null when equal, else a
 * short sentence accepted by exactly one of them.
 */
export function sameLanguage(a: WordDfa, b: WordDfa): string | null {
  // Product walk, breadth first: the first disagreement is a shortest witness.
  const seen = new Set<string>();
  const queue: [number, number, string[]][] = [[a.start, b.start, []]];
  while (queue.length) {
    const [x, y, words] = queue.shift()!;
    const k = `${x},${y}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const fx = x >= 0 && a.final[x], fy = y >= 0 && b.final[y];
    if (fx !== fy) return words.join(" ") || "(empty sentence)";
    const ws = new Set([...(x >= 0 ? a.arcs[x].keys() : []), ...(y >= 0 ? b.arcs[y].keys() : [])]);
    for (const w of ws) {
      const nx = x >= 0 ? a.arcs[x].get(w) ?? -1 : -1;
      const ny = y >= 0 ? b.arcs[y].get(w) ?? -1 : -1;
      queue.push([nx, ny, [...words, w]]);
    }
  }
  return null;
}
