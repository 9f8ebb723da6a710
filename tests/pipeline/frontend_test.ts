/** The front end's frames: MFCC exactly as the streaming extractor computes it, digital silence too. */
import assert from "node:assert/strict";
import { FrontEnd } from "../../pipeline/frontend.ts";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import { mfccOfSignal } from "../../pipeline/mfcc.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { RECORDINGS } from "../helpers/audio.ts";

const speech = await loadAudioFile(RECORDINGS.librivox);

Deno.test("digital silence skips the MFCC transform, and every frame equals the streamed MFCC", async () => {
  // Speech, 1 s of digital silence, speech, a zero run shorter than the window, speech, and
  // zeros that start inside a hop.
  const parts = [
    speech.subarray(16000, 32000),
    new Float32Array(16000),
    speech.subarray(32000, 40000),
    new Float32Array(300),
    speech.subarray(40000, 48077),
    new Float32Array(5000),
  ];
  const x = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    x.set(p, at);
    at += p.length;
  }
  const config = parseConfig({});
  const fe = await FrontEnd.create(config, new EventBus(), await SileroModel.load());
  const frames: Float32Array[] = [];
  for (let i = 0; i < x.length; i += 1000) {
    await fe.push(x.subarray(i, i + 1000), (f) => void frames.push(Float32Array.from(f.mfcc)));
  }
  const ref = mfccOfSignal(x);
  assert.equal(frames.length, ref.frames);
  for (const [k, f] of frames.entries()) {
    assert.deepEqual(f, ref.data.subarray(k * 13, (k + 1) * 13), `frame ${k}`);
  }
  // Windows (ending at multiples of 160) wholly inside the silences: 97 in the second of zeros
  // (ends 16640 ... 32000), none in the 300-sample run, 28 in the trailing zeros from sample
  // 48377 (ends 48960 ... 53280).
  assert.equal(fe.stats.zeroFrames, 97 + 28);
});
