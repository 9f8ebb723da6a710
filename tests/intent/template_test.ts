import assert from "node:assert/strict";
import { parseTemplate, TemplateError } from "../../intent/template.ts";

Deno.test("parseTemplate: words, alternatives, optional parts, slots, ranges, constants, rules", () => {
  assert.deepEqual(parseTemplate("turn on"), {
    kind: "seq",
    items: [{ kind: "word", word: "turn" }, { kind: "word", word: "on" }],
  });
  assert.deepEqual(parseTemplate("(on | off)"), {
    kind: "alt",
    options: [{ kind: "word", word: "on" }, { kind: "word", word: "off" }],
  });
  assert.deepEqual(parseTemplate("[the]"), { kind: "opt", node: { kind: "word", word: "the" } });
  assert.deepEqual(parseTemplate("{device}"), { kind: "slot", slot: "device", list: "device" });
  assert.deepEqual(parseTemplate("{device:light}"), {
    kind: "slot",
    slot: "device",
    list: "light",
  });
  assert.deepEqual(parseTemplate("{value:0..100}"), {
    kind: "range",
    slot: "value",
    min: 0,
    max: 100,
    step: 1,
  });
  assert.deepEqual(parseTemplate("{k:2000..6500,100}"), {
    kind: "range",
    slot: "k",
    min: 2000,
    max: 6500,
    step: 100,
  });
  assert.deepEqual(parseTemplate("{t:5..30,0.5}"), {
    kind: "range",
    slot: "t",
    min: 5,
    max: 30,
    step: 0.5,
  });
  assert.deepEqual(parseTemplate("{area=*}"), { kind: "const", slot: "area", value: "*" });
  assert.deepEqual(parseTemplate("<on>"), { kind: "rule", name: "on" });
});

Deno.test("parseTemplate normalizes words: digits are spelled out, case folded", () => {
  assert.deepEqual(parseTemplate("Bulb 21"), {
    kind: "seq",
    items: [
      { kind: "word", word: "bulb" },
      { kind: "word", word: "twenty" },
      { kind: "word", word: "one" },
    ],
  });
});

Deno.test("parseTemplate errors name the template, the column and the problem", () => {
  const cases: Array<[string, RegExp]> = [
    ["turn (on | off", /column 6: missing "\)"/],
    ["turn on]", /column 8: unexpected "\]"/],
    ["turn [the", /missing "\]"/],
    ["set {value:100..0}", /range 100\.\.0 is empty/],
    ["set {value:0..100000}", /more than 2000 values/],
    ["set {bad name}", /bad slot name "bad name"/],
    ["set {value", /missing "\}"/],
    ["<on", /missing ">"/],
    ["< bad-rule >", /bad rule name/],
    ["()", /empty/],
    ["", /template is empty/],
    ["turn on }", /unexpected "\}"/],
    ["{x=}", /empty constant/],
    ["turn ?? on", /"\?\?" has no letters or digits/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseTemplate(text, "intents.TurnOn[0]"), (err: Error) => {
      assert.ok(err instanceof TemplateError, text);
      assert.match(err.message, /^intents\.TurnOn\[0\]: "/);
      assert.match(err.message, re, `${text}: ${err.message}`);
      return true;
    });
  }
});

Deno.test("{~N}: a recognizer weight in nats, consuming no word; bad weights are named", () => {
  assert.deepEqual(parseTemplate("[{~3} for me]"), {
    kind: "opt",
    node: {
      kind: "seq",
      items: [{ kind: "weight", cost: 3 }, { kind: "word", word: "for" }, {
        kind: "word",
        word: "me",
      }],
    },
  });
  assert.throws(
    () => parseTemplate("x {~}", "t"),
    /t: "x \{~\}": column 3: "\{~\}": a weight is \{~N\}/,
  );
  assert.throws(
    () => parseTemplate("x {~-1}"),
    /a weight is \{~N\} with N a number of nats, 0\.\.50/,
  );
  assert.throws(() => parseTemplate("x {~lots}"), /a weight is/);
});

Deno.test("templates nested deeper than MAX_TEMPLATE_DEPTH are refused with a TemplateError", () => {
  const deep = "(".repeat(5000) + "a" + ")".repeat(5000);
  assert.throws(
    () => parseTemplate(deep, "intents.X[0]"),
    (err: Error) =>
      err instanceof TemplateError &&
      /intents\.X\[0\]: .*column 33: groups nested deeper than 32 levels/.test(err.message),
  );
  const ok = "(".repeat(32) + "a" + ")".repeat(32);
  assert.deepEqual(parseTemplate(ok), { kind: "word", word: "a" });
});
