/**
 * A {@link WordGrammar} as a JSGF grammar and a pronunciation dictionary for
 * PocketSphinx (the benchmark peer; never shipped). One rule per grammar
 * state: `<sN> = word <sM> | ... | <NULL>`; the dictionary uses our own
 * lexicon, so both recognizers get identical pronunciations.
 * @module
 */
import type { WordGrammar } from "../../pipeline/grammar.ts";
import type { Lexicon } from "../../pipeline/asr/lexicon.ts";

/** JSGF text of a grammar. */
export function toJsgf(g: WordGrammar, name = "earshot"): string {
  const lines = ["#JSGF V1.0;", `grammar ${name};`];
  g.arcs.forEach((arcs, s) => {
    const alts = arcs.map((a) => a.word === null ? `<s${a.to}>` : `${a.word} <s${a.to}>`);
    if (g.final[s]) alts.push("<NULL>");
    if (alts.length === 0) alts.push("<VOID>");
    lines.push(`${s === g.start ? "public " : ""}<s${s}> = ${alts.join(" | ")};`);
  });
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
