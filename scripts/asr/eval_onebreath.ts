/**
 * One-breath commands through the whole assistant, on voices the command model never trained
 * on: "hey computer <command>" (half with a comma, "hey computer, <command>") rendered as one
 * sentence, streamed through Silero VAD, MFCC, the wake word model, the command recognizer and
 * the intent parser with the devices runtime's rule (a transcript that is not rejected and
 * parses to an intent at `devices.minIntentConfidence` acts). Reports, clean and at 10 dB SNR
 * (pink noise and multi-talker babble, alternately):
 *
 * - intent+slot accuracy of the commands (an action equal to the reference's intent and slots,
 *   and no other action), through the whole pipeline and, to separate the command stage from
 *   the wake word, with a wake event at the phrase's end ("given the wake event");
 * - out-of-grammar requests that do nothing (no action);
 * - false intents and false actions (intents that change a device: not QueryState or Cancel)
 *   per hour on everyday speech, music and noise with no command (real speech
 *   from pocketsphinx-testdata and the asterisk prompts, the asterisk music on hold, TTS
 *   sentences in held-out voices, speech over music, noise, babble);
 * - speech end to committed transcript (stream time) of the right commands.
 *
 * The command model's training voices (models/asr/README.md): espeak-ng (every accent and
 * variant), flite kal, kal16, awb, rms, festival kal_diphone, and the one asterisk speaker.
 * Held out here: festival's HTS voice cmu_us_slt_arctic_hts (a synthesis method no training
 * set here contains) with pitch and tempo changes, festival ked_diphone (kdlpc16k) and flite
 * slt (unseen voices of trained engines). A few training voices are run too, for contrast.
 * Never used: the sounds of ktuberling-data, klettres-data and alsa-utils.
 *
 *   deno run -A scripts/asr/eval_onebreath.ts [--out docs/eval/onebreath.json]
 *     [--md docs/eval/onebreath.md] [--commands 30] [--oog 12] [--neg-minutes 60] [--seed 3]
 *     [--quick] [--asr-model F.onnx]
 *
 * @module
 */
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent, TranscriptEvent, WakeEvent } from "../../core/events.ts";
import type { AnalysisFrame, FrameStage } from "../../pipeline/frame.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { encodeWav } from "../../audio/wav.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { loadRegistry, type Registry } from "../../home/registry.ts";
import {
  buildCommandGrammar,
  type ParsedIntent,
  parseIntent,
  sampleCommands,
  seededRandom,
} from "../../intent/index.ts";
import { randomRegistry } from "./commands.ts";
import { addFloor, concat, loudRange, speak, trimSilence } from "./tts.ts";
import { round3 } from "../../core/math.ts";
import { intOption, scriptArgs } from "../cli.ts";

/** A test voice: a TTS voice, optionally changed by sox effects. */
export interface Voice {
  id: string;
  name: string;
  group: string;
  effects?: string[];
}

const HTS = "unseen synthesis method (festival HTS)";
const UNSEEN_VOICE = "unseen voice of a trained engine";
const SEEN = "training voices (contrast only)";

/** Voices the command model never heard, and a few it trained on. */
export const VOICES: Voice[] = [
  { id: "festival:cmu_us_slt_arctic_hts", name: "festival slt HTS", group: HTS },
  {
    id: "festival:cmu_us_slt_arctic_hts",
    name: "festival slt HTS, pitch -4 st, tempo 1.1",
    group: HTS,
    effects: ["pitch", "-400", "tempo", "1.1"],
  },
  {
    id: "festival:cmu_us_slt_arctic_hts",
    name: "festival slt HTS, pitch +3 st, tempo 0.9",
    group: HTS,
    effects: ["pitch", "300", "tempo", "0.9"],
  },
  { id: "festival:ked_diphone", name: "festival ked diphone", group: UNSEEN_VOICE },
  {
    id: "festival:ked_diphone",
    name: "festival ked diphone, pitch +5 st",
    group: UNSEEN_VOICE,
    effects: ["pitch", "500"],
  },
  { id: "flite:slt", name: "flite slt", group: UNSEEN_VOICE },
  { id: "espeak:en-us", name: "espeak-ng en-us", group: SEEN },
  { id: "flite:kal16", name: "flite kal16", group: SEEN },
  { id: "festival:kal_diphone", name: "festival kal diphone", group: SEEN },
];

