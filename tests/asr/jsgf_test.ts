import assert from "node:assert/strict";
import { toDict, toJsgf } from "../../scripts/asr/jsgf.ts";
import type { WordGrammar } from "../../core/grammar.ts";
import { parseArpabet } from "../../asr/lexicon.ts";

Deno.test("toJsgf: epsilon arcs folded into rules, finals get <NULL>", () => {
  const g: WordGrammar = {
    start: 0,
    final: [false, false, true],
    arcs: [[{ word: "turn", to: 1 }], [{ word: "on", to: 2 }, { word: null, to: 2 }], []],
  };
  assert.equal(
    toJsgf(g, "t"),
    "#JSGF V1.0;\ngrammar t;\npublic <s0> = turn <s1>;\n<s1> = on <s2> | <NULL>;\n<s2> = <NULL>;\n",
  );
});

Deno.test("toDict: variants numbered like cmudict", () => {
  const lex = new Map([["read", {
    prons: [parseArpabet("R EH D", "x"), parseArpabet("R IY D", "x")],
    source: "cmudict" as const,
  }]]);
  assert.equal(toDict(lex), "read R EH D\nread(2) R IY D\n");
});
