/**
 * Finding the microphone (`earshot mics`): the capture devices `arecord -l`
 * lists, and a few seconds recorded from one with a level per 100 ms, for the
 * verdict of {@link analyzeLevels}.
 * @module
 */
import { S16Decoder } from "./pcm.ts";
import { SAMPLE_RATE } from "../core/units.ts";
import { arecordArgs, SourceError } from "./sources.ts";
import { windowDb } from "./levels.ts";

/** One ALSA capture device. */
export interface CaptureDevice {
  card: number;
  device: number;
  cardName: string;
  deviceName: string;
  /** What to give earshot (`--device`, audio.micDevice): plughw converts rate and format. */
  alsa: string;
}

/**
 * Parse `arecord -l` (lines `card 1: Device [USB PnP Sound Device], device 0: USB Audio [USB
 * Audio]`; the rest is ignored).
 */
export function parseArecordList(text: string): CaptureDevice[] {
  const out: CaptureDevice[] = [];
  const re = /^card (\d+): \S+ \[(.*?)\], device (\d+): (.*?)(?: \[(.*?)\])?\s*$/;
  for (const line of text.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    const card = Number(m[1]);
    const device = Number(m[3]);
    out.push({
      card,
      device,
      cardName: m[2],
      deviceName: m[5] ?? m[4],
      alsa: `plughw:${card},${device}`,
    });
  }
  return out;
}

function notFound(bin: string): SourceError {
  return new SourceError(
    `${bin} not found: install alsa-utils (apt install alsa-utils) or set audio.arecord`,
  );
}

/** The capture devices, and arecord's own message when there are none. */
export async function listCaptureDevices(
  arecord = "arecord",
): Promise<{ devices: CaptureDevice[]; message: string }> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(arecord, { args: ["-l"], stdin: "null" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw notFound(arecord);
    throw new SourceError(`cannot start ${arecord}: ${(err as Error).message}`);
  }
  const text = new TextDecoder().decode(out.stdout);
  const message = new TextDecoder().decode(out.stderr).trim();
  return { devices: parseArecordList(text), message };
}

/**
 * Record `seconds` from `device` at 16 kHz mono through arecord, calling
 * `onWindow` with the level of each 100 ms. Throws {@link SourceError} with
 * arecord's message when it cannot record.
 */
export async function recordLevels(
  options: {
    arecord?: string;
    device: string;
    seconds: number;
    onWindow?: (db: number, clipped: boolean) => void;
  },
): Promise<Float32Array> {
  const bin = options.arecord ?? "arecord";
  const rate = SAMPLE_RATE;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(bin, {
      args: arecordArgs(options.device, rate, options.seconds),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw notFound(bin);
    throw new SourceError(`cannot start ${bin}: ${(err as Error).message}`);
  }
  const stderr = new Response(child.stderr).text();
  const want = rate * options.seconds;
  const samples = new Float32Array(want);
  const decoder = new S16Decoder(1);
  let n = 0;
  let reported = 0;
  for await (const bytes of child.stdout) {
    const x = decoder.push(bytes);
    const take = Math.min(x.length, want - n);
    samples.set(x.subarray(0, take), n);
    n += take;
    while (n - reported >= 1600) {
      const w = samples.subarray(reported, reported + 1600);
      options.onWindow?.(windowDb(w), w.some((v) => Math.abs(v) >= 0.999));
      reported += 1600;
    }
  }
  const status = await child.status;
  const message = (await stderr).trim().split("\n").slice(-2).join(" ");
  if (n === 0) {
    throw new SourceError(
      `${bin} -D ${options.device} recorded nothing (exit ${status.code}): ` +
        (message || "no message") + " (pick a device from the list above)",
    );
  }
  return samples.subarray(0, n);
}
