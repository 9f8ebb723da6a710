/**
 * Writes the voice-back sounds (assets/sounds/wake.wav, done.wav, error.wav): pure synthesis,
 * deterministic (the same bytes on every run), so the committed files can be checked against
 * this script (tests/audio/player_test.ts). 22.05 kHz mono 16-bit; each note a sine with
 * its second harmonic under a raised-cosine attack and an exponential decay.
 *
 * - wake: a rising chirp, 660 -> 1320 Hz in 140 ms ("I am listening").
 * - done: two quick rising notes, E6 then A6 (1319, 1760 Hz).
 * - error: two falling notes, A4 then E4 (440, 330 Hz), longer and lower.
 *
 * @example
 * ```sh
 * deno run --allow-write=assets/sounds scripts/make_sounds.ts            # assets/sounds/
 * deno run --allow-write scripts/make_sounds.ts /tmp/sounds              # elsewhere
 * ```
 * @module
 */
import { encodeWav } from "../audio/wav.ts";

/** Sample rate of the sounds. */
export const RATE = 22050;

/** One note: frequency at start and end (a glide when they differ), length, loudness. */
interface Note {
  from: number;
  to: number;
  ms: number;
  gain: number;
  /** Silence before the note, ms. */
  gapMs?: number;
}

/** Render notes one after another. */
export function render(notes: Note[]): Float32Array {
  const parts: number[] = [];
  for (const n of notes) {
    for (let i = 0; i < Math.round(((n.gapMs ?? 0) / 1000) * RATE); i++) parts.push(0);
    const len = Math.round((n.ms / 1000) * RATE);
    const attack = Math.round(0.006 * RATE);
    let phase = 0;
    for (let i = 0; i < len; i++) {
      const x = i / len;
      const f = n.from * Math.pow(n.to / n.from, x);
      phase += (2 * Math.PI * f) / RATE;
      const env = (i < attack ? 0.5 - 0.5 * Math.cos((Math.PI * i) / attack) : 1) *
        Math.exp(-3.5 * x) * (i > len - attack ? (len - i) / attack : 1);
      parts.push(n.gain * env * (0.85 * Math.sin(phase) + 0.15 * Math.sin(2 * phase)));
    }
  }
  for (let i = 0; i < Math.round(0.02 * RATE); i++) parts.push(0);
  return Float32Array.from(parts);
}

/** The three sounds as WAV bytes. */
export function sounds(): Record<"wake" | "done" | "error", Uint8Array> {
  return {
    wake: encodeWav(render([{ from: 660, to: 1320, ms: 140, gain: 0.5 }]), RATE),
    done: encodeWav(
      render([
        { from: 1319, to: 1319, ms: 90, gain: 0.45 },
        { from: 1760, to: 1760, ms: 130, gain: 0.45, gapMs: 20 },
      ]),
      RATE,
    ),
    error: encodeWav(
      render([
        { from: 440, to: 440, ms: 160, gain: 0.55 },
        { from: 330, to: 330, ms: 240, gain: 0.55, gapMs: 40 },
      ]),
      RATE,
    ),
  };
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? new URL("../assets/sounds", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(sounds())) {
    await Deno.writeFile(`${dir}/${name}.wav`, bytes);
    console.log(`${dir}/${name}.wav: ${bytes.length} bytes`);
  }
}
