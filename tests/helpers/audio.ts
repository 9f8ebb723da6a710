/**
 * Test helpers: signals, real recordings from Debian packages, sox.
 * @module
 */

/** A sine tone. */
export function tone(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** RMS of x, skipping `skip` samples at both ends. */
export function rms(x: Float32Array, skip = 0): number {
  let s = 0;
  let n = 0;
  for (let i = skip; i < x.length - skip; i++, n++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, n));
}

/** Seeded white noise in [-amp, amp] (xorshift). */
export function noise(n: number, amp: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296 * 2 - 1) * amp;
  }
  return x;
}

/** Real recordings shipped by Debian packages (installed by .ci/run). */
export const RECORDINGS = {
  /** pocketsphinx-testdata: "go forward ten meters", raw s16le 16 kHz. */
  goforward: "/usr/share/pocketsphinx/test/data/goforward.raw",
  /** LibriVox read speech, 16 kHz WAV. */
  librivox:
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
  /** Asterisk prompts, 8 kHz WAV, one speaker. */
  asteriskDir: "/usr/share/asterisk/sounds/en",
  /** Asterisk music on hold. */
  music: "/usr/share/asterisk/moh/macroform-cold_day.wav",
};

/** Run sox with arguments; throws with its stderr on failure. */
export async function sox(...args: string[]): Promise<void> {
  const out = await new Deno.Command("sox", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`sox ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "earshot-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
