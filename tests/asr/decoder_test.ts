import assert from "node:assert/strict";
import type { WordGrammar } from "../../core/grammar.ts";
import { CtcGrammarDecoder, logAdd } from "../../asr/decoder.ts";
import { buildGraph } from "../../asr/graph.ts";
import { type Lexicon, parseArpabet } from "../../asr/lexicon.ts";
import { NUM_LABELS, phoneIndex } from "../../core/phones.ts";

/** A tiny lexicon with fixed pronunciations (no files, no espeak). */
function lexicon(entries: Record<string, string[]>): Lexicon {
  const lex: Lexicon = new Map();
  for (const [w, prons] of Object.entries(entries)) {
    lex.set(w, { prons: prons.map((p) => parseArpabet(p, w)), source: "user" });
  }
  return lex;
}

const LEX = lexicon({
  turn: ["T ER N"],
  on: ["AA N", "AO N"],
  off: ["AO F"],
  the: ["DH AH"],
  light: ["L AY T"],
  lights: ["L AY T S"],
  lamp: ["L AE M P"],
  kitchen: ["K IH CH AH N"],
  stop: ["S T AA P"],
  // A word of the test "speech" that the grammar does not contain.
  hello: ["HH AH L OW"],
  world: ["W ER L D"],
});

/**
 * "turn (on|off) [the] [kitchen] (light|lights|lamp)" | "stop"
 * States: 0 -turn-> 1 -on/off-> 2 -the/eps-> 3 -kitchen/eps-> 4 -device-> 5 (final);
 * 0 -stop-> 5.
 */
function commandGrammar(): WordGrammar {
  return {
    start: 0,
    final: [false, false, false, false, false, true],
    arcs: [
      [{ word: "turn", to: 1 }, { word: "stop", to: 5 }],
      [{ word: "on", to: 2 }, { word: "off", to: 2 }],
      [{ word: "the", to: 3 }, { word: null, to: 3 }],
      [{ word: "kitchen", to: 4 }, { word: null, to: 4 }],
      [{ word: "light", to: 5 }, { word: "lights", to: 5 }, { word: "lamp", to: 5 }],
      [],
    ],
  };
}

/**
 * Log-prob frames for a label path: each entry is a phone name or "_" (blank);
 * the named label gets probability `p`, the rest share 1 - p.
 */
function frames(path: string[], p = 0.9): Float32Array {
  const out = new Float32Array(path.length * NUM_LABELS);
  path.forEach((sym, t) => {
    const target = sym === "_" ? 0 : phoneIndex(sym);
    for (let k = 0; k < NUM_LABELS; k++) {
      out[t * NUM_LABELS + k] = Math.log(k === target ? p : (1 - p) / (NUM_LABELS - 1));
    }
  });
  return out;
}

/** Spell words as a CTC path: each phone twice, blanks between words and at the ends. */
function spell(words: string[], lex = LEX): string[] {
  const path = ["_", "_"];
  for (const w of words) {
    for (const ph of lex.get(w)!.prons[0]) path.push(ph, ph);
    path.push("_");
  }
  path.push("_", "_");
  return path;
}

Deno.test("logAdd is log(exp a + exp b) and handles -Infinity", () => {
  assert.ok(Math.abs(logAdd(Math.log(0.25), Math.log(0.5)) - Math.log(0.75)) < 1e-12);
  assert.equal(logAdd(-Infinity, -3), -3);
  assert.equal(logAdd(-3, -Infinity), -3);
});

Deno.test("buildGraph: shared tries, word ends with final flags, warnings for unknown words", () => {
  const g = buildGraph(commandGrammar(), LEX);
  assert.deepEqual(g.unpronounceable, []);
  // start trie: turn, stop -> 2 first phones
  assert.deepEqual(
    [...g.children[g.start].keys()].sort(),
    [phoneIndex("T"), phoneIndex("S")].sort(),
  );
  const finals = [...new Set(g.wordEnds.flat().filter((e) => e.final).map((e) => e.word))].sort();
  assert.deepEqual(finals, ["lamp", "light", "lights", "stop"]);
  const noPron: WordGrammar = {
    start: 0,
    final: [false, true],
    arcs: [[{ word: "stop", to: 1 }, { word: "zorblax", to: 1 }], []],
  };
  assert.deepEqual(buildGraph(noPron, LEX).unpronounceable, ["zorblax"]);
});

