/**
 * Audio sources as async iterables of 16 kHz mono float chunks: a WAV file,
 * raw s16le PCM on stdin, or a live microphone through `arecord` (restarted
 * with backoff when it exits). Each reports `source` events through `report`.
 * @module
 */
import type { SourceEvent } from "../core/events.ts";
import { SAMPLE_RATE } from "../core/events.ts";
import { openWavStream } from "./wav.ts";
import { Resampler } from "./resample.ts";
import { S16Decoder } from "./pcm.ts";
import { childEnv } from "../core/secrets.ts";

/** Receives source state changes (t is filled in by the caller's stream clock). */
export type SourceReporter = (e: Omit<SourceEvent, "type" | "t">) => void;

/** An audio source problem (missing file, missing arecord, missing device). */
export class SourceError extends Error {
  override name = "SourceError";
}

/** Chunk size handed downstream: 100 ms. */
const CHUNK = 1600;

/** Sleep that an AbortSignal can cut short. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const id = setTimeout(done, ms);
    function done() {
      clearTimeout(id);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * A WAV file (or a FIFO, a device) read in chunks and resampled to 16 kHz, so
 * memory stays flat however long the input; `realtime` paces it like a
 * microphone. A FIFO without a writer reports `waiting` after a second; an
 * abort stops it at once, waiting or reading.
 */
export async function* wavSource(
  path: string,
  options: { realtime?: boolean; report?: SourceReporter; signal?: AbortSignal } = {},
): AsyncGenerator<Float32Array> {
  const wav = await openWavStream(path, {
    signal: options.signal,
    onWaiting: (reason) => options.report?.({ state: "waiting", source: path, reason }),
  });
  if (!wav) {
    options.report?.({ state: "ended", source: path, reason: "stopped" });
    return;
  }
  options.report?.({ state: "started", source: path });
  const rate = wav.format.sampleRate;
  const rs = new Resampler(rate, SAMPLE_RATE);
  const step = Math.max(1, Math.round((CHUNK * rate) / SAMPLE_RATE));
  const started = performance.now();
  let sent = 0;
  try {
    for await (const block of wav.chunks()) {
      for (let i = 0; i < block.length; i += step) {
        if (options.signal?.aborted) break;
        const out = rs.push(block.subarray(i, i + step));
        if (out.length) yield out;
        sent += out.length;
        if (options.realtime) {
          const ahead = (sent / SAMPLE_RATE) * 1000 - (performance.now() - started);
          if (ahead > 0) await sleep(ahead, options.signal);
        }
      }
      if (options.signal?.aborted) break;
    }
  } finally {
    wav.close();
  }
  const tail = rs.flush();
  if (tail.length) yield tail;
  options.report?.({
    state: "ended",
    source: path,
    reason: options.signal?.aborted ? "stopped" : undefined,
  });
}

/** Raw s16le PCM from a byte stream (stdin), at `rate` with `channels`. */
export async function* pcmSource(
  stream: ReadableStream<Uint8Array>,
  options: { rate: number; channels?: number; name?: string; report?: SourceReporter },
): AsyncGenerator<Float32Array> {
  const name = options.name ?? "stdin";
  const decoder = new S16Decoder(options.channels ?? 1);
  const rs = new Resampler(options.rate, SAMPLE_RATE);
  options.report?.({ state: "started", source: name });
  for await (const bytes of stream) {
    const out = rs.push(decoder.push(bytes));
    if (out.length) yield out;
  }
  const tail = rs.flush();
  if (tail.length) yield tail;
  options.report?.({
    state: "ended",
    source: name,
    reason: decoder.leftover
      ? `ignored ${decoder.leftover} trailing bytes (partial frame)`
      : undefined,
  });
}

/** Microphone options (config.audio). */
export interface MicOptions {
  device: string;
  rate: number;
  arecord?: string;
  restartMinMs?: number;
  restartMaxMs?: number;
  /**
   * A running arecord that delivers no audio for this long is stalled: it is
   * killed and restarted (default 2000 ms; a device delivers every ~10-100 ms).
   */
  stallMs?: number;
  /** Stop after this many restarts (default: never). */
  maxRestarts?: number;
  report?: SourceReporter;
  signal?: AbortSignal;
}

