import assert from "node:assert/strict";
import {
  accepts,
  determinize,
  minimize,
  parseFsg,
  sameLanguage,
  toFsg,
  wordDfa,
} from "../../scripts/asr/fsg.ts";
import { parseHyp, parseHypseg, runBatch, wavInputArgs } from "../../scripts/asr/pocketsphinx.ts";
import { toDict } from "../../scripts/asr/jsgf.ts";
import { grammarAccepts, grammarWords, type WordGrammar } from "../../core/grammar.ts";
import { buildLexicon } from "../../asr/lexicon.ts";
import { loadRegistry } from "../../home/registry.ts";
import { buildCommandGrammar, sampleSentences, seededRandom } from "../../intent/index.ts";
import { tempDir } from "../helpers/audio.ts";

/** "turn (on|off) [the] light [please]" with epsilon arcs, as the template compiler makes them. */
const small: WordGrammar = {
  start: 0,
  final: [false, false, false, false, false, false, true],
  arcs: [
    [{ word: "turn", to: 1 }],
    [{ word: "on", to: 2 }, { word: "off", to: 2 }],
    [{ word: "the", to: 3 }, { word: null, to: 3 }],
    [{ word: "light", to: 4 }],
    [{ word: null, to: 5 }, { word: null, to: 6 }],
    [{ word: "please", to: 6 }],
    [],
  ],
};

Deno.test("toFsg: minimal word DFA, word transitions only, arcs into a continuing final doubled", () => {
  // States: 0 -turn-> 1 -on|off-> 2 -the-> 4 -light-> 3; 2 -light-> 3; 3 -please-> 5 (final).
  // 3 is final too but goes on ("please"), so every "light" also leads straight into 5.
  assert.equal(
    toFsg(small, { name: "t" }),
    [
      "FSG_BEGIN t",
      "NUM_STATES 6",
      "START_STATE 0",
      "FINAL_STATE 5",
      "TRANSITION 0 1 1 turn",
      "TRANSITION 1 2 1 off",
      "TRANSITION 1 2 1 on",
      "TRANSITION 2 3 1 light",
      "TRANSITION 2 5 1 light",
      "TRANSITION 2 4 1 the",
      "TRANSITION 3 5 1 please",
      "TRANSITION 4 3 1 light",
      "TRANSITION 4 5 1 light",
      "FSG_END",
      "",
    ].join("\n"),
  );
});

Deno.test("toFsg: uniform probabilities split over the words of a state (copies share)", () => {
  const fsg = toFsg(small, { probs: "uniform" }).split("\n");
  for (
    const t of ["0 1 1 turn", "1 2 0.5 off", "2 3 0.5 light", "2 5 0.5 light", "2 4 0.5 the"]
  ) {
    assert.ok(fsg.includes(`TRANSITION ${t}`), t);
  }
});

Deno.test("an FSG accepts exactly the grammar's sentences", () => {
  const parsed = parseFsg(toFsg(small));
  for (const s of ["turn on the light", "turn off light please", "turn on light"]) {
    assert.equal(accepts(parsed, s), true, s);
  }
  for (const s of ["turn on", "turn the light", "turn on the the light", "light", ""]) {
    assert.equal(accepts(parsed, s), false, s);
  }
  assert.equal(sameLanguage(wordDfa(small), minimize(determinize(parsed))), null);
});

Deno.test("sameLanguage names a shortest sentence on which two automata differ", () => {
  const other: WordGrammar = {
    start: 0,
    final: [false, false, true],
    arcs: [[{ word: "turn", to: 1 }], [{ word: "on", to: 2 }], []],
  };
  assert.equal(sameLanguage(wordDfa(small), wordDfa(other)), "turn on");
  assert.equal(sameLanguage(wordDfa(small), wordDfa(small)), null);
});

Deno.test("minimize merges equivalent states and drops dead ones", () => {
  // Two copies of "a b" plus a dead branch "a c" that never ends.
  const g: WordGrammar = {
    start: 0,
    final: [false, false, false, true, true, false],
    arcs: [
      [{ word: "x", to: 1 }, { word: "y", to: 2 }],
      [{ word: "b", to: 3 }, { word: "c", to: 5 }],
      [{ word: "b", to: 4 }],
      [],
      [],
      [{ word: "c", to: 5 }],
    ],
  };
  const d = minimize(determinize(g));
  assert.equal(d.arcs.length, 3);
  assert.equal(accepts(d, "x b"), true);
  assert.equal(accepts(d, "y b"), true);
  assert.equal(accepts(d, "x c"), false);
});