Deno.test("buildGraph rejects malformed and unpronounceable grammars with a reason", () => {
  const g = commandGrammar();
  assert.throws(() => buildGraph({ ...g, start: 9 }, LEX), /start state 9 out of range 0..5/);
  assert.throws(() => buildGraph({ ...g, final: [true] }, LEX), /final has 1 entries for 6 states/);
  assert.throws(
    () => buildGraph({ start: 0, final: [false, true], arcs: [[{ word: "x", to: 7 }], []] }, LEX),
    /arcs\[0\]\[0\] goes to missing state 7/,
  );
  assert.throws(
    () => buildGraph({ start: 0, final: [false, true], arcs: [[{ word: "qq", to: 1 }], []] }, LEX),
    /no pronounceable word leaves the start state \(no pronunciation for: qq\)/,
  );
  assert.throws(
    () =>
      buildGraph({ start: 0, final: [false, false], arcs: [[{ word: "stop", to: 1 }], []] }, LEX),
    /no complete sentence can be pronounced/,
  );
});

Deno.test("decoder: exact sentence from a clean path, with and without optional words", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  for (
    const words of [
      ["turn", "on", "the", "kitchen", "light"],
      ["turn", "off", "lamp"],
      ["turn", "on", "the", "lights"],
      ["stop"],
    ]
  ) {
    dec.reset();
    dec.push(frames(spell(words)));
    const r = dec.result();
    assert.equal(r.text, words.join(" "));
    assert.ok(r.confidence > 0.9, `${r.text}: confidence ${r.confidence}`);
    assert.ok(
      r.posterior > 0.98,
      `${r.text}: posterior ${r.posterior} ${JSON.stringify(r.alternatives)}`,
    );
  }
});

Deno.test("decoder: alternative pronunciation (on = AO N) decodes the same word", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  const path = ["_", "T", "ER", "N", "_", "AO", "AO", "N", "_", "L", "AE", "M", "P", "_"];
  dec.push(frames(path));
  assert.equal(dec.result().text, "turn on lamp");
});

Deno.test("decoder: a repeated phone across words needs a blank (CTC collapse)", () => {
  // "lights stop": ... T S | S T ... With a blank between the S's both words survive.
  const lex = lexicon({ a: ["S"], b: ["S"] });
  const g: WordGrammar = {
    start: 0,
    final: [false, true, true],
    arcs: [[{ word: "a", to: 1 }], [{ word: "b", to: 2 }], []],
  };
  const dec = new CtcGrammarDecoder(buildGraph(g, lex));
  dec.push(frames(["_", "S", "S", "_", "S", "_"]));
  assert.equal(dec.result().text, "a b");
  dec.reset();
  dec.push(frames(["_", "S", "S", "S", "S", "_"]));
  assert.equal(dec.result().text, "a");
});

Deno.test("decoder: ambiguous audio yields ranked alternatives with calibrated shares", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  // "turn on the light" then a weak S: "lights" vs "light".
  const path = spell(["turn", "on", "the", "light"]).slice(0, -3);
  const f = frames(path);
  const s = new Float32Array(NUM_LABELS);
  for (let k = 0; k < NUM_LABELS; k++) {
    s[k] = Math.log(k === 0 ? 0.5 : k === phoneIndex("S") ? 0.45 : 0.05 / 38);
  }
  const tail = frames(["_", "_"]);
  const all = new Float32Array(f.length + s.length + tail.length);
  all.set(f);
  all.set(s, f.length);
  all.set(tail, f.length + s.length);
  dec.push(all);
  const r = dec.result();
  assert.equal(r.text, "turn on the light");
  assert.equal(r.alternatives[0].text, "turn on the lights");
  assert.ok(r.alternatives[0].confidence < r.confidence);
  assert.ok(r.posterior > 0.5 && r.posterior < 0.8, `posterior ${r.posterior}`);
});

Deno.test("decoder: out-of-grammar speech gets a low confidence", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  dec.push(frames(spell(["hello", "world"])));
  const r = dec.result();
  assert.ok(r.confidence < 0.1, `OOG confidence ${r.confidence} for "${r.text}"`);
  dec.reset();
  dec.push(frames(spell(["turn", "on", "the", "kitchen", "light"])));
  assert.ok(dec.result().confidence > 0.9);
});

