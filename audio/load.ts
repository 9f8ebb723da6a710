/**
 * Load a whole audio file as 16 kHz mono float samples (WAV any format/rate).
 * @module
 */
import { readWav } from "./wav.ts";
import { resample } from "./resample.ts";
import { SAMPLE_RATE } from "../core/events.ts";

/** Read a WAV file and resample it to 16 kHz mono. Errors name the file. */
export async function loadAudioFile(path: string): Promise<Float32Array> {
  const wav = await readWav(path);
  return resample(wav.samples, wav.sampleRate, SAMPLE_RATE);
}
