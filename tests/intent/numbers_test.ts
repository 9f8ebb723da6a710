import assert from "node:assert/strict";
import { normalizeText, numberToWords, tokenize, wordsToNumber } from "../../core/text.ts";

Deno.test("numberToWords spells numbers the way the grammar expects", () => {
  assert.equal(numberToWords(0), "zero");
  assert.equal(numberToWords(7), "seven");
  assert.equal(numberToWords(13), "thirteen");
  assert.equal(numberToWords(20), "twenty");
  assert.equal(numberToWords(21), "twenty one");
  assert.equal(numberToWords(100), "one hundred");
  assert.equal(numberToWords(105), "one hundred five");
  assert.equal(numberToWords(2700), "two thousand seven hundred");
  assert.equal(numberToWords(6500), "six thousand five hundred");
  assert.equal(numberToWords(-5), "minus five");
});

Deno.test("numberToWords spells decimals with point and rejects non-finite and huge numbers", () => {
  assert.equal(numberToWords(21.5), "twenty one point five");
  assert.equal(numberToWords(0.25), "zero point two five");
  assert.equal(numberToWords(-3.5), "minus three point five");
  assert.equal(wordsToNumber("twenty one point five"), 21.5);
  assert.equal(wordsToNumber("minus three point five"), -3.5);
  assert.equal(wordsToNumber("point five"), null);
  assert.equal(wordsToNumber("five point"), null);
  assert.equal(wordsToNumber("five point twelve"), null);
  assert.throws(() => numberToWords(NaN), /not a finite number/);
  assert.throws(() => numberToWords(Infinity), /not a finite number/);
  assert.throws(() => numberToWords(1_000_000), /above/);
});

Deno.test("wordsToNumber reads spelled numbers back, round trip 0..10000", () => {
  for (let n = 0; n <= 10000; n++) assert.equal(wordsToNumber(numberToWords(n)), n);
  assert.equal(wordsToNumber("one hundred and five"), 105);
  assert.equal(wordsToNumber("twenty-one"), 21);
  assert.equal(wordsToNumber("minus three"), -3);
});

Deno.test("wordsToNumber returns null for words that are not one number", () => {
  for (
    const bad of [
      "",
      "kitchen",
      "twenty twenty",
      "one two",
      "hundred",
      "five thousand thousand",
      "minus",
      "ten one",
      "zero five",
      "twenty eleven",
    ]
  ) {
    assert.equal(wordsToNumber(bad), null, bad);
  }
});

Deno.test("normalizeText spells digits, percent, degrees and kelvin and drops punctuation", () => {
  assert.equal(
    normalizeText("Turn on the Kitchen-Light, 50%!"),
    "turn on the kitchen light fifty percent",
  );
  assert.equal(normalizeText("set it to 21°C"), "set it to twenty one degrees");
  assert.equal(normalizeText("2700K please"), "two thousand seven hundred kelvin please");
  assert.equal(normalizeText("what's up"), "whats up");
  assert.equal(normalizeText("21.5"), "twenty one point five");
  assert.equal(normalizeText("   "), "");
  assert.deepEqual(tokenize("Bulb 2"), ["bulb", "two"]);
  assert.deepEqual(tokenize("?!"), []);
});