Deno.test("decoder: incremental pushes equal one push; early commit when complete", () => {
  const g = buildGraph(commandGrammar(), LEX);
  const f = frames(spell(["turn", "off", "the", "lamp"]));
  const whole = new CtcGrammarDecoder(g);
  whole.push(f);
  const inc = new CtcGrammarDecoder(g);
  const completeAt: number[] = [];
  for (let t = 0; t < f.length / NUM_LABELS; t++) {
    inc.push(f.subarray(t * NUM_LABELS, (t + 1) * NUM_LABELS));
    if (inc.complete()) completeAt.push(t);
  }
  assert.deepEqual(inc.result(), whole.result());
  // Complete from the first frame of the P of "lamp": 2 blanks, turn 7, off 5, the 5, L AE M 6.
  assert.equal(completeAt[0], 2 + 7 + 5 + 5 + 6);
  assert.equal(inc.partial(), "turn off the lamp");
});

Deno.test("decoder: an incomplete command is not confidently completed; empty input has no text", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  dec.push(frames(spell(["turn", "on"])));
  // The only complete sentences in the beam insert unheard phones: far below the threshold.
  const r = dec.result();
  assert.ok(r.confidence < 0.05, `"${r.text}" confidence ${r.confidence}`);
  dec.reset();
  assert.equal(dec.result().text, "");
  assert.equal(dec.frames, 0);
});

Deno.test("decoder rejects bad input with a clear message", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  assert.throws(() => dec.push(new Float32Array(41)), /41 values is not a multiple of 40/);
  const nan = frames(["_"]);
  nan[3] = NaN;
  assert.throws(() => dec.push(nan), /frame 0 label 3 is NaN/);
  const probs = new Float32Array(NUM_LABELS).fill(1 / NUM_LABELS);
  assert.throws(() => dec.push(probs), /expected log-probabilities/);
  assert.throws(() => dec.push(new Float32Array(NUM_LABELS).fill(-Infinity)), /no finite label/);
  assert.throws(
    () => new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX), { beamWidth: 0 }),
    /beamWidth must be a positive integer/,
  );
});

Deno.test("decoder: clone decodes assumed frames without touching the original", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  const path = spell(["turn", "off", "the", "lamp"]);
  dec.push(frames(path.slice(0, 25))); // up to M of "lamp", P not heard yet
  assert.equal(dec.complete(), false);
  const spec = dec.clone();
  spec.push(frames(["P", "P", "_", "_"]));
  assert.equal(spec.complete(), true);
  assert.equal(spec.result().text, "turn off the lamp");
  assert.equal(dec.complete(), false);
  assert.equal(dec.frames, 25);
  assert.equal(spec.frames, 29);
});

Deno.test("decoder: complete(margin) accepts a sentence whose last phone is weak", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  const path = spell(["turn", "off", "the", "lamp"]).slice(0, 25);
  const f = frames([...path, "_", "_", "_"]);
  // One weak P (probability 0.02) among the blanks: the best path never emits it.
  const weak = frames(["_"]);
  for (let k = 0; k < NUM_LABELS; k++) {
    weak[k] = Math.log(k === 0 ? 0.9 : k === phoneIndex("P") ? 0.02 : 0.08 / 38);
  }
  const all = new Float32Array(f.length + weak.length);
  all.set(f.subarray(0, 26 * NUM_LABELS));
  all.set(weak, 26 * NUM_LABELS);
  all.set(f.subarray(26 * NUM_LABELS), 27 * NUM_LABELS);
  dec.push(all.subarray(0, f.length + weak.length));
  assert.equal(dec.complete(), false);
  assert.equal(dec.complete(7), true);
  assert.equal(dec.result().text, "turn off the lamp");
});

Deno.test("decoder: a phone bonus keeps weakly emitted optional words the model half-dropped", () => {
  // "turn on the light" where "the" is heard only weakly: each of its phones for one frame at
  // probability 0.3 (the rest of the frame goes mostly to blank), as CTC models emit short
  // function words.
  const path = spell(["turn", "on"]);
  path.splice(path.length - 2, 2);
  const weak = frames(path);
  const the = new Float32Array(2 * NUM_LABELS);
  ["DH", "AH"].forEach((ph, t) => {
    for (let k = 0; k < NUM_LABELS; k++) {
      const p = k === phoneIndex(ph) ? 0.3 : k === 0 ? 0.65 : 0.05 / (NUM_LABELS - 2);
      the[t * NUM_LABELS + k] = Math.log(p);
    }
  });
  const rest = frames(["_", ...spell(["light"]).slice(2)]);
  const all = new Float32Array(weak.length + the.length + rest.length);
  all.set(weak);
  all.set(the, weak.length);
  all.set(rest, weak.length + the.length);
  const plain = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  plain.push(all);
  assert.equal(plain.result().text, "turn on light");
  const withBonus = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX), { phoneBonus: 1 });
  withBonus.push(all);
  assert.equal(withBonus.result().text, "turn on the light");
  // The clone keeps the bonus.
  const c = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX), { phoneBonus: 1 }).clone();
  c.push(all);
  assert.equal(c.result().text, "turn on the light");
  assert.throws(
    () => new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX), { phoneBonus: NaN }),
    /phoneBonus must be a finite number/,
  );
});

