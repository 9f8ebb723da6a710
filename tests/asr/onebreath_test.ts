/**
 * One-breath commands: "hey computer turn off the floor lamp" said without a pause is decoded
 * from where the wake phrase ends (the wake event's `phraseEnd`), as is a command after a pause,
 * up to `listenTimeoutMs`; a second person's wake phrase right after a command is not taken as
 * a command. Real parts: espeak-ng, flite and festival renderings, Silero VAD, the MFCC front
 * end and the speech embedding's mel, the shipped 4-bit wake model, the shipped INT8 command model and the example registry's
 * grammar.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent, TranscriptEvent, WakeEvent } from "../../core/events.ts";
import type { AnalysisFrame, FrameStage } from "../../pipeline/frame.ts";
import type { EventBus } from "../../core/bus.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { loadRegistry } from "../../home/registry.ts";
import { buildCommandGrammar } from "../../intent/index.ts";
import { encodeWav } from "../../audio/wav.ts";
import { addFloor, concat, speak, trimSilence } from "../../scripts/asr/tts.ts";

const vad = await SileroModel.load();
const grammar = buildCommandGrammar(await loadRegistry("devices/example.devices.json"));

/** Run `x` (16 kHz) through VAD, MFCC, `wake` (the real detector if absent) and the recognizer. */
async function run(
  x: Float32Array,
  asr: Record<string, unknown> = {},
  wake?: (bus: EventBus) => FrameStage,
): Promise<{ events: EarshotEvent[]; heard: string[]; wakes: WakeEvent[] }> {
  const config = parseConfig({ asr });
  const events = await runAudio(encodeWav(addFloor(concat([0.8, x, 1.2])), 16000), config, {
    vad,
    makeStages: async (bus) => [
      wake ? wake(bus) : await WakeDetector.create(config.wake, bus),
      (await createRecognizer(grammar, config.asr)).recognizer,
    ],
  });
  const ts = events.filter((e): e is TranscriptEvent => e.type === "transcript");
  return {
    events,
    heard: ts.map((t) => t.rejected ? `(rejected: ${t.text})` : t.text),
    wakes: events.filter((e): e is WakeEvent => e.type === "wake"),
  };
}

const show = (events: EarshotEvent[]) =>
  JSON.stringify(events.filter((e) => e.type === "wake" || e.type === "transcript"));

Deno.test("one breath: 'hey computer <command>' as one sentence is carried out", async () => {
  const cases: [string, string][] = [
    ["espeak:en-us", "turn off the floor lamp"],
    ["espeak:en-us+m3", "set the kitchen light to fifty percent"],
    ["espeak:en+f4", "close the garage door"],
    ["espeak:en-gb-x-rp+f2", "turn on the coffee machine"],
    ["flite:rms", "turn off the floor lamp"],
    // flite rms's "close/open the garage door" is heard as "... garage shutter" by the
    // speech-embedding model (models/asr/README.md, Limits): a confusion, not the mechanism.
    ["flite:rms", "turn on the coffee machine"],
  ];
  for (const [voice, command] of cases) {
    const said = trimSilence(await speak(`hey computer ${command}`, voice));
    const { heard, wakes, events } = await run(said);
    assert.equal(wakes.length, 1, `${voice} "${command}": ${show(events)}`);
    assert.deepEqual(heard, [command], `${voice} "${command}": ${show(events)}`);
  }
});

Deno.test("a command after a pause is carried out too, on every engine", async () => {
  const cases: [string, string][] = [
    ["espeak:en-us", "close the garage door"],
    ["flite:kal", "turn on the coffee machine"],
    ["festival:kal_diphone", "turn off the floor lamp"],
  ];
  for (const [voice, command] of cases) {
    const wake = trimSilence(await speak("hey computer", voice));
    const cmd = trimSilence(await speak(command, voice));
    const { heard, events } = await run(concat([wake, 0.8, cmd]));
    assert.deepEqual(heard, [command], `${voice}: ${show(events)}`);
  }
});

/**
 * A wake event at `at` seconds of the clip (after the 0.8 s lead) whose phrase end is `phraseEnd`
 * seconds: an estimate `error` seconds off the true end, as the detector's can be.
 */
function wakeWithEnd(at: number, phraseEnd: number): (bus: EventBus) => FrameStage {
  return (bus) => {
    let fired = false;
    return {
      onFrame(f: AnalysisFrame) {
        if (fired || f.t < 0.8 + at) return;
        fired = true;
        bus.emit({
          type: "wake",
          t: f.t,
          model: "hey_computer",
          phrase: "hey computer",
          score: 1,
          sample: f.sample + 160,
          phraseEnd: Math.round((0.8 + phraseEnd) * 16000),
        });
      },
    };
  };
}

