/**
 * The decoding graph: the word grammar expanded through the lexicon into
 * phone tries. Every grammar state gets a trie of the pronunciations of the
 * words it may read next (after epsilon closure); a trie node that completes
 * a word lists the word and the grammar state it leads to. Grammar states
 * with the same outgoing words share one trie.
 * @module
 */
import { closure, type WordGrammar } from "../core/grammar.ts";
import type { Lexicon } from "./lexicon.ts";
import { phoneIndex } from "../core/phones.ts";

/** The grammar cannot be decoded (nothing pronounceable leaves the start, no sentence ends). */
export class GrammarError extends Error {
  override name = "GrammarError";
}

/** A word completed at a trie node, and the grammar state after it. */
export interface WordEnd {
  word: string;
  /** Grammar state after the word. */
  to: number;
  /** True when a sentence may end right after this word. */
  final: boolean;
  /** Prior cost (nats) of the grammar path that read this word (arc weights); 0 mostly. */
  cost: number;
}

/** Phone tries of a grammar (arrays indexed by node id). */
export interface DecodingGraph {
  /** Model label (1..39) of each node; -1 for trie roots. */
  phone: Int16Array;
  /** Children of each node by label. */
  children: Map<number, number>[];
  /** Words completed at each node (empty for most). */
  wordEnds: WordEnd[][];
  /** Trie root of the start state. */
  start: number;
  /** Trie root for each grammar state (undefined where nothing can be read). */
  rootOf: (state: number) => number | undefined;
  /** Grammar words that had no pronunciation (their arcs are unusable). */
  unpronounceable: string[];
  /** Number of trie nodes. */
  size: number;
  /** The grammar it was built from (its tags give a decoded sentence's command). */
  grammar: WordGrammar;
}

/** States reachable from `state` over word-less arcs, with the least summed arc weight. */
function weightedClosure(g: WordGrammar, state: number): Map<number, number> {
  const dist = new Map<number, number>([[state, 0]]);
  const queue: number[] = [state];
  // Weights are few and small: a label-correcting pass converges quickly on the acyclic graph.
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head];
    const d = dist.get(s)!;
    for (const a of g.arcs[s]) {
      if (a.word !== null) continue;
      const nd = d + (a.weight ?? 0);
      const old = dist.get(a.to);
      if (old === undefined || nd < old) {
        dist.set(a.to, nd);
        queue.push(a.to);
      }
    }
  }
  return dist;
}

/**
 * Build the decoding graph. Throws when the grammar is malformed (arc to a
 * missing state, start out of range) or when no sentence can be pronounced.
 */
export function buildGraph(grammar: WordGrammar, lexicon: Lexicon): DecodingGraph {
  const n = grammar.arcs.length;
  if (!Number.isInteger(grammar.start) || grammar.start < 0 || grammar.start >= n) {
    throw new Error(`grammar: start state ${grammar.start} out of range 0..${n - 1}`);
  }
  if (grammar.final.length !== n) {
    throw new Error(`grammar: final has ${grammar.final.length} entries for ${n} states`);
  }
  grammar.arcs.forEach((list, s) =>
    list.forEach((a, i) => {
      if (!Number.isInteger(a.to) || a.to < 0 || a.to >= n) {
        throw new Error(`grammar: arcs[${s}][${i}] goes to missing state ${a.to}`);
      }
    })
  );
  const finalAfter = new Map<number, boolean>();
  const isFinal = (s: number) => {
    let f = finalAfter.get(s);
    if (f === undefined) {
      f = [...closure(grammar, new Set([s]))].some((q) => grammar.final[q]);
      finalAfter.set(s, f);
    }
    return f;
  };
  const phone: number[] = [];
  const children: Map<number, number>[] = [];
  const wordEnds: WordEnd[][] = [];
  const newNode = (p: number) => {
    phone.push(p);
    children.push(new Map());
    wordEnds.push([]);
    return phone.length - 1;
  };
  const missing = new Set<string>();
  const rootBySignature = new Map<string, number>();
  const rootByState = new Map<number, number | undefined>();
  const labels = new Map<string, number[][]>();
  const pronsOf = (word: string) => {
    let l = labels.get(word);
    if (!l) {
      l = (lexicon.get(word)?.prons ?? []).map((p) => p.map(phoneIndex));
      labels.set(word, l);
    }
    return l;
  };

  const rootOf = (state: number): number | undefined => {
    if (rootByState.has(state)) return rootByState.get(state);
    const arcs: { word: string; to: number; cost: number }[] = [];
    for (const [q, d] of weightedClosure(grammar, state)) {
      for (const a of grammar.arcs[q]) {
        if (a.word !== null) arcs.push({ word: a.word, to: a.to, cost: d + (a.weight ?? 0) });
      }
    }
    const usable = arcs.filter((a) => {
      if (pronsOf(a.word).length > 0) return true;
      missing.add(a.word);
      return false;
    });
    const sig = [...new Set(usable.map((a) => `${a.word}>${a.to}~${a.cost}`))].sort().join(" ");
    let root: number | undefined;
    if (usable.length > 0) {
      root = rootBySignature.get(sig);
      if (root === undefined) {
        root = newNode(-1);
        rootBySignature.set(sig, root);
        for (const a of usable) {
          for (const pron of pronsOf(a.word)) {
            let node = root;
            for (const p of pron) {
              let next = children[node].get(p);
              if (next === undefined) {
                next = newNode(p);
                children[node].set(p, next);
              }
              node = next;
            }
            const same = wordEnds[node].find((e) => e.word === a.word && e.to === a.to);
            if (!same) {
              wordEnds[node].push({ word: a.word, to: a.to, final: isFinal(a.to), cost: a.cost });
            } else same.cost = Math.min(same.cost, a.cost);
          }
        }
      }
    }
    rootByState.set(state, root);
    return root;
  };

  // Build every reachable trie now so that decoding never allocates graph nodes.
  const seen = new Set<number>();
  const stack = [grammar.start];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const root = rootOf(s);
    if (root === undefined) continue;
    const todo = [root];
    while (todo.length) {
      const node = todo.pop()!;
      for (const c of children[node].values()) todo.push(c);
      for (const e of wordEnds[node]) if (!seen.has(e.to)) stack.push(e.to);
    }
  }
  const start = rootOf(grammar.start);
  if (start === undefined) {
    throw new GrammarError(
      `grammar: no pronounceable word leaves the start state` +
        (missing.size ? ` (no pronunciation for: ${[...missing].sort().join(", ")})` : ""),
    );
  }
  const hasFinal = wordEnds.some((list) => list.some((e) => e.final));
  if (!hasFinal) throw new GrammarError("grammar: no complete sentence can be pronounced");
  return {
    phone: Int16Array.from(phone),
    children,
    wordEnds,
    start,
    rootOf,
    unpronounceable: [...missing].sort(),
    size: phone.length,
    grammar,
  };
}
