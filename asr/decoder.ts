/**
 * Grammar-constrained CTC prefix beam search over phone log-probabilities.
 *
 * Hypotheses are (words so far, node in the phone trie of the current word);
 * each keeps the CTC log-probabilities of ending in blank (pB) and in its last
 * phone (pNB), summed over all alignments. Frames are fed incrementally
 * ({@link CtcGrammarDecoder.push}); {@link CtcGrammarDecoder.complete} tells
 * whether the best hypothesis already spells a full command (early commit),
 * and {@link CtcGrammarDecoder.result} returns the best sentence, its
 * confidence and the alternatives.
 *
 * Confidence combines (a) the posterior of the sentence among the complete
 * hypotheses in the beam and (b) how close the constrained score comes to an
 * unconstrained phone loop (best label every frame), per speech frame:
 * out-of-grammar speech forces the constrained path far below the free loop.
 * `confidence = posterior * sigmoid(scale * (gap - offset))`; scale and offset
 * are calibrated on held-out data (models/asr/*.json).
 * @module
 */
import type { DecodingGraph } from "./graph.ts";
import { BLANK, NUM_LABELS } from "../core/phones.ts";

/** Decoder settings. */
export interface DecoderOptions {
  /** Hypotheses kept per frame. */
  beamWidth?: number;
  /** Labels more than this many nats below the frame's best are not expanded. */
  labelPrune?: number;
  /** Hypotheses more than this many nats below the best are dropped. */
  beamPrune?: number;
  /** Confidence calibration: sigmoid(scale * (gap - offset)), gap in nats per speech frame. */
  scale?: number;
  offset?: number;
  /** Number of alternatives returned. */
  alternatives?: number;
  /**
   * Nats added for every phone a hypothesis enters (an insertion bonus): CTC models tend to
   * drop short, weakly emitted phones, and a grammar then prefers the sentence that skips
   * optional words. Tuned on calibration data (scripts/asr/eval.ts); 0 disables it.
   */
  phoneBonus?: number;
}

/** One sentence hypothesis with its scores. */
export interface Alternative {
  text: string;
  /** Calibrated confidence 0..1. */
  confidence: number;
  /** CTC log-probability of the sentence (all alignments). */
  logProb: number;
}

/** The decoder's answer for an utterance. */
export interface DecodeResult {
  /** Best complete sentence ("" when no complete sentence survived). */
  text: string;
  confidence: number;
  logProb: number;
  /** Posterior of the best sentence among the complete ones in the beam. */
  posterior: number;
  /** Constrained minus free-loop log-probability per speech frame (<= ~0). */
  gap: number;
  /** Frames decoded and frames where speech (not blank) dominated. */
  frames: number;
  speechFrames: number;
  /** Other complete sentences, best first. */
  alternatives: Alternative[];
}

interface Hyp {
  /** Word history id (see #histText). */
  hist: number;
  node: number;
  pB: number;
  pNB: number;
}

const NEG = -Infinity;

