import assert from "node:assert/strict";
import {
  buildLexicon,
  DEFAULT_CMUDICT,
  ipaToArpabet,
  LexiconError,
  parseArpabet,
  parseCmudict,
} from "../../asr/lexicon.ts";
import { NUM_LABELS, phoneIndex, phoneName } from "../../core/phones.ts";

Deno.test("phone set: 39 ARPAbet phones plus blank, indices round-trip", () => {
  assert.equal(NUM_LABELS, 40);
  assert.equal(phoneName(0), "<blank>");
  assert.equal(phoneIndex("AA"), 1);
  assert.equal(phoneName(phoneIndex("ZH")), "ZH");
  assert.throws(() => phoneIndex("AA1"), /unknown phone "AA1"/);
  assert.throws(() => phoneName(40), /out of range/);
});

Deno.test("parseArpabet drops stress and rejects unknown phones with the place", () => {
  assert.deepEqual(parseArpabet("G ER0 AA1 ZH", "x"), ["G", "ER", "AA", "ZH"]);
  assert.throws(() => parseArpabet("G XX", "devices.json:3"), /devices.json:3: unknown phone "XX"/);
  assert.throws(() => parseArpabet("  ", "w"), /w: empty pronunciation/);
});

Deno.test("parseCmudict keeps only wanted words, merges variants, names bad lines", () => {
  const dict = "# c\nread R EH D\nread(2) R IY D\nred R EH D\nlamp L AE1 M P\n";
  const m = parseCmudict(dict, new Set(["read", "lamp"]));
  assert.deepEqual(m.get("read"), [["R", "EH", "D"], ["R", "IY", "D"]]);
  assert.deepEqual(m.get("lamp"), [["L", "AE", "M", "P"]]);
  assert.equal(m.has("red"), false);
  assert.throws(
    () => parseCmudict("ok OW K EY\nlamp L QQ P\n", new Set(["lamp"]), "my.dict"),
    /my.dict:2: unknown phone "QQ"/,
  );
});

Deno.test("ipaToArpabet maps espeak-ng IPA, including rhotic and syllabic symbols", () => {
  assert.deepEqual(ipaToArpabet("z_ˈɪ_ɡ_b_iː"), ["Z", "IH", "G", "B", "IY"]);
  assert.deepEqual(ipaToArpabet("n_ˌæ_n_oʊ_l_ˈiː_f"), ["N", "AE", "N", "OW", "L", "IY", "F"]);
  assert.deepEqual(ipaToArpabet("b_ˈʌ_ʔ_n̩"), ["B", "AH", "T", "AH", "N"]);
  assert.deepEqual(ipaToArpabet("f_ˈaɪɚ"), ["F", "AY", "ER"]);
  assert.deepEqual(ipaToArpabet("tʃ_ˈɜː_tʃ"), ["CH", "ER", "CH"]);
  assert.throws(() => ipaToArpabet("b_ʘ"), /no ARPAbet mapping for IPA symbol "ʘ"/);
});

Deno.test("buildLexicon: cmudict words, espeak-ng fallback with warning, user entries", async () => {
  const { lexicon, warnings, missing } = await buildLexicon(
    ["kitchen", "zigbee", "garage", "door", "Hue"],
    { extra: { hue: "HH Y UW1" } },
  );
  assert.deepEqual(lexicon.get("kitchen"), {
    prons: [["K", "IH", "CH", "AH", "N"]],
    source: "cmudict",
  });
  assert.equal(lexicon.get("garage")!.source, "cmudict");
  assert.equal(lexicon.get("door")!.source, "cmudict");
  assert.deepEqual(lexicon.get("zigbee"), {
    prons: [["Z", "IH", "G", "B", "IY"]],
    source: "espeak",
  });
  assert.deepEqual(lexicon.get("hue"), { prons: [["HH", "Y", "UW"]], source: "user" });
  assert.deepEqual(missing, []);
  assert.deepEqual(warnings, [
    "pronunciations guessed by espeak-ng (not in cmudict): zigbee (Z IH G B IY)",
  ]);
});