/** Requests the grammar does not contain (said after the wake phrase); none may act. */
export const OOG_REQUESTS = [
  "what's the weather like tomorrow",
  "set a timer for ten minutes",
  "play some jazz music",
  "what time is it",
  "remind me to call my mother",
  "how tall is mount everest",
  "tell me a joke",
  "add milk to the shopping list",
  "what's on my calendar today",
  "call the office",
  "read me the news",
  "how do you spell necessary",
  "turn up the volume",
  "order a pizza",
  "wake me up at seven",
  "is it going to rain",
  "what is the capital of france",
  "send a message to james",
  "lock the front door",
  "start the vacuum cleaner",
  "turn on the patio heater",
  "open the garden gate",
  "switch off the hot tub",
  "dim the hallway chandelier in the attic",
];

/** Ordinary sentences for the negative stream (said in held-out voices). */
export const EVERYDAY = [
  "I'll be home around seven",
  "Did you remember to buy bread?",
  "My computer keeps freezing when I open the browser",
  "Hey, can you pass me the salt?",
  "The computer in the study is really old now",
  "We should turn left at the next light",
  "Could you open the window a little?",
  "I think the kitchen needs a new coat of paint",
  "Turn the page and read the next chapter",
  "She left the lights on in the car again",
  "Hey, come here and look at this",
  "The heater in the office is broken",
  "Let's have pasta for dinner tonight",
  "What did the doctor say about your knee?",
  "The garage is full of old boxes",
  "I can't find my keys anywhere",
  "Put the kettle on, would you?",
  "The meeting was moved to Thursday afternoon",
  "He plays the piano every evening",
  "Shut up and listen for a second",
  "It's about fifty percent cheaper online",
  "The fan in my laptop is very loud",
  "Close your eyes and count to ten",
  "We watched a movie in the living room",
  "Set the table, dinner is almost ready",
  "Hey Kim, are you coming to the party?",
  "Computer science was my favourite subject",
  "The blinds in the bedroom are stuck",
  "Switch seats with me, I can't see",
  "I turned off my phone during the concert",
  "The lamp on the desk flickers sometimes",
  "Open the door for the delivery man",
  "The temperature dropped below zero last night",
  "Can you help me carry these bags upstairs?",
  "My brother repairs computers for a living",
  "Let's go for a walk after lunch",
  "The coffee machine makes a strange noise",
  "I'll set an alarm for six thirty",
  "The kids are playing in the garden",
  "He said hey and then walked away",
];

/** A pipeline outcome for one spoken item. */
export interface ItemResult {
  kind: "command" | "oog";
  voice: string;
  cond: string;
  /** Noise under the item: "none", "pink" or "babble". */
  noise: string;
  text: string;
  woke: boolean;
  /** Intents that acted in the item's window. */
  actions: ParsedIntent[];
  /** The reference intent (commands). */
  reference?: ParsedIntent;
  /** Speech end to committed transcript, stream seconds (first transcript in the window). */
  commitLatency?: number;
}

/** Intents that change no device (a state query answers, cancel ends the session). */
export const NON_ACTING = new Set(["QueryState", "Cancel"]);

/** Same intent and slots. */
export function sameIntent(a: ParsedIntent, b: ParsedIntent): boolean {
  const slots = (x: ParsedIntent) => JSON.stringify(Object.entries(x.slots).sort());
  return a.name === b.name && slots(a) === slots(b);
}

/** Whether an item's outcome is right: the one reference action (commands) or none (oog). */
export function itemOk(r: ItemResult): boolean {
  if (r.kind === "oog") return r.actions.length === 0;
  return r.actions.length === 1 && r.reference !== undefined &&
    sameIntent(r.actions[0], r.reference);
}

