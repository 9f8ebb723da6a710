/**
 * The always-on scheduling of Silero (vad.idleStride, full-rate periods after a wake word), on
 * real read speech and the demo recording, with the real Silero session.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { levelDb, SileroModel, VoiceActivity } from "../../pipeline/vad.ts";
import { Pipeline } from "../../pipeline/pipeline.ts";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import type { FrameStage } from "../../pipeline/frame.ts";
import { createStages } from "../../app/stages.ts";
import { decodeWav } from "../../audio/wav.ts";
import { loadAudioFile } from "../../audio/load.ts";
import { RECORDINGS } from "../helpers/audio.ts";

const vad = await SileroModel.load();
const defaults = parseConfig({}).vad;

/** The five LibriVox readings of pocketsphinx-testdata, 0.5 s of digital silence after each. */
async function readings(): Promise<Float32Array> {
  const dir = dirname(RECORDINGS.librivox);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wav"))
    .sort();
  assert.equal(names.length, 5, `${dir}: expected the five LibriVox readings`);
  const parts = await Promise.all(names.map((n) => loadAudioFile(`${dir}/${n}`)));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length + 8000, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 8000;
  }
  return out;
}
const READ = await readings();

interface Run {
  va: VoiceActivity;
  starts: number[];
  ends: number[];
  /** Held chunks after each sample where fullRateUntil was called. */
  heldAfter: number[];
}

/** Run VoiceActivity over `x`; `wakeAt` samples start full-rate periods of `periodSamples`. */
async function activity(
  x: Float32Array,
  idleStride: number,
  wakeAt: number[] = [],
  periodSamples = Infinity,
): Promise<Run> {
  const va = new VoiceActivity(vad, { ...defaults, idleStride });
  const starts: number[] = [];
  const ends: number[] = [];
  const heldAfter: number[] = [];
  let prev = -1;
  for (let i = 0; i + 512 <= x.length; i += 512) {
    for (const w of wakeAt) {
      if (w >= i - 512 && w < i) {
        va.fullRateUntil(w + periodSamples);
        heldAfter.push(0);
      }
    }
    const step = await va.push(x.subarray(i, i + 512), i);
    if (step.held) {
      // A held chunk repeats the previous probability and never changes the speech state.
      assert.equal(step.probability, prev, `held chunk at ${i / 16000} s`);
      assert.equal(step.change, null);
      if (heldAfter.length && i < wakeAt[heldAfter.length - 1] + periodSamples) {
        heldAfter[heldAfter.length - 1]++;
      }
    }
    prev = step.probability;
    if (step.change?.state === "start") starts.push(step.change.sample / 16000);
    if (step.change?.state === "end") ends.push(step.change.sample / 16000);
  }
  return { va, starts, ends, heldAfter };
}

const FULL = await activity(READ, 1);

Deno.test("idle stride on real read speech: Silero skips ~40% of the chunks, same segments", async () => {
  assert.equal(FULL.va.held, 0);
  assert.equal(FULL.starts.length, 5, `full rate: ${FULL.starts} / ${FULL.ends}`);
  assert.equal(FULL.ends.length, 5);
  const idle = await activity(READ, 2);
  assert.ok(idle.va.held > 0.3 * idle.va.chunks, `held ${idle.va.held}/${idle.va.chunks}`);
  assert.ok(
    idle.va.modelRuns < 0.65 * FULL.va.modelRuns,
    `runs ${idle.va.modelRuns} vs ${FULL.va.modelRuns} at full rate`,
  );
  assert.equal(idle.starts.length, FULL.starts.length);
  assert.equal(idle.ends.length, FULL.ends.length);
  idle.starts.forEach((s, i) => assert.ok(Math.abs(s - FULL.starts[i]) <= 0.064, `start ${i}`));
  // Silero reacts more slowly after strided input: idle speech ends may come a little later.
  idle.ends.forEach((e, i) => {
    assert.ok(
      e - FULL.ends[i] >= 0 && e - FULL.ends[i] <= 0.25,
      `end ${i}: ${e} vs ${FULL.ends[i]}`,
    );
  });
});

Deno.test("a full-rate period holds nothing and times the speech end as at full rate", async () => {
  // A wake word fires at the end of speech (the wake phrase just ended): the rebuild replays the
  // last second at full rate, so the end is where the model running all along puts it.
  for (const [i, end] of FULL.ends.entries()) {
    const at = Math.round(end * 16000);
    const run = await activity(READ, 2, [at], 16000 * 2);
    assert.equal(run.heldAfter[0], 0, `held chunks inside the period after ${end} s`);
    const got = run.ends.find((e) => e >= end - 0.3);
    assert.ok(got !== undefined && got - end <= 0.064, `end ${i}: ${got} vs ${end}`);
    assert.ok(run.va.held > 0, "outside the period the stride applies");
  }
});

