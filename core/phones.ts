/**
 * The phone set of the command ASR: ARPAbet without stress (39 phones) plus
 * the CTC blank at index 0. Model outputs, lexicon and decoder all use these
 * indices; changing the order invalidates trained models.
 * @module
 */

/** The 39 ARPAbet phones (cmudict's set without stress marks). */
export const PHONES = [
  "AA",
  "AE",
  "AH",
  "AO",
  "AW",
  "AY",
  "B",
  "CH",
  "D",
  "DH",
  "EH",
  "ER",
  "EY",
  "F",
  "G",
  "HH",
  "IH",
  "IY",
  "JH",
  "K",
  "L",
  "M",
  "N",
  "NG",
  "OW",
  "OY",
  "P",
  "R",
  "S",
  "SH",
  "T",
  "TH",
  "UH",
  "UW",
  "V",
  "W",
  "Y",
  "Z",
  "ZH",
] as const;

/** One ARPAbet phone. */
export type Phone = typeof PHONES[number];

/** Index of the CTC blank in the model's output. */
export const BLANK = 0;

/** Number of model output classes (blank + phones). */
export const NUM_LABELS = PHONES.length + 1;

const INDEX = new Map<string, number>(PHONES.map((p, i) => [p, i + 1]));

/** Whether a string is a phone of the set (upper case, no stress digit). */
export function isPhone(p: string): p is Phone {
  return INDEX.has(p);
}

/** Model output index (1..39) of a phone; throws for an unknown phone. */
export function phoneIndex(p: string): number {
  const i = INDEX.get(p);
  if (i === undefined) throw new Error(`unknown phone "${p}" (expected ARPAbet without stress)`);
  return i;
}

/** Phone name of a model output index (0 is "<blank>"). */
export function phoneName(i: number): string {
  if (i === BLANK) return "<blank>";
  const p = PHONES[i - 1];
  if (p === undefined) throw new Error(`phone index ${i} out of range 0..${PHONES.length}`);
  return p;
}
