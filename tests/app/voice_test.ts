/**
 * The satellite never wakes on its own voice: the live pipeline's stages (app/stages.ts, as
 * app/assistant.ts builds them) with the real wake model hear "hey computer" spoken by the
 * player's own engine, and wake; while that player is busy (it just spoke, within
 * `answers.muteTailMs`), the same audio is not scored and does not wake.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { WakeEvent } from "../../core/events.ts";
import { resample } from "../../audio/resample.ts";
import { Pipeline } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { createStages } from "../../app/stages.ts";
import { muteWhilePlaying, startVoice, voiceActive, voiceStatus } from "../../app/voice.ts";
import { neededPermissions, runAssistant } from "../../app/assistant.ts";
import { clipOf, loadSounds } from "../../audio/player.ts";

const config = parseConfig({
  audio: { source: "mic" },
  asr: { enabled: false },
  answers: { device: "null", muteTailMs: 5000 },
});

/** The live pipeline path: stages, pipeline, the wake word muted while `voice` plays. */
async function livePipeline(vad: SileroModel, voice: Awaited<ReturnType<typeof startVoice>>) {
  const bus = new EventBus();
  const wakes: WakeEvent[] = [];
  bus.onType("wake", (e) => wakes.push(e));
  const stages = await createStages(config, bus);
  const pipeline = await Pipeline.create(config, bus, { stages, vad });
  muteWhilePlaying(stages, voice!.player);
  const detector = stages.find((s): s is WakeDetector => s instanceof WakeDetector)!;
  return { pipeline, wakes, detector, stages };
}

async function feed(pipeline: Pipeline, samples: Float32Array): Promise<void> {
  for (let i = 0; i < samples.length; i += 1600) {
    await pipeline.push(samples.subarray(i, Math.min(samples.length, i + 1600)));
  }
  await pipeline.end();
}

Deno.test(
  "the wake word is muted while the satellite speaks (and its tail): its own 'hey computer' does not wake it",
  { sanitizeResources: false, sanitizeOps: false },
  async () => {
    assert.equal(voiceActive(config), true);
    const voice = await startVoice(config, (m) => assert.fail(m));
    assert.ok(voice);
    const own = await voice.player.synthesize("hey computer");
    assert.ok(own);
    // Half a second of quiet around the phrase, at 16 kHz, as the microphone would hear it.
    const phrase = resample(own.samples, own.sampleRate, 16000);
    const samples = new Float32Array(phrase.length + 16000);
    samples.set(phrase.map((s) => s * 0.5), 8000);
    const vad = await SileroModel.load(config.vad.model);

    // Not speaking: the phrase wakes the satellite.
    const heard = await livePipeline(vad, voice);
    assert.equal(voice.player.busy, false);
    await feed(heard.pipeline, samples);
    await heard.pipeline.close();
    assert.equal(heard.wakes.length, 1, "the phrase wakes an idle satellite");
    assert.equal(heard.detector.stats.speakingMuted, 0);

    // Speaking: the satellite says "hey computer" and hears itself.
    const muted = await livePipeline(vad, voice);
    await voice.voice.play({ text: "hey computer" });
    assert.equal(voice.player.busy, true, "within answers.muteTailMs after the speech");
    await feed(muted.pipeline, samples);
    assert.equal(voice.player.busy, true, "the audio was processed within the tail");
    await muted.pipeline.close();
    assert.deepEqual(muted.wakes, [], "no wake on its own voice");
    assert.ok(muted.detector.stats.speakingMuted > 0, "muted strides are counted");
    assert.equal(muted.detector.stats.inferences, 0, "nothing was scored while muted");
    assert.deepEqual(Object.values(muted.detector.scores), [0]);
    // The status API's answers block counts them.
    const status = voiceStatus(voice, muted.stages);
    assert.equal(status.wakeMuted, muted.detector.stats.speakingMuted);
    assert.deepEqual([status.engine, status.device, status.spoken, status.failed], [
      "espeak-ng",
      "null",
      1,
      0,
    ]);
  },
);

