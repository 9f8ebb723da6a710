/**
 * Spoken numbers and text normalization shared by the template compiler, the
 * text parser and the ASR grammar: every number is spelled out in lower-case
 * words ("twenty one", "two thousand seven hundred"), so typed "21%" and the
 * transcript "twenty one percent" become the same word sequence.
 * @module
 */
import { round3 } from "./math.ts";

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/** Largest number {@link numberToWords} spells (999 999). */
export const MAX_SPOKEN_NUMBER = 999_999;

function below1000(n: number): string[] {
  const out: string[] = [];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds) out.push(ONES[hundreds], "hundred");
  if (rest >= 20) {
    out.push(TENS[Math.floor(rest / 10)]);
    if (rest % 10) out.push(ONES[rest % 10]);
  } else if (rest || !hundreds) out.push(ONES[rest]);
  return out;
}

/**
 * Spell a number the way the grammar expects it:
 * 21 -> "twenty one", 105 -> "one hundred five", 2700 -> "two thousand seven hundred",
 * 21.5 -> "twenty one point five" (up to 3 decimals), -5 -> "minus five".
 * Throws on NaN, infinities and |n| > 999 999.
 */
export function numberToWords(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`numberToWords: ${n} is not a finite number`);
  if (n < 0) return `minus ${numberToWords(-n)}`;
  if (!Number.isInteger(n)) {
    const [i, f] = round3(n).toString().split(".");
    const whole = numberToWords(Number(i));
    return f ? `${whole} point ${[...f].map((d) => ONES[Number(d)]).join(" ")}` : whole;
  }
  if (n > MAX_SPOKEN_NUMBER) {
    throw new RangeError(`numberToWords: ${n} is above ${MAX_SPOKEN_NUMBER}`);
  }
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  const out: string[] = [];
  if (thousands) out.push(...below1000(thousands), "thousand");
  if (rest || !thousands) out.push(...below1000(rest));
  return out.join(" ");
}

const WORD_VALUE = new Map<string, number>([
  ...ONES.map((w, i) => [w, i] as [string, number]),
  ...TENS.map((w, i) => [w, i * 10] as [string, number]).filter(([w]) => w),
]);

/**
 * Read a spelled number back ("twenty one" -> 21, "one hundred and five" -> 105).
 * Returns null when the words are not one well-formed number.
 */
export function wordsToNumber(text: string): number | null {
  const words = text.trim().toLowerCase().split(/[\s-]+/).filter((w) => w && w !== "and");
  if (!words.length) return null;
  const point = words.indexOf("point");
  if (point >= 0) {
    const whole = wordsToNumber(words.slice(0, point).join(" "));
    const digits = words.slice(point + 1).map((w) => ONES.indexOf(w));
    if (whole === null || !digits.length || digits.some((d) => d < 0 || d > 9)) return null;
    const frac = Number(`0.${digits.join("")}`);
    return whole < 0 || words[0] === "minus" ? whole - frac : whole + frac;
  }
  let sign = 1;
  if (words[0] === "minus") {
    sign = -1;
    words.shift();
    if (!words.length) return null;
  }
  let total = 0;
  let group = 0;
  let last: "none" | "ones" | "teen" | "tens" | "hundred" | "thousand" = "none";
  for (const w of words) {
    const v = WORD_VALUE.get(w);
    if (v !== undefined) {
      if (v >= 20) {
        if (last === "ones" || last === "teen" || last === "tens") return null;
        group += v;
        last = "tens";
      } else {
        if (last === "ones" || last === "teen") return null;
        if (last === "tens" && (v >= 10 || v === 0)) return null;
        if (v === 0 && (last !== "none" || words.length > 1)) return null;
        group += v;
        last = v >= 10 ? "teen" : "ones";
      }
    } else if (w === "hundred") {
      if (last !== "ones" || group >= 10) return null;
      group *= 100;
      last = "hundred";
    } else if (w === "thousand") {
      if (last === "none" || last === "thousand" || total) return null;
      total = group * 1000;
      group = 0;
      last = "thousand";
    } else return null;
  }
  return sign * (total + group);
}

/** Digits, percent and degree signs in typed text, spelled out. */
function spellDigits(text: string): string {
  return text
    .replace(/(\d)\s*%/g, "$1 percent ")
    .replace(/(\d)\s*°\s*(?:[cf]\b)?/gi, "$1 degrees ")
    .replace(/(\d)\s*k\b/gi, "$1 kelvin ")
    .replace(/\d+(?:\.\d+)?/g, (m) => {
      const n = Number(m);
      if (!Number.isInteger(n)) {
        const [i, f] = m.split(".");
        return ` ${numberToWords(Number(i))} point ${
          [...f].map((d) => ONES[Number(d)]).join(" ")
        } `;
      }
      return n <= MAX_SPOKEN_NUMBER
        ? ` ${numberToWords(n)} `
        : ` ${[...m].map((d) => ONES[+d]).join(" ")} `;
    });
}

/**
 * Normalize text to grammar words: lower case, numbers spelled out, "%" ->
 * "percent", hyphens and punctuation to spaces, apostrophes dropped
 * ("Turn on the Kitchen-Light, 50%!" -> "turn on the kitchen light fifty percent").
 */
export function normalizeText(text: string): string {
  return spellDigits(text.normalize("NFKC"))
    .toLowerCase()
    .replace(/['’`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .replace(/\s+/g, " ");
}

/** Words of a normalized text. */
export function tokenize(text: string): string[] {
  const n = normalizeText(text);
  return n ? n.split(" ") : [];
}