Deno.test("buildLexicon: all guessed words share one warning line", async () => {
  const r = await buildLexicon(["lamp", "zigbee", "nanoleaf", "tasmota"]);
  assert.deepEqual(r.guessed, ["nanoleaf", "tasmota", "zigbee"]);
  assert.equal(r.warnings.length, 1);
  assert.match(
    r.warnings[0],
    /^pronunciations guessed by espeak-ng \(not in cmudict\): nanoleaf \(/,
  );
  assert.match(r.warnings[0], /, zigbee \(Z IH G B IY\)$/);
});

Deno.test("buildLexicon: the bundled cmudict (npm cmu-pronouncing-dictionary) is the default", async () => {
  assert.match(DEFAULT_CMUDICT, /node_modules\/cmu-pronouncing-dictionary\/index\.js$/);
  const r = await buildLexicon(["read", "the", "thermostat"], { espeak: false });
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.lexicon.get("read"), {
    prons: [["R", "EH", "D"], ["R", "IY", "D"]],
    source: "cmudict",
  });
  assert.equal(r.lexicon.get("thermostat")!.source, "cmudict");
});

Deno.test("parseCmudict reads the npm module layout and names bad lines", () => {
  const js = 'export const dictionary = {\n  "read": "R EH1 D",\n  "read(2)": "R IY1 D",\n' +
    '  "lamp": "L AE1 M P"\n}\n';
  const m = parseCmudict(js, new Set(["read", "lamp"]));
  assert.deepEqual(m.get("read"), [["R", "EH", "D"], ["R", "IY", "D"]]);
  assert.deepEqual(m.get("lamp"), [["L", "AE", "M", "P"]]);
  assert.throws(
    () => parseCmudict('export const d = {\n  "lamp": "L QQ P",\n}', new Set(["lamp"]), "x.js"),
    /x.js:2: unknown phone "QQ"/,
  );
});

Deno.test("buildLexicon: words outside cmudict with espeak-ng missing are a LexiconError", async () => {
  await assert.rejects(
    () => buildLexicon(["lamp", "zorblax", "quibbix"], { espeak: "/nonexistent/espeak-ng" }),
    (err: Error) =>
      err instanceof LexiconError &&
      /no pronunciation for quibbix, zorblax: not in cmudict, and espeak-ng/.test(err.message),
  );
  // Nothing to guess: a missing espeak-ng does not matter.
  const ok = await buildLexicon(["lamp"], { espeak: "/nonexistent/espeak-ng" });
  assert.deepEqual(ok.warnings, []);
});

Deno.test("buildLexicon reports words nothing can pronounce", async () => {
  const r1 = await buildLexicon(["lamp", "qzxv"], { espeak: false });
  assert.deepEqual(r1.missing, ["qzxv"]);
  assert.match(r1.warnings[0], /"qzxv" \(not in cmudict, espeak-ng fallback off\)/);
  const r3 = await buildLexicon(["lamp", "light2", "a b"]);
  assert.deepEqual(r3.missing, ["light2", "a b"]);
  assert.equal(r3.warnings.length, 1);
  assert.match(
    r3.warnings[0],
    /no pronunciation, cannot be recognized: "light2" \(not a plain lower-case word\), "a b"/,
  );
  const r4 = await buildLexicon(["lamp"], { cmudict: "/nonexistent.dict" });
  assert.equal(r4.lexicon.get("lamp")!.source, "espeak");
  assert.match(r4.warnings[0], /cmudict \/nonexistent.dict: cannot read/);
  await assert.rejects(
    () => buildLexicon(["hue"], { extra: { hue: "HH YY" } }),
    (err: Error) =>
      err instanceof LexiconError &&
      /asr.pronunciations.hue\[0\]: unknown phone "YY"/.test(err.message),
  );
});

Deno.test("lexicon: built-in sentence words outside cmudict come from the project's supplement, not espeak-ng", async () => {
  const { lexicon, guessed, warnings } = await buildLexicon(["dimmest", "kitchen"], {
    espeak: false,
  });
  assert.deepEqual(lexicon.get("dimmest"), {
    prons: [["D", "IH", "M", "AH", "S", "T"]],
    source: "supplement",
  });
  assert.equal(lexicon.get("kitchen")?.source, "cmudict");
  assert.deepEqual(guessed, []);
  assert.deepEqual(warnings, []);
});