Deno.test("aplay is a needed permission when the voice is active; files faster than real time stay silent", () => {
  assert.deepEqual(
    neededPermissions(config, { devices: false, api: false }).filter((p) => p.name === "run"),
    [
      { name: "run", value: "arecord", why: "audio.arecord" },
      { name: "run", value: "aplay", why: "answers.aplay (answers.enabled)" },
    ],
  );
  const file = parseConfig({ audio: { source: "wav", input: "x.wav" } });
  assert.equal(voiceActive(file), false);
  assert.equal(voiceActive(parseConfig({ audio: { source: "wav", realtime: true } })), true);
  assert.equal(
    voiceActive(parseConfig({ audio: { source: "mic" }, answers: { enabled: false } })),
    false,
  );
  assert.equal(
    voiceActive(
      parseConfig({ audio: { source: "mic" }, answers: { sounds: false, speech: false } }),
    ),
    false,
  );
  assert.deepEqual(
    neededPermissions(file, { devices: false, api: false }).filter((p) => p.name === "run"),
    [],
  );
});

Deno.test(
  "the whole assistant on the microphone path answers: the chirp, then the done sound once the light confirmed",
  { sanitizeResources: false, sanitizeOps: false },
  async () => {
    const dir = await Deno.makeTempDir();
    // arecord's stand-in (there is no microphone here): raw 16 kHz PCM of assets/demo.wav
    // ("hey computer ... turn on the kitchen light"), then it waits like an idle microphone.
    const demo = new URL("../../assets/demo.wav", import.meta.url).pathname;
    await Deno.writeTextFile(
      `${dir}/arecord`,
      `#!/bin/bash\ntrap 'kill $sp 2>/dev/null; exit 0' TERM INT\ntail -c +45 '${demo}'\nsleep 60 & sp=$!; wait $sp\n`,
    );
    await Deno.chmod(`${dir}/arecord`, 0o755);
    const played = `${dir}/played.wav`;
    const cfg = parseConfig({
      // No restart for the stand-in's silence after the recording (it is not a stalled microphone).
      audio: { source: "mic", arecord: `${dir}/arecord`, stallMs: 120000 },
      devices: { file: new URL("../../devices/example.devices.json", import.meta.url).pathname },
      mqtt: { embeddedPort: 0, queueFile: "" },
      api: { port: 0, token: "answers-test-token-0123" },
      // ALSA's file plugin records what each aplay played (the last one stays in the file).
      answers: { device: `file:'${played}',wav` },
    });
    const bus = new EventBus();
    const types: string[] = [];
    bus.on((e) => {
      if (["wake", "transcript", "intent", "confirm"].includes(e.type)) types.push(e.type);
    });
    const stop = new AbortController();
    const warnings: string[] = [];
    let apiUrl = "";
    const run = runAssistant(cfg, bus, {
      devices: true,
      api: true,
      simulateDevices: true,
      warn: (m) => warnings.push(m),
      onReady: (info) => apiUrl = info.apiUrl ?? "",
    }, stop.signal);
    const deadline = Date.now() + 60000;
    while (!types.includes("confirm") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // The done sound follows the confirmation.
    await new Promise((r) => setTimeout(r, 1000));
    // The status API's answers block: the chirp and the done sound, nothing failed.
    const status = await (await fetch(`${apiUrl}/api/status`, {
      headers: { Authorization: `Bearer ${cfg.api.token}` },
    })).json();
    stop.abort();
    await run;
    assert.deepEqual(types, ["wake", "transcript", "intent", "confirm"]);
    const done = (await loadSounds("assets/sounds")).done.samples;
    const last = clipOf(await Deno.readFile(played), played).samples;
    for (let i = 0; i < done.length; i += 50) {
      assert.ok(Math.abs(last[i] - done[i] * cfg.answers.volume) < 1e-4, `sample ${i}`);
    }
    assert.deepEqual(warnings.filter((w) => /answers/.test(w)), []);
    assert.equal(status.answers.engine, "espeak-ng");
    assert.deepEqual([status.answers.sounds, status.answers.spoken, status.answers.failed], [
      2,
      0,
      0,
    ]);
    await Deno.remove(dir, { recursive: true });
  },
);