/** log(exp(a) + exp(b)) without overflow. */
export function logAdd(a: number, b: number): number {
  if (a === NEG) return b;
  if (b === NEG) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Streaming grammar-constrained CTC decoder (one utterance at a time). */
export class CtcGrammarDecoder {
  readonly #graph: DecodingGraph;
  readonly #beamWidth: number;
  readonly #labelPrune: number;
  readonly #beamPrune: number;
  readonly #scale: number;
  readonly #offset: number;
  readonly #alternatives: number;
  readonly #phoneBonus: number;
  #beam: Hyp[] = [];
  /** Word histories: id -> text, and (parent id, word) -> child id. */
  #histText: string[] = [""];
  #histChild = new Map<string, number>();
  #free = 0;
  #frames = 0;
  #speechFrames = 0;
  #leadIn = 0;
  /** Key of the best hypothesis after the last frame, and frames it has been the same. */
  #bestKey = -1;
  #bestFor = 0;

  constructor(graph: DecodingGraph, options: DecoderOptions = {}) {
    this.#graph = graph;
    this.#beamWidth = options.beamWidth ?? 16;
    this.#labelPrune = options.labelPrune ?? 12;
    this.#beamPrune = options.beamPrune ?? 30;
    this.#scale = options.scale ?? 6;
    this.#offset = options.offset ?? -0.5;
    this.#alternatives = options.alternatives ?? 4;
    this.#phoneBonus = options.phoneBonus ?? 0;
    if (!Number.isFinite(this.#phoneBonus)) {
      throw new Error(`decoder: phoneBonus must be a finite number, got ${this.#phoneBonus}`);
    }
    if (!Number.isInteger(this.#beamWidth) || this.#beamWidth < 1) {
      throw new Error(`decoder: beamWidth must be a positive integer, got ${this.#beamWidth}`);
    }
    this.reset();
  }

  /**
   * Forget the utterance and start a new one. During the first `leadIn` frames the empty
   * hypothesis may absorb any frame at the free loop's cost (what comes before the command,
   * such as the end of a wake phrase, need not be explained by the grammar); those frames do
   * not count as speech frames for the confidence.
   */
  reset(leadIn = 0): void {
    if (!Number.isInteger(leadIn) || leadIn < 0) {
      throw new Error(`decoder: leadIn must be a non-negative integer, got ${leadIn}`);
    }
    this.#leadIn = leadIn;
    this.#bestKey = -1;
    this.#bestFor = 0;
    this.#histText = [""];
    this.#histChild = new Map();
    this.#beam = [{ hist: 0, node: this.#graph.start, pB: 0, pNB: NEG }];
    this.#free = 0;
    this.#frames = 0;
    this.#speechFrames = 0;
  }

  /** Frames decoded since the last reset. */
  get frames(): number {
    return this.#frames;
  }

  /**
   * Frames for which the best hypothesis has been the same complete sentence (0 when it is not
   * complete): in noise that never falls silent (babble) the sentence is over when it stops
   * changing.
   */
  get completeFor(): number {
    const h = this.#beam[0];
    return h && this.#isComplete(h) ? this.#bestFor : 0;
  }

  /** Whether the best hypothesis has begun a word (false while it is still empty). */
  get started(): boolean {
    const h = this.#beam[0];
    return h !== undefined && (h.hist !== 0 || h.node !== this.#graph.start);
  }

  /**
   * Feed frames of log-probabilities, row-major [frames x 40] (blank first).
   * Throws on a wrong length, non-finite values or values above 0 (not log-probs).
   */
  push(logProbs: Float32Array | number[]): void {
    const L = NUM_LABELS;
    if (logProbs.length % L !== 0) {
      throw new Error(
        `decoder: log-prob buffer of ${logProbs.length} values is not a multiple of ${L} labels`,
      );
    }
    const T = logProbs.length / L;
    for (let t = 0; t < T; t++) {
      const row = logProbs.slice(t * L, (t + 1) * L);
      let max = NEG;
      for (let k = 0; k < L; k++) {
        const v = row[k];
        if (!Number.isFinite(v) && v !== NEG) {
          throw new Error(`decoder: frame ${this.#frames} label ${k} is ${v}`);
        }
        if (v > 1e-3) {
          throw new Error(
            `decoder: frame ${this.#frames} label ${k} is ${v} > 0; expected log-probabilities`,
          );
        }
        if (v > max) max = v;
      }
      if (max === NEG) throw new Error(`decoder: frame ${this.#frames} has no finite label`);
      this.#step(row, max);
    }
  }

  #step(row: Float32Array | number[], max: number): void {
    const g = this.#graph;
    const next = new Map<number, Hyp>();
    const size = g.size;
    const add = (hist: number, node: number, pB: number, pNB: number) => {
      const key = hist * size + node;
      const h = next.get(key);
      if (h) {
        h.pB = logAdd(h.pB, pB);
        h.pNB = logAdd(h.pNB, pNB);
      } else next.set(key, { hist, node, pB, pNB });
    };
    const floor = max - this.#labelPrune;
    const blank = row[BLANK];
    const bonus = this.#phoneBonus;
    const leadIn = this.#frames < this.#leadIn;
    for (const h of this.#beam) {
      const total = logAdd(h.pB, h.pNB);
      const last = g.phone[h.node];
      // Stay: a blank, or the same phone again (collapsed); in the lead-in the empty
      // hypothesis takes the frame's best label.
      const empty = leadIn && h.hist === 0 && h.node === g.start;
      add(h.hist, h.node, total + (empty ? max : blank), last >= 0 ? h.pNB + row[last] : NEG);
      // Next phone of the current word.
      for (const [c, child] of g.children[h.node]) {
        const lp = row[c];
        if (lp < floor) continue;
        add(h.hist, child, NEG, (c === last ? h.pB : total) + lp + bonus);
      }
      // Word boundary: the next word's first phone.
      for (const end of g.wordEnds[h.node]) {
        const root = g.rootOf(end.to);
        if (root === undefined) continue;
        let hist = -1;
        for (const [c, child] of g.children[root]) {
          const lp = row[c];
          if (lp < floor) continue;
          if (hist < 0) hist = this.#extend(h.hist, end.word);
          add(hist, child, NEG, (c === last ? h.pB : total) + lp + bonus - end.cost);
        }
      }
    }
    const scored = [...next.values()].map((h) => ({ h, s: logAdd(h.pB, h.pNB) }));
    scored.sort((a, b) => b.s - a.s);
    const best = scored.length ? scored[0].s : NEG;
    const kept = scored.slice(0, this.#beamWidth).filter((x) => x.s >= best - this.#beamPrune);
    // Complete sentences survive pruning (a few extra slots), so a weakly heard command still
    // has an answer and alternatives at the end of the utterance.
    let extra = this.#alternatives + 1 - kept.filter((x) => this.#isComplete(x.h)).length;
    for (let i = kept.length; i < scored.length && extra > 0; i++) {
      if (this.#isComplete(scored[i].h)) {
        kept.push(scored[i]);
        extra--;
      }
    }
    this.#beam = kept.map((x) => x.h);
    const top = this.#beam[0];
    const key = top ? top.hist * size + top.node : -1;
    this.#bestFor = key === this.#bestKey ? this.#bestFor + 1 : 0;
    this.#bestKey = key;
    this.#free += max;
    this.#frames++;
    if (Math.exp(blank) < 0.5 && !leadIn) this.#speechFrames++;
  }

  /** An independent copy (for speculative decoding of assumed future frames). */
  clone(): CtcGrammarDecoder {
    const c = new CtcGrammarDecoder(this.#graph, {
      beamWidth: this.#beamWidth,
      labelPrune: this.#labelPrune,
      beamPrune: this.#beamPrune,
      scale: this.#scale,
      offset: this.#offset,
      alternatives: this.#alternatives,
      phoneBonus: this.#phoneBonus,
    });
    c.#beam = this.#beam.map((h) => ({ ...h }));
    c.#histText = [...this.#histText];
    c.#histChild = new Map(this.#histChild);
    c.#free = this.#free;
    c.#frames = this.#frames;
    c.#speechFrames = this.#speechFrames;
    c.#leadIn = this.#leadIn;
    c.#bestKey = this.#bestKey;
    c.#bestFor = this.#bestFor;
    return c;
  }

  #isComplete(h: Hyp): boolean {
    return this.#graph.wordEnds[h.node].some((e) => e.final);
  }

  /** History id of `hist` followed by `word`. */
  #extend(hist: number, word: string): number {
    const key = `${hist}|${word}`;
    let id = this.#histChild.get(key);
    if (id === undefined) {
      id = this.#histText.length;
      const prev = this.#histText[hist];
      this.#histText.push(prev ? `${prev} ${word}` : word);
      this.#histChild.set(key, id);
    }
    return id;
  }

  /** Complete sentences in the beam with their log-probabilities, best first. */
  #complete(): { text: string; logProb: number }[] {
    const byText = new Map<string, number>();
    for (const h of this.#beam) {
      const s = logAdd(h.pB, h.pNB);
      for (const e of this.#graph.wordEnds[h.node]) {
        if (!e.final) continue;
        const prev = this.#histText[h.hist];
        const text = prev ? `${prev} ${e.word}` : e.word;
        byText.set(text, logAdd(byText.get(text) ?? NEG, s - e.cost));
      }
    }
    return [...byText].map(([text, logProb]) => ({ text, logProb }))
      .sort((a, b) => b.logProb - a.logProb);
  }

  /**
   * Early-commit test: true when a complete sentence of the grammar scores
   * within `margin` nats of the best hypothesis (0: the best hypothesis
   * itself ends a sentence). A margin absorbs a weakly emitted last phone;
   * `slack` > 0 also accepts a hypothesis at most that many phones short of a
   * sentence end within the word it is in (CTC models often never emit a
   * final R, T or D, or the weak end of a long word, once silence follows),
   * if it has the same word history as the best hypothesis: it is only
   * further into the best one's last word. A hypothesis that started a new
   * word on one stray phone must not turn a pause after "turn off the" into a
   * command.
   */
  complete(margin = 0, slack = 0): boolean {
    const best = this.#beam[0];
    if (!best) return false;
    const top = logAdd(best.pB, best.pNB);
    const g = this.#graph;
    for (const h of this.#beam) {
      if (logAdd(h.pB, h.pNB) < top - margin) break;
      if (g.wordEnds[h.node].some((e) => e.final)) return true;
      if (slack > 0 && h.hist === best.hist && this.#finalWithin(h.node, slack)) return true;
    }
    return false;
  }

  /** Whether a sentence end is reachable from `node` within `steps` more phones of its word. */
  #finalWithin(node: number, steps: number): boolean {
    for (const [, c] of this.#graph.children[node]) {
      if (this.#graph.wordEnds[c].some((e) => e.final)) return true;
      if (steps > 1 && this.#finalWithin(c, steps - 1)) return true;
    }
    return false;
  }

  /** The best sentence so far (complete or not) for live display. */
  partial(): string {
    const h = this.#beam[0];
    if (!h) return "";
    const end = this.#graph.wordEnds[h.node][0];
    const prev = this.#histText[h.hist];
    return end ? (prev ? `${prev} ${end.word}` : end.word) : prev;
  }

  /** Best complete sentence, confidence and alternatives for the frames so far. */
  result(): DecodeResult {
    const complete = this.#complete();
    const speech = Math.max(1, this.#speechFrames);
    const conf = (logProb: number, norm: number) => {
      const gap = Math.min(0, (logProb - this.#free) / speech);
      return {
        gap,
        confidence: Math.exp(logProb - norm) * sigmoid(this.#scale * (gap - this.#offset)),
      };
    };
    if (complete.length === 0) {
      return {
        text: "",
        confidence: 0,
        logProb: NEG,
        posterior: 0,
        gap: NEG,
        frames: this.#frames,
        speechFrames: this.#speechFrames,
        alternatives: [],
      };
    }
    const norm = complete.reduce((acc, c) => logAdd(acc, c.logProb), NEG);
    const best = complete[0];
    const { gap, confidence } = conf(best.logProb, norm);
    return {
      text: best.text,
      confidence,
      logProb: best.logProb,
      posterior: Math.exp(best.logProb - norm),
      gap,
      frames: this.#frames,
      speechFrames: this.#speechFrames,
      alternatives: complete.slice(1, 1 + this.#alternatives).map((c) => ({
        text: c.text,
        logProb: c.logProb,
        confidence: conf(c.logProb, norm).confidence,
      })),
    };
  }
}