/** arecord's arguments for raw mono S16_LE at `rate` from `device` (for `seconds`, else endless). */
export function arecordArgs(device: string, rate: number, seconds?: number): string[] {
  const args = ["-q", "-D", device, "-f", "S16_LE", "-c", "1", "-r", String(rate), "-t", "raw"];
  return seconds === undefined ? args : [...args, "-d", String(seconds)];
}

/**
 * Live capture through ALSA's `arecord` as a subprocess. When arecord exits
 * after having delivered audio, it is restarted with exponential backoff
 * (reset after a minute of healthy capture); one that stays alive but sends
 * nothing for `stallMs` is killed and restarted the same way. Each restart
 * reports `restarting` with the reason, then `started` again once audio flows.
 * When it cannot start at all
 * (not installed, or the device is missing on the first try), a
 * {@link SourceError} says so with arecord's own message.
 */
export async function* micSource(options: MicOptions): AsyncGenerator<Float32Array> {
  const bin = options.arecord ?? "arecord";
  const name = `mic:${options.device}`;
  const minDelay = options.restartMinMs ?? 500;
  const maxDelay = options.restartMaxMs ?? 30000;
  const stallMs = options.stallMs ?? 2000;
  let delay = minDelay;
  let restarts = 0;
  let everDelivered = false;
  while (!options.signal?.aborted) {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(bin, {
        args: arecordArgs(options.device, options.rate),
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
        // arecord needs no tokens or broker passwords.
        clearEnv: true,
        env: childEnv(),
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new SourceError(
          `${bin} not found: install alsa-utils (apt install alsa-utils) or set audio.arecord`,
        );
      }
      throw new SourceError(`cannot start ${bin}: ${(err as Error).message}`);
    }
    const onAbort = () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const stderrText = new Response(child.stderr).text();
    if (!restarts) options.report?.({ state: "started", source: name });
    const decoder = new S16Decoder(1);
    const rs = new Resampler(options.rate, SAMPLE_RATE);
    const startedAt = performance.now();
    let delivered = 0;
    let stalled = false;
    const reader = child.stdout.getReader();
    try {
      while (true) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const next = await Promise.race([
          reader.read(),
          new Promise<"stall">((r) => timer = setTimeout(() => r("stall"), stallMs)),
        ]);
        clearTimeout(timer);
        if (next === "stall") {
          stalled = true;
          try {
            child.kill("SIGKILL");
          } catch { /* exited meanwhile */ }
          break;
        }
        if (next.done) break;
        const out = rs.push(decoder.push(next.value));
        if (out.length && delivered === 0 && restarts) {
          // Audio flows again: the source is healthy (the probe and status stop saying restarting).
          options.report?.({ state: "started", source: name, reason: `restart ${restarts}` });
        }
        delivered += out.length;
        if (out.length) yield out;
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      await reader.cancel().catch(() => {});
      if (options.signal?.aborted || stalled) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
    }
    const status = await child.status;
    // A grandchild can keep stderr open after arecord died: wait for its text only briefly.
    let stderrTimer: ReturnType<typeof setTimeout> | undefined;
    const stderr = (await Promise.race([
      stderrText.catch(() => ""),
      new Promise<string>((r) => stderrTimer = setTimeout(() => r(""), 500)),
    ])).trim().split("\n").slice(-2).join(" ");
    clearTimeout(stderrTimer);
    if (options.signal?.aborted) break;
    if (delivered > 0) everDelivered = true;
    if (!everDelivered && !stalled) {
      throw new SourceError(
        `${bin} -D ${options.device} exited (code ${status.code}) before any audio: ` +
          (stderr || "no message") + " (check the device with `arecord -l`)",
      );
    }
    if (options.maxRestarts !== undefined && restarts >= options.maxRestarts) {
      options.report?.({ state: "ended", source: name, reason: stderr || `exit ${status.code}` });
      return;
    }
    if (performance.now() - startedAt > 60000) delay = minDelay;
    options.report?.({
      state: "restarting",
      source: name,
      reason: (stalled
        ? `${bin} stalled: no audio for ${stallMs} ms, killed`
        : `${bin} exited (code ${status.code})${stderr ? `: ${stderr}` : ""}`) +
        `; retry in ${delay} ms`,
    });
    await sleep(delay, options.signal);
    delay = Math.min(maxDelay, delay * 2);
    restarts++;
  }
  options.report?.({ state: "ended", source: name });
}
