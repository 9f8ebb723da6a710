/**
 * The wake chirp in the microphone: with a pause after "hey computer" the chirp plays before the
 * command (README "Answers"), so the recognizer, listening from the phrase end, hears it. It is
 * not decoded as words: the command after it is carried out as said. Real parts: espeak-ng,
 * flite and festival renderings, the committed chirp (assets/sounds/wake.wav at the default
 * volume), Silero VAD, the shipped wake and command models, the example registry's grammar.
 */
import assert from "node:assert/strict";
import { DEFAULTS, parseConfig } from "../../core/config.ts";
import type { TranscriptEvent, WakeEvent } from "../../core/events.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { loadRegistry } from "../../home/registry.ts";
import { buildCommandGrammar } from "../../intent/index.ts";
import { encodeWav } from "../../audio/wav.ts";
import { resample } from "../../audio/resample.ts";
import { loadSounds } from "../../audio/player.ts";
import { addFloor, concat, speak, trimSilence } from "../../scripts/asr/tts.ts";

const vad = await SileroModel.load();
const grammar = buildCommandGrammar(await loadRegistry("devices/example.devices.json"));
const wav = (await loadSounds(DEFAULTS.answers.soundsDir)).wake;
const chirp = resample(wav.samples, wav.sampleRate, 16000).map((s) => s * DEFAULTS.answers.volume);

async function heard(x: Float32Array): Promise<{ heard: string[]; wakes: number }> {
  const config = parseConfig({});
  const events = await runAudio(encodeWav(addFloor(concat([0.8, x, 1.2])), 16000), config, {
    vad,
    makeStages: async (bus) => [
      await WakeDetector.create(config.wake, bus),
      (await createRecognizer(grammar, config.asr)).recognizer,
    ],
  });
  const ts = events.filter((e): e is TranscriptEvent => e.type === "transcript");
  return {
    heard: ts.map((t) => t.rejected ? `(rejected: ${t.text})` : t.text),
    wakes: events.filter((e): e is WakeEvent => e.type === "wake").length,
  };
}

Deno.test("the wake chirp between the wake phrase and the command is not heard as words", async () => {
  const cases: [string, string][] = [
    ["espeak:en-us", "close the garage door"],
    ["espeak:en-gb-x-rp+f2", "turn on the coffee machine"],
    ["flite:kal", "turn on the coffee machine"],
    ["festival:kal_diphone", "turn off the floor lamp"],
  ];
  for (const [voice, command] of cases) {
    const wake = trimSilence(await speak("hey computer", voice));
    const cmd = trimSilence(await speak(command, voice));
    // The phrase's speech ends, the chirp comes ~0.4 s later (VAD end + arbitration), the user
    // answers it ~0.3 s after it ended.
    const withChirp = await heard(concat([wake, 0.4, chirp, 0.3, cmd]));
    assert.equal(withChirp.wakes, 1, `${voice}`);
    assert.deepEqual(withChirp.heard, [command], `${voice} with the chirp`);
  }
});
