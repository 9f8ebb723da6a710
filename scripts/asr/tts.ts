/**
 * Speech from the Debian TTS engines at 16 kHz mono, for tests and evaluations: espeak-ng (any
 * voice or variant), flite (kal, kal16, awb, rms, slt) and festival (kal_diphone,
 * cmu_us_slt_arctic_hts, ...). A voice is "<engine>:<name>", e.g. "espeak:en-us+f4", "flite:slt",
 * "festival:cmu_us_slt_arctic_hts".
 *
 * @example
 * ```ts
 * const x = await speak("hey computer, turn off the floor lamp", "flite:slt");
 * const quiet = trimSilence(x); // leading and trailing silence cut
 * ```
 * @module
 */
import { decodeWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";

/** Engines {@link speak} knows. */
export const ENGINES = ["espeak", "flite", "festival"] as const;

/** Render `text` with `voice`; returns 16 kHz float samples peak-normalized to 0.5. */
export async function speak(text: string, voice: string): Promise<Float32Array> {
  const [engine, name] = voice.split(":", 2);
  if (!text.trim()) throw new Error(`speak: empty text for ${voice}`);
  if (!name) throw new Error(`speak: voice "${voice}" is not "<engine>:<name>"`);
  const dir = await Deno.makeTempDir({ prefix: "earshot-tts-" });
  try {
    const out = `${dir}/out.wav`;
    let cmd: string[];
    if (engine === "espeak") cmd = ["espeak-ng", "-v", name, "-w", out, text];
    else if (engine === "flite") cmd = ["flite", "-voice", name, "-t", text, "-o", out];
    else if (engine === "festival") {
      await Deno.writeTextFile(`${dir}/t.txt`, text);
      cmd = ["text2wave", "-o", out, "-eval", `(voice_${name})`, `${dir}/t.txt`];
    } else throw new Error(`speak: unknown TTS engine "${engine}" in voice "${voice}"`);
    const res = await new Deno.Command(cmd[0], { args: cmd.slice(1), stderr: "piped" }).output();
    let wav: Uint8Array;
    try {
      wav = await Deno.readFile(out);
    } catch {
      wav = new Uint8Array();
    }
    if (!res.success || wav.length <= 44) {
      throw new Error(
        `speak: ${voice} failed on "${text}": ${
          new TextDecoder().decode(res.stderr).slice(0, 300)
        }`,
      );
    }
    const w = decodeWav(wav, { name: `${voice} rendering` });
    const x = resample(w.samples, w.sampleRate, 16000);
    let peak = 0;
    for (const v of x) peak = Math.max(peak, Math.abs(v));
    if (peak > 0) { for (let i = 0; i < x.length; i++) x[i] *= 0.5 / peak; }
    return x;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** [first, end) sample range of the loud part (10 ms frames within 40 dB of the loudest, > -45 dBFS). */
export function loudRange(x: Float32Array): [number, number] {
  const frames = Math.floor(x.length / 160);
  const db = new Float64Array(frames);
  let max = -Infinity;
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = f * 160; i < (f + 1) * 160; i++) s += x[i] * x[i];
    db[f] = 10 * Math.log10(s / 160 + 1e-12);
    max = Math.max(max, db[f]);
  }
  const thr = Math.max(-45, max - 40);
  let a = 0;
  while (a < frames && db[a] <= thr) a++;
  let b = frames;
  while (b > a && db[b - 1] <= thr) b--;
  return [a * 160, b * 160];
}

/** The loud part of `x` (see {@link loudRange}). */
export function trimSilence(x: Float32Array): Float32Array {
  const [a, b] = loudRange(x);
  return x.slice(a, b);
}

/** Concatenate sample arrays and gaps of silence (numbers, in seconds). */
export function concat(parts: (Float32Array | number)[]): Float32Array {
  const chunks = parts.map((p) =>
    typeof p === "number" ? new Float32Array(Math.round(p * 16000)) : p
  );
  const out = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Add seeded white noise at `db` dBFS RMS (a microphone's noise floor). */
export function addFloor(x: Float32Array, db = -60, seed = 12345): Float32Array {
  const amp = 10 ** (db / 20) * Math.sqrt(3);
  const y = Float32Array.from(x);
  let s = seed >>> 0;
  for (let i = 0; i < y.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    y[i] += ((s / 4294967296) * 2 - 1) * amp;
  }
  return y;
}