Deno.test("idleStride 1 runs Silero on every loud chunk; bad strides are refused", async () => {
  const x = READ.subarray(0, 16000 * 8);
  const strict = await activity(x, 1);
  let loud = 0;
  for (let i = 0; i + 512 <= x.length; i += 512) {
    if (levelDb(x.subarray(i, i + 512)) >= defaults.energyGateDb) loud++;
  }
  assert.equal(strict.va.held, 0);
  assert.equal(strict.va.modelRuns, loud);
  for (const idleStride of [0, 1.5]) {
    assert.throws(() => new VoiceActivity(vad, { ...defaults, idleStride }), /vad\.idleStride/);
  }
  assert.throws(() => parseConfig({ vad: { idleStride: 0 } }), /idleStride/);
});

/** Per-frame held counters of a pipeline run over `x`, with extra stages. */
async function pipelineRun(
  x: Float32Array,
  config: ReturnType<typeof parseConfig>,
  makeStages: (bus: EventBus) => Promise<FrameStage[]> | FrameStage[],
) {
  const bus = new EventBus();
  const events: EarshotEvent[] = [];
  bus.on((e) => e.type !== "level" && events.push(e));
  const pipeline: { p?: Pipeline } = {};
  const heldAt: number[] = []; // held count after each frame
  const probe: FrameStage = {
    onFrame: () => void heldAt.push(pipeline.p!.frontEnd.stats.vadHeld),
  };
  const stages = [...await makeStages(bus), probe];
  const p = pipeline.p = await Pipeline.create(config, bus, { vad, stages });
  for (let i = 0; i < x.length; i += 1600) await p.push(x.subarray(i, i + 1600));
  await p.end();
  await p.close();
  return { events, heldAt, stats: p.frontEnd.stats };
}

Deno.test("demo: full rate from the wake word to the transcript, the same events as at full rate", async () => {
  const demo = decodeWav(await Deno.readFile(new URL("../../assets/demo.wav", import.meta.url)))
    .samples;
  const run = async (idleStride: number) => {
    const config = parseConfig({ vad: { idleStride } });
    return await pipelineRun(demo, config, (bus) => createStages(config, bus));
  };
  const full = await run(1);
  const idle = await run(2);
  const strip = (e: EarshotEvent) => e.type === "transcript" ? { ...e, decodeMs: 0 } : e;
  assert.deepEqual(idle.events.map(strip), full.events.map(strip));
  const wake = idle.events.find((e) => e.type === "wake")!;
  const transcript = idle.events.find((e) => e.type === "transcript")!;
  assert.equal(transcript.text, "turn on the kitchen light");
  const frameOf = (t: number) => Math.round(t * 100) - 1;
  assert.ok(idle.heldAt[frameOf(wake.t)] > 0, "Silero was strided before the wake word");
  assert.equal(
    idle.heldAt[frameOf(transcript.t)],
    idle.heldAt[frameOf(wake.t)],
    "nothing held between the wake word and the transcript",
  );
  assert.equal(full.stats.vadHeld, 0);
});

Deno.test("pipeline: a wake word starts full rate until the transcript or the listen limits", async () => {
  // Wake events from a stage at 2 s; with the transcript at 3 s, or none (timeouts 1 s in all).
  const config = parseConfig({ asr: { listenTimeoutMs: 500, maxUtteranceMs: 500 } });
  const wakeAndMaybeTranscript = (transcriptAt: number | null) => (bus: EventBus) => {
    let n = 0;
    return [{
      onFrame(f: { t: number; sample: number }) {
        n++;
        if (n === 200) {
          bus.emit({
            type: "wake",
            t: f.t,
            model: "test",
            phrase: "test",
            score: 1,
            sample: f.sample + 160,
          });
        }
        if (transcriptAt !== null && n === transcriptAt) {
          bus.emit({
            type: "transcript",
            t: f.t,
            text: "",
            confidence: 0,
            start: 2,
            end: f.t,
            decodeMs: 0,
            alternatives: [],
            rejected: true,
          });
        }
      },
    }];
  };
  const x = READ.subarray(0, 16000 * 6); // speech throughout
  const timeout = await pipelineRun(x, config, wakeAndMaybeTranscript(null));
  const released = await pipelineRun(x, config, wakeAndMaybeTranscript(250));
  for (const r of [timeout, released]) {
    assert.ok(r.heldAt[199] > 0, "strided before the wake");
    assert.equal(r.heldAt[249], r.heldAt[199], "full rate after the wake");
  }
  // Released by the transcript at 2.5 s: strided again before the 1 s limit.
  assert.ok(released.heldAt[299] > released.heldAt[249]);
  // Without a transcript the period lasts listenTimeoutMs + maxUtteranceMs (1 s), then ends.
  assert.equal(timeout.heldAt[295], timeout.heldAt[199]);
  assert.ok(timeout.heldAt[599] > timeout.heldAt[305]);
  // With trigger "vad" every speech segment is decoded: always full rate.
  const always = await pipelineRun(x, parseConfig({ asr: { trigger: "vad" } }), () => []);
  assert.equal(always.stats.vadHeld, 0);
  assert.ok(always.stats.vadRuns > 100);
});