Deno.test("the decode tolerates a phrase end estimated 150 ms early or 170 ms late", async () => {
  // Wake phrase and command rendered apart and joined (the true phrase end is then known), with
  // no pause and with a pause; voices of all three engines, festival's HTS voice included.
  const cases: [string, string][] = [
    ["espeak:en-gb-x-rp+f2", "turn on the coffee machine"],
    ["flite:slt", "close the garage door"],
    ["flite:kal", "set the kitchen light to fifty percent"],
    ["festival:kal_diphone", "turn on the coffee machine"],
    ["festival:cmu_us_slt_arctic_hts", "turn on the coffee machine"],
  ];
  for (const [voice, command] of cases) {
    const wake = trimSilence(await speak("hey computer", voice));
    const cmd = trimSilence(await speak(command, voice));
    const end = wake.length / 16000;
    for (const gap of [0, 0.8]) {
      for (const error of [-0.15, 0.17]) {
        // The detector fires up to ~250 ms after the phrase end.
        const { heard, events } = await run(
          concat([wake, gap, cmd]),
          {},
          wakeWithEnd(end + 0.2, end + error),
        );
        assert.deepEqual(heard, [command], `${voice} gap ${gap} error ${error}: ${show(events)}`);
      }
    }
  }
});

Deno.test("after the wake phrase, a command up to listenTimeoutMs later is heard, later not", async () => {
  const wake = trimSilence(await speak("hey computer", "espeak:en-us"));
  const cmd = trimSilence(await speak("turn off the floor lamp", "espeak:en-us"));
  const late = await run(concat([wake, 3, cmd]));
  assert.deepEqual(late.heard, ["turn off the floor lamp"], show(late.events));
  const tooLate = await run(concat([wake, 3, cmd]), { listenTimeoutMs: 2000 });
  assert.equal(tooLate.wakes.length, 1);
  assert.deepEqual(tooLate.heard, [], show(tooLate.events));
});

Deno.test("a second person's wake phrase right after a command does not become a command", async () => {
  const first = trimSilence(await speak("hey computer turn off the floor lamp", "espeak:en-us"));
  const second = trimSilence(await speak("hey computer", "flite:rms"));
  for (const gap of [0.3, 1.0]) {
    const { heard, events } = await run(concat([first, gap, second]));
    assert.deepEqual(heard, ["turn off the floor lamp"], `gap ${gap}: ${show(events)}`);
  }
  // ... and when the second person goes on to a command, that command is the one carried out.
  const secondCommand = trimSilence(
    await speak("hey computer close the garage door", "espeak:en-us+m3"),
  );
  const { heard, events } = await run(concat([first, 1.5, secondCommand]));
  assert.deepEqual(heard, ["turn off the floor lamp", "close the garage door"], show(events));
});

Deno.test("a wake phrase with no command, then another with one: the second command is heard", async () => {
  const first = trimSilence(await speak("hey computer", "espeak:en-us"));
  const second = trimSilence(await speak("hey computer close the garage door", "espeak:en-us+m3"));
  const { heard, wakes, events } = await run(concat([first, 2.0, second]));
  assert.equal(wakes.length, 2, show(events));
  assert.deepEqual(heard, ["close the garage door"], show(events));
});

Deno.test("in babble that never falls silent, the command ends when its sentence stops changing", async () => {
  const said = trimSilence(await speak("hey computer close the garage door", "espeak:en-us"));
  // Four talkers (other voices, everyday sentences) under the whole stream, ~10 dB below.
  const talkers = await Promise.all(
    [
      ["flite:kal", "I think the kitchen needs a new coat of paint and the hall too"],
      ["flite:awb", "we watched a movie last night and then went for a long walk"],
      ["espeak:en-gb-x-rp+f2", "did you remember to buy bread and milk on the way home"],
      ["festival:kal_diphone", "the meeting was moved to thursday afternoon at three"],
    ].map(async ([v, s]) => trimSilence(await speak(s, v))),
  );
  const x = concat([0.8, said, 4]);
  const level = (y: Float32Array) => Math.sqrt(y.reduce((a, v) => a + v * v, 0) / y.length);
  const babble = new Float32Array(x.length);
  talkers.forEach((t, k) => {
    const l = level(t);
    for (let i = 0; i < babble.length; i++) babble[i] += t[(i + k * 7919) % t.length] / l;
  });
  const g = level(said) / level(babble) / 10 ** (10 / 20);
  for (let i = 0; i < x.length; i++) x[i] += babble[i] * g;
  const { heard, events } = await run(x);
  assert.deepEqual(heard, ["close the garage door"], show(events));
  const t = events.find((e): e is TranscriptEvent => e.type === "transcript")!;
  const speechEnd = 0.8 + 0.8 + said.length / 16000;
  assert.ok(t.t - speechEnd < 1.0, `committed ${(t.t - speechEnd).toFixed(2)} s after speech`);
});