/** Actions of the transcripts in [from, to) stream seconds (the devices runtime's rule). */
export function actionsIn(
  events: EarshotEvent[],
  from: number,
  to: number,
  registry: Registry,
  minConfidence: number,
): { actions: ParsedIntent[]; transcripts: TranscriptEvent[]; acted: TranscriptEvent[] } {
  const transcripts = events.filter((e): e is TranscriptEvent =>
    e.type === "transcript" && e.t >= from && e.t < to
  );
  const actions: ParsedIntent[] = [];
  const acted: TranscriptEvent[] = [];
  for (const t of transcripts) {
    if (t.rejected) continue;
    const i = parseIntent(t.text, registry, { minConfidence });
    if (i) {
      actions.push(i);
      acted.push(t);
    }
  }
  return { actions, transcripts, acted };
}

/** Apply sox effects to 16 kHz samples. */
async function sox(x: Float32Array, effects: string[]): Promise<Float32Array> {
  const dir = await Deno.makeTempDir({ prefix: "earshot-sox-" });
  try {
    await Deno.writeFile(`${dir}/in.wav`, encodeWav(x, 16000));
    const res = await new Deno.Command("sox", {
      args: ["-R", `${dir}/in.wav`, "-r", "16000", `${dir}/out.wav`, ...effects],
      stderr: "piped",
    }).output();
    if (!res.success) {
      throw new Error(`sox ${effects.join(" ")}: ${new TextDecoder().decode(res.stderr)}`);
    }
    return await loadAudioFile(`${dir}/out.wav`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Render `text` with a test voice, silence trimmed. */
async function say(text: string, v: Voice): Promise<Float32Array> {
  let x = await speak(text, v.id);
  if (v.effects) x = await sox(x, v.effects);
  return trimSilence(x);
}

function rms(x: Float32Array, a = 0, b = x.length): number {
  let s = 0;
  for (let i = a; i < b; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, b - a));
}

/** RMS over the loud 10 ms frames (within 30 dB of the loudest): the level of speech. */
function activeRms(x: Float32Array): number {
  const frames: number[] = [];
  for (let i = 0; i + 160 <= x.length; i += 160) frames.push(rms(x, i, i + 160));
  const max = Math.max(...frames);
  const loud = frames.filter((f) => f > max * 10 ** (-30 / 20));
  return Math.sqrt(loud.reduce((a, f) => a + f * f, 0) / Math.max(1, loud.length));
}

/** Seeded pink noise (Paul Kellet's filter on white noise), RMS 1. */
function pink(n: number, rng: () => number): Float32Array {
  const x = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < n; i++) {
    const w = rng() * 2 - 1;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  const r = rms(x);
  for (let i = 0; i < n; i++) x[i] /= r;
  return x;
}

/** Babble: four talkers from `pool` at random offsets, RMS 1, `n` samples. */
function babble(n: number, pool: Float32Array[], rng: () => number): Float32Array {
  const x = new Float32Array(n);
  for (let talker = 0; talker < 4; talker++) {
    let at = Math.floor(rng() * 16000);
    while (at < n) {
      const s = pool[Math.floor(rng() * pool.length)];
      const g = 1 / Math.max(1e-6, activeRms(s));
      for (let i = 0; i < s.length && at + i < n; i++) x[at + i] += s[i] * g;
      at += s.length + Math.floor(rng() * 4000);
    }
  }
  const r = rms(x);
  for (let i = 0; i < n; i++) x[i] /= r;
  return x;
}

interface Item {
  kind: "command" | "oog";
  text: string;
  said: Float32Array;
  /** Rendered length of "hey computer" alone in this voice (samples): the phrase end. */
  wakeLen: number;
  reference?: ParsedIntent;
}

interface Placed {
  item: Item;
  start: number;
  end: number;
  next: number;
  noise: string;
}

/** Lay items out in one stream with 3-4.5 s gaps; with `snr`, noise (pink or babble) under it. */
function layout(
  items: Item[],
  rng: () => number,
  snr: number | null,
  babblePool: Float32Array[],
): { x: Float32Array; placed: Placed[] } {
  const parts: (Float32Array | number)[] = [1.0];
  const placed: Placed[] = [];
  let at = 16000;
  for (const item of items) {
    const gap = 3 + rng() * 1.5;
    parts.push(item.said, gap);
    placed.push({ item, start: at, end: at + item.said.length, next: 0, noise: "none" });
    at += item.said.length + Math.round(gap * 16000);
  }
  placed.forEach((p, i) => (p.next = i + 1 < placed.length ? placed[i + 1].start : at));
  const x = concat(parts);
  if (snr !== null) {
    placed.forEach((p, i) => {
      const a = i === 0 ? 0 : p.start - 8000;
      const b = i + 1 < placed.length ? p.next - 8000 : x.length;
      p.noise = i % 2 === 0 ? "pink" : "babble";
      const noise = p.noise === "pink" ? pink(b - a, rng) : babble(b - a, babblePool, rng);
      const g = activeRms(p.item.said) / 10 ** (snr / 20);
      for (let k = 0; k < b - a; k++) x[a + k] += noise[k] * g;
    });
  }
  return { x: addFloor(x), placed };
}

/** A stand-in wake stage: a wake event at each item's phrase end + 150 ms, ending there. */
function oracleWake(bus: { emit(e: WakeEvent): void }, placed: Placed[]): FrameStage {
  let k = 0;
  return {
    onFrame(f: AnalysisFrame) {
      while (k < placed.length && f.sample >= placed[k].start + placed[k].item.wakeLen + 2400) {
        const p = placed[k++];
        bus.emit({
          type: "wake",
          t: (f.sample + 160) / 16000,
          model: "oracle",
          phrase: "hey computer",
          score: 1,
          sample: f.sample + 160,
          phraseEnd: p.start + p.item.wakeLen,
        });
      }
    },
  };
}

let vadModel: SileroModel | undefined;

/** Stream items through the pipeline (real wake model, or the oracle) and score each. */
async function runItems(
  items: Item[],
  registry: Registry,
  voice: string,
  cond: string,
  snr: number | null,
  oracle: boolean,
  seed: number,
  babblePool: Float32Array[],
): Promise<ItemResult[]> {
  const config = parseConfig({ asr: { model: asrModel } });
  const { x, placed } = layout(items, seededRandom(seed), snr, babblePool);
  const grammar = buildCommandGrammar(registry);
  vadModel ??= await SileroModel.load();
  const events = await runAudio(encodeWav(x, 16000), config, {
    vad: vadModel,
    makeStages: async (bus) => [
      oracle ? oracleWake(bus, placed) : await WakeDetector.create(config.wake, bus),
      (await createRecognizer(grammar, config.asr)).recognizer,
    ],
  });
  const wakes = events.filter((e): e is WakeEvent => e.type === "wake");
  return placed.map((p) => {
    const from = (p.start - 3200) / 16000;
    const to = (p.next - 3200) / 16000;
    const { actions, transcripts } = actionsIn(
      events,
      from,
      to,
      registry,
      config.devices.minIntentConfidence,
    );
    const woke = wakes.some((w) => w.sample >= p.start && w.sample <= p.end + 16000);
    const [, loudEnd] = loudRange(p.item.said);
    return {
      kind: p.item.kind,
      voice,
      cond,
      noise: p.noise,
      text: p.item.text,
      woke,
      actions,
      reference: p.item.reference,
      // The item's own transcript: the first committed after its speech began.
      commitLatency: (() => {
        const own = transcripts.find((t) => t.t > p.start / 16000);
        return own ? own.t - (p.start + loudEnd) / 16000 : undefined;
      })(),
    };
  });
}

/** The negative stream: everyday speech, music and noise with no command in it. */
async function negatives(minutes: number, rng: () => number, tts: Float32Array[]) {
  const speech: { x: Float32Array; kind: string }[] = [];
  const psDir = "/usr/share/pocketsphinx/test/data";
  for await (const f of walk(psDir)) {
    if (f.endsWith(".wav")) speech.push({ x: await loadAudioFile(f), kind: "speech" });
    else if (f.endsWith(".raw")) {
      const b = await Deno.readFile(f);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const x = new Float32Array(b.byteLength >> 1);
      for (let i = 0; i < x.length; i++) x[i] = v.getInt16(2 * i, true) / 32768;
      speech.push({ x, kind: "speech" });
    }
  }
  const astDir = "/usr/share/asterisk/sounds/en";
  for await (const f of walk(astDir)) {
    if (f.endsWith(".wav")) speech.push({ x: await loadAudioFile(f), kind: "speech" });
  }
  for (const x of tts) speech.push({ x, kind: "tts speech" });
  const music: Float32Array[] = [];
  for await (const f of walk("/usr/share/asterisk/moh")) {
    if (f.endsWith(".wav")) music.push(await loadAudioFile(f));
  }
  const segments: [number, number, string][] = [];
  const parts: Float32Array[] = [];
  let at = 0;
  const push = (x: Float32Array, kind: string) => {
    const gap = new Float32Array(Math.round((0.3 + rng() * 1.5) * 16000));
    parts.push(x, gap);
    segments.push([at / 16000, (at + x.length) / 16000, kind]);
    at += x.length + gap.length;
  };
  const shuffled = [...speech].sort(() => rng() - 0.5);
  for (const s of shuffled) push(s.x, s.kind);
  for (const m of music) push(m, "music");
  // Speech over music at 0-15 dB and babble, noise, until the stream is long enough.
  let k = 0;
  const loud = () => segments.reduce((a, [s0, s1]) => a + s1 - s0, 0);
  while (loud() < minutes * 60) {
    const kind = k % 3;
    if (kind === 0) {
      const m = music[k % music.length];
      const n = Math.min(m.length, 30 * 16000);
      const off = Math.floor(rng() * (m.length - n));
      const mix = m.slice(off, off + n);
      let p = 0;
      while (p < n) {
        const s = shuffled[Math.floor(rng() * shuffled.length)].x;
        const g = rms(mix) / Math.max(1e-6, activeRms(s)) * 10 ** ((rng() * 15) / 20);
        for (let i = 0; i < s.length && p + i < n; i++) mix[p + i] += s[i] * g;
        p += s.length + 8000;
      }
      push(mix, "speech over music");
    } else if (kind === 1) {
      const b = babble(20 * 16000, tts, rng);
      for (let i = 0; i < b.length; i++) b[i] *= 0.05;
      push(b, "babble");
    } else {
      const p = pink(20 * 16000, rng);
      for (let i = 0; i < p.length; i++) p[i] *= 0.02 + 0.05 * rng();
      push(p, "noise");
    }
    k++;
  }
  return { x: addFloor(concat(parts)), segments };
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else yield p;
  }
}

function pct(k: number, n: number): number | null {
  return n ? Math.round((1000 * k) / n) / 10 : null;
}

function quantile(x: number[], q: number): number | null {
  if (!x.length) return null;
  const s = [...x].sort((a, b) => a - b);
  return round3(s[Math.min(s.length - 1, Math.floor(q * s.length))]);
}

/** Summary of item results (one group of voices, one condition). */
export function summarize(rs: ItemResult[]) {
  const cmds = rs.filter((r) => r.kind === "command");
  const oog = rs.filter((r) => r.kind === "oog");
  const woke = cmds.filter((r) => r.woke);
  const right = cmds.filter(itemOk);
  return {
    commands: cmds.length,
    wakeDetected: pct(woke.length, cmds.length),
    intentSlot: pct(right.length, cmds.length),
    intentSlotGivenWake: pct(woke.filter(itemOk).length, woke.length),
    wrongAction: pct(cmds.filter((r) => r.actions.length && !itemOk(r)).length, cmds.length),
    outOfGrammar: oog.length,
    oogDidNothing: pct(oog.filter(itemOk).length, oog.length),
    commitLatencyP50: quantile(right.flatMap((r) => r.commitLatency ?? []), 0.5),
    commitLatencyP95: quantile(right.flatMap((r) => r.commitLatency ?? []), 0.95),
  };
}

/** The command model under test ("": the shipped one); `--asr-model`. */
let asrModel = "";

const SCRIPT = "eval_onebreath.ts";
const USAGE = "usage: eval_onebreath.ts [--out F.json] [--md F.md] [--commands N] [--oog N] " +
  "[--neg-minutes N] [--seed N] [--quick] [--voices SUBSTRING] [--asr-model F.onnx]";

if (import.meta.main) {
  const { values } = scriptArgs(SCRIPT, USAGE, {
    options: {
      out: { type: "string", default: "docs/eval/onebreath.json" },
      md: { type: "string", default: "docs/eval/onebreath.md" },
      commands: { type: "string", default: "30" },
      oog: { type: "string", default: "12" },
      "neg-minutes": { type: "string", default: "60" },
      seed: { type: "string", default: "3" },
      quick: { type: "boolean", default: false },
      voices: { type: "string" },
      "asr-model": { type: "string", default: "" },
    },
  });
  asrModel = values["asr-model"]!;
  const int = (name: keyof typeof values, min: number) => intOption(SCRIPT, values, name, min);
  const nCmd = int("commands", 1);
  const nOog = int("oog", 0);
  const negMinutes = int("neg-minutes", 0);
  const seed = int("seed", 0);
  const rng = seededRandom(seed);
  const voices = (values.quick ? VOICES.filter((_, i) => i % 3 === 0) : VOICES)
    .filter((v) => !values.voices || v.name.includes(values.voices));
  if (!voices.length) {
    console.error(`--voices: no voice name contains "${values.voices}"`);
    Deno.exit(2);
  }
  const registries = Array.from({ length: 4 }, () => randomRegistry(rng, true));
  const t0 = performance.now();
  const log = (m: string) =>
    console.error(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}`);

  // Everyday sentences in the held-out voices: the negatives' TTS speech and the babble.
  const tts: Float32Array[] = [];
  for (const v of VOICES.filter((v) => v.group !== SEEN && !v.effects)) {
    for (const s of EVERYDAY) tts.push(await say(s, v));
  }
  log(`${tts.length} everyday sentences rendered`);

  const results: ItemResult[] = [];
  const oracleResults: ItemResult[] = [];
  for (const [vi, v] of voices.entries()) {
    const wakeLen = (await say("hey computer", v)).length;
    const byRegistry: Item[][] = registries.map(() => []);
    for (let j = 0; j < nCmd; j++) {
      const r = j % registries.length;
      const reg = registries[r];
      let cmd = sampleCommands(buildCommandGrammar(reg), 1, rng)[0];
      let reference = parseIntent(cmd.text, reg);
      for (let tries = 0; !reference && tries < 20; tries++) {
        cmd = sampleCommands(buildCommandGrammar(reg), 1, rng)[0];
        reference = parseIntent(cmd.text, reg);
      }
      if (!reference) continue;
      const text = `hey computer${j % 2 ? "," : ""} ${cmd.text}`;
      byRegistry[r].push({ kind: "command", text, said: await say(text, v), wakeLen, reference });
    }
    for (let j = 0; j < nOog; j++) {
      const r = j % registries.length;
      const req = OOG_REQUESTS[(vi * 7 + j) % OOG_REQUESTS.length];
      const text = `hey computer, ${req}`;
      byRegistry[r].push({ kind: "oog", text, said: await say(text, v), wakeLen });
    }
    for (const [cond, snr] of [["clean", null], ["10dB", 10]] as const) {
      for (const [r, items] of byRegistry.entries()) {
        const order = [...items].sort(() => rng() - 0.5);
        const s = seed * 1000 + vi * 10 + r;
        results.push(
          ...await runItems(order, registries[r], v.name, cond, snr, false, s, tts),
        );
        oracleResults.push(
          ...await runItems(order, registries[r], v.name, cond, snr, true, s, tts),
        );
      }
    }
    log(`${v.name}: ${JSON.stringify(summarize(results.filter((x) => x.voice === v.name)))}`);
  }

  // False actions on everyday audio with no command (the example registry's grammar).
  let negative = null;
  if (negMinutes > 0) {
    const neg = await negatives(negMinutes, rng, tts);
    const config = parseConfig({ asr: { model: asrModel } });
    const registry = await loadRegistry("devices/example.devices.json");
    const grammar = buildCommandGrammar(registry);
    vadModel ??= await SileroModel.load();
    const events = await runAudio(encodeWav(neg.x, 16000), config, {
      vad: vadModel,
      makeStages: async (bus) => [
        await WakeDetector.create(config.wake, bus),
        (await createRecognizer(grammar, config.asr)).recognizer,
      ],
    });
    const hours = neg.x.length / 16000 / 3600;
    const { actions, transcripts, acted } = actionsIn(
      events,
      0,
      Infinity,
      registry,
      config.devices.minIntentConfidence,
    );
    const kindAt = (t: number) => neg.segments.find(([a, b]) => t >= a - 0.5 && t < b + 2)?.[2];
    negative = {
      minutes: Math.round(hours * 600) / 10,
      wakesPerHour: Math.round(events.filter((e) => e.type === "wake").length / hours * 10) /
        10,
      transcriptsPerHour: Math.round(transcripts.length / hours * 10) / 10,
      acceptedTranscriptsPerHour: Math.round(
        transcripts.filter((t) => !t.rejected).length / hours * 10,
      ) / 10,
      falseIntents: actions.length,
      falseIntentsPerHour: Math.round(actions.length / hours * 100) / 100,
      falseActions: actions.filter((a) => !NON_ACTING.has(a.name)).length,
      falseActionsPerHour: Math.round(
        actions.filter((a) => !NON_ACTING.has(a.name)).length / hours * 100,
      ) / 100,
      actions: acted.map((t, i) => ({
        t: t.t,
        text: t.text,
        intent: actions[i].name,
        confidence: t.confidence,
        kind: kindAt(t.t),
      })),
      minutesByKind: Object.fromEntries(
        [...new Set(neg.segments.map((s) => s[2]))].map((k) => [
          k,
          Math.round(
            neg.segments.filter((s) => s[2] === k).reduce((a, s) => a + s[1] - s[0], 0) / 6,
          ) / 10,
        ]),
      ),
    };
    log(`negatives: ${JSON.stringify(negative)}`);
  }

  const groups = [...new Set(VOICES.map((v) => v.group))];
  const table = (rs: ItemResult[]) =>
    Object.fromEntries(
      groups.flatMap((g) => {
        const names = new Set(VOICES.filter((v) => v.group === g).map((v) => v.name));
        return ["clean", "10dB"].map((c) => [
          `${g} / ${c}`,
          summarize(rs.filter((r) => names.has(r.voice) && r.cond === c)),
        ]);
      }).filter(([, s]) => (s as { commands: number }).commands > 0),
    );
  const heldOut = (rs: ItemResult[], c: string) =>
    summarize(
      rs.filter((r) => r.cond === c && VOICES.find((v) => v.name === r.voice)?.group !== SEEN),
    );
  const out = {
    date: new Date().toISOString().slice(0, 10),
    command: `deno run -A scripts/asr/eval_onebreath.ts ${Deno.args.join(" ")}`.trim(),
    models: { wake: "models/wake/hey_computer.onnx", asr: asrModel || "models/asr/asr_int8.onnx" },
    heldOut: {
      wholePipeline: { clean: heldOut(results, "clean"), "10dB": heldOut(results, "10dB") },
      givenWakeEvent: {
        clean: heldOut(oracleResults, "clean"),
        "10dB": heldOut(oracleResults, "10dB"),
      },
    },
    byGroup: { wholePipeline: table(results), givenWakeEvent: table(oracleResults) },
    byVoice: Object.fromEntries(
      voices.flatMap((v) =>
        ["clean", "10dB"].map((c) => [
          `${v.name} / ${c}`,
          {
            wholePipeline: summarize(results.filter((r) => r.voice === v.name && r.cond === c)),
            givenWakeEvent: summarize(
              oracleResults.filter((r) => r.voice === v.name && r.cond === c),
            ),
          },
        ])
      ),
    ),
    byNoise: Object.fromEntries(["pink", "babble"].map((n) => {
      const held = (rs: ItemResult[]) =>
        rs.filter((r) => r.noise === n && VOICES.find((v) => v.name === r.voice)?.group !== SEEN);
      return [n, {
        wholePipeline: summarize(held(results)),
        givenWakeEvent: summarize(held(oracleResults)),
      }];
    })),
    negative,
    errors: oracleResults.filter((r) => !itemOk(r) && r.cond === "clean").slice(0, 60).map((
      r,
    ) => ({
      voice: r.voice,
      said: r.text,
      actions: r.actions.map((a) => `${a.name} ${JSON.stringify(a.slots)}`),
    })),
  };
  await Deno.writeTextFile(values.out!, JSON.stringify(out, null, 1) + "\n");
  log(`wrote ${values.out}`);
  if (values.md) {
    await Deno.writeTextFile(values.md, markdown(out));
    log(`wrote ${values.md}`);
  }
}

type Summary = ReturnType<typeof summarize>;

/** The markdown report of a run's JSON. */
export function markdown(o: {
  date: string;
  command: string;
  heldOut: Record<string, Record<string, Summary>>;
  byGroup: Record<string, Record<string, Summary>>;
  byVoice: Record<string, Record<string, Summary>>;
  negative: Record<string, unknown> | null;
}): string {
  const f = (v: number | null) => (v === null ? "-" : `${v}%`);
  const ms = (v: number | null) => (v === null ? "-" : `${Math.round(v * 1000)} ms`);
  const row = (name: string, s: Summary, g?: Summary) =>
    `| ${name} | ${s.commands} | ${f(s.wakeDetected)} | ${f(s.intentSlot)} | ${
      f(s.intentSlotGivenWake)
    } | ${g ? f(g.intentSlot) : "-"} | ${f(s.oogDidNothing)} | ${g ? f(g.oogDidNothing) : "-"} | ${
      ms(s.commitLatencyP95)
    } |`;
  const head = "| voices / condition | commands | wake detected | intent+slot (whole pipeline) | " +
    "intent+slot given wake detected | intent+slot given a wake event at the phrase end | " +
    "OOG did nothing (whole) | OOG did nothing (given wake event) | speech end to commit p95 |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |";
  const lines = [
    "# One-breath commands on voices the command model never trained on",
    "",
    `Produced by \`${o.command}\` on ${o.date} (scripts/asr/eval_onebreath.ts explains the`,
    "protocol). Whole pipeline: Silero VAD, MFCC, the shipped 4-bit wake model, the shipped INT8",
    "command model with the grammar of a random registry (device names never used in training",
    "among them), the intent parser with the devices runtime's rule. 'Given a wake event': the",
    "same audio with a wake event at the phrase's end (from its rendered length) instead of the",
    "wake model, to separate the command stage from the wake word.",
    "",
    "## Held-out voices (headline)",
    "",
    head,
    row(
      "held out, clean",
      o.heldOut.wholePipeline.clean,
      o.heldOut.givenWakeEvent.clean,
    ),
    row("held out, 10 dB", o.heldOut.wholePipeline["10dB"], o.heldOut.givenWakeEvent["10dB"]),
    "",
    "## By group of voices",
    "",
    head,
    ...Object.keys(o.byGroup.wholePipeline).map((k) =>
      row(k, o.byGroup.wholePipeline[k], o.byGroup.givenWakeEvent[k])
    ),
    "",
    "## By voice",
    "",
    head,
    ...Object.entries(o.byVoice).map(([k, v]) => row(k, v.wholePipeline, v.givenWakeEvent)),
    "",
  ];
  if (o.negative) {
    const n = o.negative;
    lines.push(
      "## No command: everyday speech, music and noise",
      "",
      `${n.minutes} minutes (${JSON.stringify(n.minutesByKind)}), example registry's grammar:`,
      `wake events ${n.wakesPerHour} per hour, transcripts ${n.transcriptsPerHour} per hour`,
      `(${n.acceptedTranscriptsPerHour} not rejected), intents ${n.falseIntents} ` +
        `(${n.falseIntentsPerHour} per hour), of which false actions (an intent that changes a ` +
        `device; not QueryState or Cancel) ${n.falseActions}: **${n.falseActionsPerHour} per ` +
        `hour** (target <= 0.1).`,
      "",
      "Actions taken: " + JSON.stringify(n.actions),
      "",
    );
  }
  return lines.join("\n");
}
