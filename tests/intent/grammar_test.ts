import assert from "node:assert/strict";
import { closure, grammarAccepts, grammarWords } from "../../core/grammar.ts";
import {
  buildCommandGrammar,
  countSentences,
  DEFAULT_TEMPLATES,
  enumerateSentences,
  mergeTemplates,
  parseIntent,
  sampleCommands,
  sampleSentences,
  seededRandom,
  TemplateError,
} from "../../intent/index.ts";
import { parseRegistry } from "../../home/registry.ts";
import { testRegistry } from "./helpers.ts";

Deno.test("the grammar accepts the commands of the registry and rejects others", () => {
  const g = buildCommandGrammar(testRegistry());
  for (
    const s of [
      "turn on the kitchen light",
      "switch off reading lamp",
      "set the kitchen light to twenty one percent",
      "set the kitchen light to two thousand seven hundred kelvin",
      "set the thermostat to twenty one degrees",
      "open the blinds",
      "set the blinds to fifty percent",
      "set the ceiling fan to high",
      "activate movie time",
      "is the kitchen light on",
      "turn on the lights",
      "turn off the lights in the lounge",
      "cancel",
    ]
  ) assert.ok(grammarAccepts(g, s), s);
  for (
    const s of [
      "turn on the garage light", // no such device
      "set the kitchen light to 21 percent", // digits are never grammar words
      "set the counter lights to two thousand seven hundred kelvin", // no colorTemp feature
      "set the kitchen light to one hundred one percent", // out of range
      "turn on",
      "",
    ]
  ) assert.ok(!grammarAccepts(g, s), s);
});

Deno.test("every grammar word is lower-case letters; numbers are spelled out", () => {
  const words = grammarWords(buildCommandGrammar(testRegistry()));
  for (const w of words) assert.match(w, /^[a-z]+$/, w);
  for (const w of ["twenty", "one", "hundred", "thousand", "kelvin", "percent", "lounge"]) {
    assert.ok(words.has(w), w);
  }
});

Deno.test("every state is reachable and can reach a final state (pruned, acyclic)", () => {
  const g = buildCommandGrammar(testRegistry());
  const finals = g.final.filter(Boolean).length;
  assert.equal(finals, 1);
  const canFinish = new Array(g.arcs.length).fill(false);
  for (let pass = 0; pass < g.arcs.length; pass++) {
    let changed = false;
    g.arcs.forEach((arcs, s) => {
      if (!canFinish[s] && (g.final[s] || arcs.some((a) => canFinish[a.to]))) {
        canFinish[s] = changed = true;
      }
    });
    if (!changed) break;
  }
  assert.ok(canFinish.every(Boolean));
  assert.ok(closure(g, new Set([g.start])).size > 10);
});

Deno.test("sampled sentences are accepted and parse to the intent that generated them", () => {
  const reg = testRegistry();
  const g = buildCommandGrammar(reg);
  const samples = sampleCommands(g, 300, seededRandom(42));
  assert.equal(samples.length, 300);
  let same = 0;
  for (const c of samples) {
    assert.ok(grammarAccepts(g, c.text), c.text);
    const p = parseIntent(c.text, reg);
    assert.ok(p, c.text);
    assert.equal(p.confidence, 1, c.text);
    if (p.name === c.intent) same++;
  }
  // A few sentences are ambiguous (e.g. "stop the blinds" vs. a group); nearly all agree.
  assert.ok(same >= 290, `${same}/300`);
});

Deno.test("sampleSentences is reproducible with a seeded rng", () => {
  const reg = testRegistry();
  const a = sampleSentences(reg, 20, seededRandom(7));
  const b = sampleSentences(reg, 20, seededRandom(7));
  assert.deepEqual(a, b);
  assert.ok(new Set(a).size > 10);
});

Deno.test("countSentences and enumerateSentences agree on a small template set", () => {
  const reg = testRegistry();
  const templates = {
    rules: {},
    lists: { onoff: { on: "on", off: "off" } },
    intents: { Switch: ["(turn | switch) {state:onoff} [the] {device:switchable}"] },
  };
  const g = buildCommandGrammar(reg, templates);
  const all = [...enumerateSentences(g)];
  // 2 verbs * 2 states * 2 (the) * 6 switchable names
  assert.equal(countSentences(g), 48);
  assert.equal(all.length, 48);
  assert.ok(all.includes("switch off the reading lamp"));
  assert.deepEqual([...enumerateSentences(g, 5)].length, 5);
});

Deno.test("templates whose list is empty are dropped, not broken", () => {
  const reg = parseRegistry({ areas: [], devices: [] }, "empty.json");
  const g = buildCommandGrammar(reg);
  assert.ok(grammarAccepts(g, "cancel"));
  assert.ok(!grammarAccepts(g, "turn on the light"));
  assert.equal(parseIntent("turn on the kitchen light", reg), null);
});

Deno.test("registry templates extend the built-in ones", () => {
  const reg = testRegistry({
    templates: {
      rules: { wake_up: "(good morning | wake up)" },
      intents: {
        TurnOn: ["<wake_up> {device=kitchen_light}"],
        Goodnight: ["good night [everyone]"],
      },
    },
  });
  assert.deepEqual(parseIntent("good morning", reg)?.slots, { device: "kitchen_light" });
  assert.equal(parseIntent("good night everyone", reg)?.name, "Goodnight");
  assert.equal(parseIntent("turn on the kitchen light", reg)?.name, "TurnOn");
});

Deno.test("bad templates fail with the intent, index and problem", () => {
  const reg = testRegistry();
  const bad: Array<[Record<string, string[]>, Record<string, string>, RegExp]> = [
    [{ X: ["turn on {device:nolist}"] }, {}, /intents\.X\[0\]: unknown list "nolist"/],
    [{ X: ["ok", "<missing>"] }, {}, /intents\.X\[1\]: unknown rule <missing>/],
    [{ X: ["<a>"] }, { a: "<b>", b: "x <a>" }, /rule cycle a -> b -> a/],
    [{ X: ["turn (on"] }, {}, /intents\.X\[0\]: "turn \(on": column 6/],
    [{ "bad name": ["x"] }, {}, /intent names/],
  ];
  for (const [intents, rules, re] of bad) {
    assert.throws(
      () => buildCommandGrammar(reg, { rules, lists: {}, intents }),
      (e: Error) => e instanceof TemplateError && re.test(e.message),
      re.source,
    );
  }
});

Deno.test("the grammar follows registry changes (imports)", () => {
  const reg = testRegistry();
  const before = buildCommandGrammar(reg);
  assert.equal(buildCommandGrammar(reg), before, "cached while unchanged");
  reg.add({
    name: "garage light",
    type: "light",
    adapter: { type: "zigbee2mqtt", name: "garage", baseTopic: "zigbee2mqtt", setpoint: "x" },
  });
  const after = buildCommandGrammar(reg);
  assert.notEqual(after, before);
  assert.ok(grammarAccepts(after, "turn on the garage light"));
});

Deno.test("weights reach the grammar's arcs for the recognizer; the text parser ignores them", () => {
  const reg = testRegistry();
  const templates = mergeTemplates(DEFAULT_TEMPLATES, {
    intents: { TurnOn: ["{~5} lights ahoy {domain=light}"] },
  });
  const g = buildCommandGrammar(reg, templates);
  assert.ok(g.arcs.some((list) => list.some((a) => a.weight === 5)));
  const p = parseIntent("lights ahoy", reg, { templates, area: "kitchen" });
  assert.equal(p?.confidence, 1);
  assert.deepEqual(p?.slots, { domain: "light", area: "kitchen" });
});
