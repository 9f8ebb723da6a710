/**
 * Playback for the voice back: the short sounds (assets/sounds/*.wav) and sentences
 * synthesized by espeak-ng or flite, played one after another through
 * `aplay -D <device> -q -` (the WAV, scaled to `answers.volume`, on aplay's stdin). While
 * something plays, and `muteTailMs` after, {@link Player.busy} is true: the live pipeline
 * mutes the wake word then, so the satellite never wakes on its own voice.
 * @module
 */
import type { z } from "zod";
import { type answersSchema, ConfigError } from "../core/config.ts";
import { decodeWav, encodeWav, WavError } from "./wav.ts";

/** The `answers` config section. */
export type AnswersConfig = z.infer<typeof answersSchema>;

/** A speech synthesizer earshot can run. */
export type Engine = "espeak-ng" | "flite";

/** The sounds a player holds. */
export const SOUND_NAMES = ["wake", "done", "error"] as const;

/** Counters for status and tests. */
export interface PlayerStats {
  /** Sounds played. */
  sounds: number;
  /** Sentences spoken. */
  spoken: number;
  /** Plays or syntheses that failed (aplay or the engine exited with an error). */
  failed: number;
  /** Milliseconds of audio played. */
  playedMs: number;
}

/** A decoded mono clip ready to play. */
export interface Clip {
  samples: Float32Array;
  sampleRate: number;
}

/** Whether `program` runs (`args` exit 0 or print a version); false when absent or not allowed. */
async function runs(program: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, { args, stdout: "null", stderr: "null" })
      .output();
    return out.success || out.code === 1; // flite --version prints its version and exits 1
  } catch {
    return false;
  }
}

/**
 * The engine to speak with: `answers.engine` when it is installed ("auto": espeak-ng, else
 * flite), or null (sounds only) with a note saying why.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from "../core/config.ts";
 * const { engine, note } = await detectEngine(DEFAULTS.answers); // "espeak-ng" on the Pi install
 * ```
 */
export async function detectEngine(
  a: Pick<AnswersConfig, "engine" | "espeak" | "flite" | "speech">,
): Promise<{ engine: Engine | null; note?: string }> {
  if (!a.speech) return { engine: null };
  if (a.engine === "none") return { engine: null };
  const candidates: Engine[] = a.engine === "auto" ? ["espeak-ng", "flite"] : [a.engine];
  for (const e of candidates) {
    const program = e === "espeak-ng" ? a.espeak : a.flite;
    if (await runs(program, ["--version"])) return { engine: e };
  }
  const names = candidates.map((e) => e === "espeak-ng" ? a.espeak : a.flite).join(" or ");
  return {
    engine: null,
    note: `answers.engine ${a.engine}: ${names} not found (or not allowed by --allow-run): ` +
      `sounds only, nothing is spoken (install espeak-ng, see README "Answers")`,
  };
}

/**
 * A WAV written to a pipe declares a data size it cannot know (espeak-ng: 0x7ffff000);
 * set it to the bytes that came.
 */
export function fixStreamedWav(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = v.getUint32(at + 4, true);
    if (id === "data") {
      if (at + 8 + size > bytes.length) v.setUint32(at + 4, bytes.length - at - 8, true);
      if (v.getUint32(4, true) + 8 > bytes.length) v.setUint32(4, bytes.length - 8, true);
      return bytes;
    }
    at += 8 + size + (size % 2);
  }
  return bytes;
}

/** Decode WAV bytes to a mono clip (channels averaged); `name` goes into errors. */
export function clipOf(bytes: Uint8Array, name: string): Clip {
  const w = decodeWav(fixStreamedWav(bytes), { name, maxSeconds: 120 });
  if (w.channels === 1) return { samples: w.samples, sampleRate: w.sampleRate };
  const n = Math.floor(w.samples.length / w.channels);
  const mono = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < w.channels; c++) s += w.samples[i * w.channels + c];
    mono[i] = s / w.channels;
  }
  return { samples: mono, sampleRate: w.sampleRate };
}

/** Where a relative path is found: the working directory, else the repository. */
async function resolve(path: string): Promise<string> {
  if (path.startsWith("/")) return path;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    return new URL(`../${path}`, import.meta.url).pathname;
  }
}