Deno.test("decoder: complete(margin, slack) accepts a last word missing its final phones", () => {
  // "turn off the kitchen lamp" with "L AE" heard and "M P" never emitted before silence.
  const path = spell(["turn", "off", "the", "kitchen"]);
  path.splice(path.length - 2, 2, "L", "L", "AE", "AE", "_", "_", "_", "_");
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  dec.push(frames(path));
  assert.equal(dec.complete(0), false);
  assert.equal(dec.complete(0, 1), false, "two phones are missing, one allowed");
  assert.equal(dec.complete(0, 2), true);
  assert.equal(dec.complete(7, 2), true);
  // Mid-sentence ("turn off the kit"), no slack makes a sentence of it.
  const mid = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  mid.push(frames(spell(["turn", "off", "the"])));
  assert.equal(mid.complete(7, 3), false);
});

Deno.test("decoder: a lead-in absorbs what precedes the command (a wake phrase's tail)", () => {
  const dec = new CtcGrammarDecoder(buildGraph(commandGrammar(), LEX));
  // "... (comput)er turn off the lamp": the tail "P Y UW T ER" is no word of the grammar.
  const tail = ["P", "P", "Y", "UW", "UW", "T", "ER", "ER"];
  const path = [...tail, ...spell(["turn", "off", "the", "lamp"])];
  dec.reset();
  dec.push(frames(path));
  const forced = dec.result();
  dec.reset(10);
  assert.equal(dec.started, false);
  dec.push(frames(path.slice(0, 5)));
  assert.equal(dec.started, false, "the tail alone starts no word");
  dec.push(frames(path.slice(5)));
  assert.equal(dec.started, true);
  const r = dec.result();
  assert.equal(r.text, "turn off the lamp");
  assert.ok(r.confidence > 0.9, `confidence ${r.confidence}`);
  assert.ok(
    r.logProb > forced.logProb + 10,
    `lead-in ${r.logProb} vs forced ${forced.logProb} (${forced.text})`,
  );
  // The lead-in is only the first frames: the same tail later in the utterance is not free.
  dec.reset(2);
  dec.push(frames(["_", "_", ...tail, ...spell(["turn", "off", "lamp"])]));
  assert.ok(dec.result().confidence < 0.5, `late junk accepted at ${dec.result().confidence}`);
  assert.throws(() => dec.reset(-1), /leadIn must be a non-negative integer, got -1/);
  assert.throws(() => dec.reset(1.5), /leadIn must be a non-negative integer, got 1.5/);
});

Deno.test("arc weights: a rarer phrasing costs its nats, so it yields when the audio is a tie", () => {
  // "light" and "lite" sound the same; the weighted path to either loses.
  const lex = lexicon({ light: ["L AY T"], lite: ["L AY T"] });
  const grammar = (weightLight: number, weightLite: number): WordGrammar => ({
    start: 0,
    final: [false, false, false, true],
    arcs: [
      [{ word: null, to: 1, weight: weightLight }, { word: null, to: 2, weight: weightLite }],
      [{ word: "light", to: 3 }],
      [{ word: "lite", to: 3 }],
      [],
    ],
  });
  const audio = frames(spell(["light"], lex));
  const decode = (a: number, b: number) => {
    const d = new CtcGrammarDecoder(buildGraph(grammar(a, b), lex), { beamWidth: 8 });
    d.push(audio);
    return d.result();
  };
  assert.equal(decode(0, 3).text, "light");
  assert.equal(decode(3, 0).text, "lite");
  const free = decode(0, 0);
  const weighted = decode(3, 4);
  assert.ok(
    Math.abs(free.logProb - weighted.logProb - 3) < 1e-6,
    `${free.logProb} ${weighted.logProb}`,
  );
});
