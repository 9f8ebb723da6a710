/**
 * Same events on the same audio: the pipeline (front end, VAD, the shipped wake model, the
 * shipped command model and the example registry's grammar, as `createStages` builds them from
 * the default configuration) runs on assets/demo.wav and on one-breath commands rendered by
 * espeak-ng, flite and festival; the events it emits (type, stream time, VAD state and sample,
 * wake model, transcript text) and the intent the devices runtime takes from each accepted
 * transcript (the command the recognizer decoded with it) must equal the recorded ones in tests/fixtures/golden/events.json. A restructuring
 * that changes what the assistant hears or understands fails here.
 *
 * Refresh the record only for an intended change of behaviour:
 *   GOLDEN_UPDATE=1 deno test --allow-all tests/golden_events_test.ts
 */
import assert from "node:assert/strict";
import { parseConfig } from "../core/config.ts";
import type { EarshotEvent } from "../core/events.ts";
import { runAudio } from "../pipeline/pipeline.ts";
import { createStages, EXAMPLE_REGISTRY } from "../app/stages.ts";
import { loadRegistry } from "../home/registry.ts";
import { decodedIntent, parseIntent } from "../intent/parser.ts";
import { encodeWav } from "../audio/wav.ts";
import { addFloor, concat, speak, trimSilence } from "../scripts/asr/tts.ts";

const FIXTURE = new URL("./fixtures/golden/events.json", import.meta.url);
const DEMO = new URL("../assets/demo.wav", import.meta.url);

/** One event as recorded: only fields that do not depend on wall-clock time. */
type Golden = Record<string, string | number | boolean | null | Record<string, unknown>>;

const config = parseConfig({});
const registry = await loadRegistry(EXAMPLE_REGISTRY);

function golden(events: EarshotEvent[]): Golden[] {
  const out: Golden[] = [];
  for (const e of events) {
    if (e.type === "vad") out.push({ type: e.type, t: e.t, state: e.state, sample: e.sample });
    else if (e.type === "wake") {
      out.push({
        type: e.type,
        t: e.t,
        model: e.model,
        sample: e.sample,
        phraseEnd: e.phraseEnd ?? null,
      });
    } else if (e.type === "transcript") {
      // As the devices runtime does: the command the recognizer decoded, else a parse.
      const parsed = e.rejected
        ? null
        : e.intent
        ? decodedIntent(e.intent, e.text, registry)
        : parseIntent(e.text, registry, { minConfidence: config.devices.minIntentConfidence });
      out.push({
        type: e.type,
        t: e.t,
        text: e.text,
        rejected: e.rejected,
        intent: parsed ? { name: parsed.name, slots: parsed.slots } : null,
      });
    } else if (e.type !== "level") out.push({ type: e.type, t: e.t });
  }
  return out;
}

async function run(wav: Uint8Array): Promise<Golden[]> {
  return golden(await runAudio(wav, config, { makeStages: (bus) => createStages(config, bus) }));
}

/** The clips: [name, voice, sentences separated by pauses in seconds]. */
const CLIPS: [string, string, (string | number)[]][] = [
  ["espeak one breath", "espeak:en-us", ["hey computer turn off the floor lamp"]],
  ["flite one breath", "flite:rms", ["hey computer close the garage door"]],
  ["espeak m3 set", "espeak:en-us+m3", ["hey computer set the kitchen light to fifty percent"]],
  ["festival pause", "festival:kal_diphone", ["hey computer", 0.8, "turn on the coffee machine"]],
  ["espeak two commands", "espeak:en-us", [
    "hey computer turn off the floor lamp",
    1.5,
    "hey computer close the garage door",
  ]],
  ["espeak no command", "espeak:en-us", ["hey computer", 3.5]],
  ["espeak out of grammar", "espeak:en-us", ["hey computer what is the weather like tomorrow"]],
];

async function clip(voice: string, parts: (string | number)[]): Promise<Uint8Array> {
  const pieces: (Float32Array | number)[] = [0.8];
  for (const p of parts) {
    pieces.push(typeof p === "number" ? p : trimSilence(await speak(p, voice)));
  }
  pieces.push(1.2);
  return encodeWav(addFloor(concat(pieces)), 16000);
}

async function record(): Promise<Record<string, Golden[]>> {
  const all: Record<string, Golden[]> = { "assets/demo.wav": await run(await Deno.readFile(DEMO)) };
  for (const [name, voice, parts] of CLIPS) all[name] = await run(await clip(voice, parts));
  return all;
}

Deno.test("golden: the pipeline emits the recorded events on the demo and the test clips", async () => {
  const now = await record();
  if (Deno.env.get("GOLDEN_UPDATE") === "1") {
    await Deno.mkdir(new URL(".", FIXTURE), { recursive: true });
    await Deno.writeTextFile(FIXTURE, JSON.stringify(now, null, 1) + "\n");
  }
  const before = JSON.parse(await Deno.readTextFile(FIXTURE)) as Record<string, Golden[]>;
  assert.deepEqual(Object.keys(now), Object.keys(before));
  for (const name of Object.keys(before)) {
    assert.deepEqual(now[name], before[name], `${name}: events differ from the record`);
  }
  // The record is not empty: every clip was heard as a command, or on purpose as none.
  for (const [name, events] of Object.entries(before)) {
    const intents = events.filter((e) => e.type === "transcript" && e.intent);
    const none = name === "espeak no command" || name === "espeak out of grammar";
    assert.equal(intents.length > 0, !none, name);
  }
});
