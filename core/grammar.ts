/**
 * The word grammar shared by the text intent parser and the ASR decoder: the
 * sentence templates (devices/ + intent/) compile to this graph, and
 * the CTC decoder (asr/) only follows its arcs. A path from `start`
 * to a final state spells one valid command sentence; its tags say which
 * intent and slot values that sentence means (core/grammar_path.ts).
 * @module
 */

/** What a tagged arc means for a sentence: which intent starts, which slot value ends here. */
export type GrammarTag =
  | { intent: string; template: number }
  | { slot: string; value: string | number };

/** One arc: consume `word` (or nothing when null) and move to `to`. */
export interface GrammarArc {
  word: string | null;
  to: number;
  /** Prior cost in nats the recognizer pays on this arc (rarer phrasings); default 0. */
  weight?: number;
  /** The intent or slot value the path takes on this (word-less) arc. */
  tag?: GrammarTag;
  /** Word belongs to a slot value (a fuzzy text search never skips it). */
  slotWord?: boolean;
  /** Preference cost (small; e.g. area-group templates lose ties against a named device). */
  cost?: number;
}

/** A word-level finite-state grammar (states are 0..arcs.length-1). */
export interface WordGrammar {
  start: number;
  /** `final[s]` is true when a sentence may end in state s. */
  final: boolean[];
  /** Outgoing arcs of each state. */
  arcs: GrammarArc[][];
}

/** Every distinct word of a grammar (for the pronunciation lexicon). */
export function grammarWords(g: WordGrammar): Set<string> {
  const words = new Set<string>();
  for (const list of g.arcs) for (const a of list) if (a.word !== null) words.add(a.word);
  return words;
}

/** Whether a whitespace-tokenized sentence is accepted by the grammar. */
export function grammarAccepts(g: WordGrammar, sentence: string): boolean {
  const words = sentence.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let states = closure(g, new Set([g.start]));
  for (const w of words) {
    const next = new Set<number>();
    for (const s of states) for (const a of g.arcs[s]) if (a.word === w) next.add(a.to);
    states = closure(g, next);
    if (states.size === 0) return false;
  }
  for (const s of states) if (g.final[s]) return true;
  return false;
}

/** Epsilon closure of a set of states. */
export function closure(g: WordGrammar, states: Set<number>): Set<number> {
  const out = new Set(states);
  const stack = [...states];
  while (stack.length) {
    const s = stack.pop()!;
    for (const a of g.arcs[s]) {
      if (a.word === null && !out.has(a.to)) {
        out.add(a.to);
        stack.push(a.to);
      }
    }
  }
  return out;
}