/** Read the three sounds from `dir`; a missing or bad file is a ConfigError naming it. */
export async function loadSounds(dir: string): Promise<Record<string, Clip>> {
  const base = await resolve(dir);
  const out: Record<string, Clip> = {};
  for (const name of SOUND_NAMES) {
    const file = `${base.replace(/\/$/, "")}/${name}.wav`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (err) {
      throw new ConfigError(
        `answers.soundsDir: cannot read ${file}: ${(err as Error).message} ` +
          `(deno run -A scripts/make_sounds.ts writes them)`,
      );
    }
    try {
      out[name] = clipOf(bytes, file);
    } catch (err) {
      if (err instanceof WavError) throw new ConfigError(`answers.soundsDir: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** What a player is built from. */
export interface PlayerOptions {
  config: AnswersConfig;
  /** The engine to speak with (null: sounds only). */
  engine: Engine | null;
  /** The sounds by name (absent: no sounds). */
  sounds?: Record<string, Clip>;
  /** Problems while playing (aplay missing, device busy); each distinct one once in a row. */
  report?: (message: string) => void;
  /** Wall clock (ms). */
  now?: () => number;
}

/**
 * Plays sounds and speaks sentences, one at a time, in the order asked.
 *
 * @example
 * ```ts
 * import { DEFAULTS } from "../core/config.ts";
 * const config = { ...DEFAULTS.answers, device: "null" };
 * const player = new Player({ config, engine: (await detectEngine(config)).engine,
 *   sounds: await loadSounds(config.soundsDir) });
 * await player.play({ sound: "done", text: "the kitchen light is on" });
 * ```
 */
export class Player {
  readonly stats: PlayerStats = { sounds: 0, spoken: 0, failed: 0, playedMs: 0 };
  #queue: Promise<void> = Promise.resolve();
  #active = 0;
  #quietAt = -Infinity;
  #lastReport = "";
  #now: () => number;

  constructor(readonly opts: PlayerOptions) {
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Whether sentences are spoken (an engine was found and answers.speech is on). */
  get canSpeak(): boolean {
    return this.opts.engine !== null && this.opts.config.speech;
  }

  /**
   * True while something plays or is waiting to, and `muteTailMs` after it ended: the wake
   * word is muted then (the room's echo of the satellite's own voice).
   */
  get busy(): boolean {
    return this.#active > 0 || this.#now() < this.#quietAt + this.opts.config.muteTailMs;
  }

  /**
   * Play the sound, then speak the text (each when enabled); resolves once both finished.
   * Never rejects: failures are counted and reported.
   */
  play(reply: { sound?: string; text?: string }): Promise<void> {
    const { config, sounds } = this.opts;
    const clips: Array<() => Promise<Clip | null>> = [];
    if (reply.sound && config.sounds && sounds?.[reply.sound]) {
      const clip = sounds[reply.sound];
      clips.push(() => {
        this.stats.sounds++;
        return Promise.resolve(clip);
      });
    }
    if (reply.text && this.canSpeak) {
      const text = reply.text;
      clips.push(async () => {
        const clip = await this.synthesize(text);
        if (clip) this.stats.spoken++;
        return clip;
      });
    }
    if (!clips.length) return Promise.resolve();
    this.#active++;
    const run = this.#queue.then(async () => {
      try {
        for (const get of clips) {
          const clip = await get();
          if (clip) await this.#aplay(clip);
        }
      } finally {
        this.#active--;
        this.#quietAt = this.#now();
      }
    }).catch((err) => this.#fail(`answers: ${(err as Error).message}`));
    this.#queue = run;
    return run;
  }

  /** Render `text` with the engine to a clip; null (reported) when it fails. */
  async synthesize(text: string): Promise<Clip | null> {
    const { config, engine } = this.opts;
    if (!engine) return null;
    const program = engine === "espeak-ng" ? config.espeak : config.flite;
    // The text goes on stdin (espeak-ng) or after -t (flite): never read as an option.
    const args = engine === "espeak-ng"
      ? ["--stdout", "-s", String(config.rate), ...(config.voice ? ["-v", config.voice] : [])]
      : [...(config.voice ? ["-voice", config.voice] : []), "-o", "/dev/stdout", "-t", text];
    try {
      const child = new Deno.Command(program, {
        args,
        stdin: engine === "espeak-ng" ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (engine === "espeak-ng") {
        // espeak-ng may exit before it reads (an unknown voice): the broken pipe is not the
        // reason, its exit status and stderr are.
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(text)).catch(() => {});
        await w.close().catch(() => {});
      }
      const out = await child.output();
      if (!out.success || out.stdout.length <= 44) {
        const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
        this.#fail(`${program} exited with ${out.code}${why ? `: ${why}` : ""}`);
        return null;
      }
      return clipOf(out.stdout, program);
    } catch (err) {
      this.#fail(`cannot run ${program}: ${(err as Error).message}`);
      return null;
    }
  }

  async #aplay(clip: Clip): Promise<void> {
    const { config } = this.opts;
    const scaled = clip.samples.map((s) => s * config.volume);
    const wav = encodeWav(scaled, clip.sampleRate);
    try {
      const child = new Deno.Command(config.aplay, {
        args: ["-D", config.device, "-q", "-"],
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(wav).catch(() => {});
      await w.close().catch(() => {});
      const out = await child.output();
      if (!out.success) {
        const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
        this.#fail(
          `answers.device ${config.device}: ${config.aplay} exited with ${out.code}${
            why ? `: ${why}` : ""
          }`,
        );
        return;
      }
      this.stats.playedMs += Math.round((clip.samples.length / clip.sampleRate) * 1000);
      this.#lastReport = "";
    } catch (err) {
      this.#fail(`answers.aplay: cannot run ${config.aplay}: ${(err as Error).message}`);
    }
  }

  #fail(message: string): void {
    this.stats.failed++;
    if (message !== this.#lastReport) this.opts.report?.(message);
    this.#lastReport = message;
  }

  /** Wait until everything asked so far has played. */
  idle(): Promise<void> {
    return this.#queue;
  }
}