Deno.test("toFsg refuses grammars FSG cannot express; parseFsg names bad lines", () => {
  assert.throws(
    () => toFsg({ start: 0, final: [true, true], arcs: [[{ word: "a", to: 1 }], []] }),
    /empty sentence/,
  );
  assert.throws(() => toFsg({ start: 0, final: [false], arcs: [[]] }), /accepts no sentence/);
  assert.throws(() => toFsg(small, { name: "two words" }), /one word/);
  const ok = "FSG_BEGIN x\nNUM_STATES 2\nSTART_STATE 0\nFINAL_STATE 1\n";
  assert.throws(
    () => parseFsg(`${ok}TRANSITION 0 1 1.0\nFSG_END\n`),
    /FSG line 5: null transition/,
  );
  assert.throws(() => parseFsg(`${ok}TRANSITION 0 1 2 a\nFSG_END\n`), /line 5: bad probability/);
  assert.throws(() => parseFsg(`${ok}TRANSITION 0 7 1 a\nFSG_END\n`), /0 -> 7 >= 2/);
  assert.throws(() => parseFsg(`${ok}ARC 0 1\nFSG_END\n`), /unknown keyword "ARC"/);
  assert.throws(() => parseFsg(`${ok}TRANSITION 0 1 1 a\n`), /missing FSG_BEGIN or FSG_END/);
  assert.equal(accepts(parseFsg(`${ok}T 0 1 1 a\nFSG_END\n`), "a"), true);
});

const registry = await loadRegistry("devices/example.devices.json");
const grammar = buildCommandGrammar(registry);

Deno.test("the example registry's command grammar: same language, far fewer states, no epsilons", () => {
  const fsg = toFsg(grammar);
  const parsed = parseFsg(fsg);
  assert.equal(sameLanguage(wordDfa(grammar), minimize(determinize(parsed))), null);
  assert.ok(parsed.arcs.length < grammar.arcs.length / 4, `${parsed.arcs.length} states`);
  const r = seededRandom(5);
  for (const s of sampleSentences(registry, 300, r)) assert.equal(accepts(parsed, s), true, s);
  const others = [
    "what is the weather like tomorrow",
    "turn on the",
    "turn on the kitchen light kitchen light",
    "please please turn on the kitchen light",
    "the cat sat on the mat",
  ];
  for (const s of others) assert.equal(accepts(parsed, s), grammarAccepts(grammar, s), s);
  assert.equal(accepts(parsed, others[0]), false);
});

Deno.test("pocketsphinx_batch loads the FSG without null transitions and decodes a command", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.writeTextFile(`${d}/g.fsg`, toFsg(grammar));
  const { lexicon } = await buildLexicon(grammarWords(grammar));
  await Deno.writeTextFile(`${d}/g.dict`, toDict(lexicon));
  const text = "turn on the kitchen light";
  const tts = await new Deno.Command("espeak-ng", {
    args: ["-v", "en-us", "-w", `${d}/raw.wav`, text],
  }).output();
  assert.ok(tts.success, "espeak-ng");
  const sox = await new Deno.Command("sox", {
    args: [`${d}/raw.wav`, "-r", "16000", "-b", "16", "-c", "1", `${d}/u1.wav`],
  }).output();
  assert.ok(sox.success, "sox");
  await Deno.writeTextFile(`${d}/ctl`, "u1\n");
  const run = await runBatch([
    ...wavInputArgs(d),
    "-ctl",
    `${d}/ctl`,
    "-fsg",
    `${d}/g.fsg`,
    "-dict",
    `${d}/g.dict`,
    "-hyp",
    `${d}/out.hyp`,
    "-hypseg",
    `${d}/out.seg`,
  ], { log: `${d}/log`, timeoutS: 120 });
  assert.equal(run.code, 0, run.logTail);
  const log = await Deno.readTextFile(`${d}/log`);
  assert.match(log, /transitions \(0 null\)/);
  const hyp = parseHyp(await Deno.readTextFile(`${d}/out.hyp`)).get("u1");
  assert.ok(hyp !== undefined && grammarAccepts(grammar, hyp), `hypothesis "${hyp}"`);
  assert.equal(hyp, text);
  const seg = parseHypseg(await Deno.readTextFile(`${d}/out.seg`)).get("u1")!;
  assert.deepEqual(
    seg.segments.map((s) => s.word.replace(/\(\d+\)$/, "")).filter((w) => !/^[<[]/.test(w)),
    hyp!.split(" "),
  );
  assert.ok(seg.ef > seg.segments[0].sf && seg.ascr < 0);
});

Deno.test("parseHypseg: keyphrases with spaces, final end frame; parseHyp: empty results", () => {
  const seg = parseHypseg(
    "pos S 0 T -1000 A -900 L -100 4163 -55718 0 hey computer3  2407 -36196 0 hey computer3  1497\n" +
      "u2 S 0 T -5 A -5 L 0 0 -3 0 <sil> 12 -2 0 turn(2) 40\n",
  );
  assert.deepEqual(seg.get("pos")!.segments, [
    { sf: 4163, ascr: -55718, lscr: 0, word: "hey computer3" },
    { sf: 2407, ascr: -36196, lscr: 0, word: "hey computer3" },
  ]);
  assert.equal(seg.get("pos")!.ef, 1497);
  assert.equal(seg.get("pos")!.ascr, -900);
  assert.deepEqual(seg.get("u2")!.segments.map((s) => s.word), ["<sil>", "turn(2)"]);
  assert.equal(seg.get("u2")!.ef, 40);
  const hyp = parseHyp("turn on the light (clean/ev00001 -6647)\n (clean/ev00002 0)\n");
  assert.equal(hyp.get("clean/ev00001"), "turn on the light");
  assert.equal(hyp.get("clean/ev00002"), "");
});
