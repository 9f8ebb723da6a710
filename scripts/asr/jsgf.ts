/**
 * A {@link WordGrammar} as a JSGF grammar and a pronunciation dictionary for
 * PocketSphinx (the benchmark peer; never shipped). One rule per grammar
 * state: `<sN> = word <sM> | ... | <NULL>`; the dictionary uses our own
 * lexicon, so both recognizers get identical pronunciations.
 * @module
 */
import { closure, type WordGrammar } from "../../core/grammar.ts";
import type { Lexicon } from "../../asr/lexicon.ts";

/**
 * JSGF text of a grammar. Epsilon arcs are removed first (each rule lists the
 * words of its state's epsilon closure): PocketSphinx turns null transitions
 * into a quadratic number of silence transitions.
 */
export function toJsgf(g: WordGrammar, name = "earshot"): string {
  const lines = ["#JSGF V1.0;", `grammar ${name};`];
  const seen = new Set<number>([g.start]);
  const todo = [g.start];
  while (todo.length) {
    const s = todo.pop()!;
    const alts: string[] = [];
    let final = false;
    for (const q of closure(g, new Set([s]))) {
      if (g.final[q]) final = true;
      for (const a of g.arcs[q]) {
        if (a.word === null) continue;
        alts.push(`${a.word} <s${a.to}>`);
        if (!seen.has(a.to)) {
          seen.add(a.to);
          todo.push(a.to);
        }
      }
    }
    if (final) alts.push("<NULL>");
    if (alts.length === 0) alts.push("<VOID>");
    lines.push(`${s === g.start ? "public " : ""}<s${s}> = ${[...new Set(alts)].join(" | ")};`);
  }
  return lines.join("\n") + "\n";
}

/** PocketSphinx dictionary lines (`word PH ON ES`, variants as `word(2)`). */
export function toDict(lexicon: Lexicon): string {
  const lines: string[] = [];
  for (const [w, e] of [...lexicon].sort(([a], [b]) => a.localeCompare(b))) {
    e.prons.forEach((p, i) => lines.push(`${i ? `${w}(${i + 1})` : w} ${p.join(" ")}`));
  }
  return lines.join("\n") + "\n";
}
