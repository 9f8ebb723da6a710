/**
 * A transcript carries the command its decoded grammar path spells (`intent`: name and slots),
 * and the devices side resolves that command (`decodedIntent`) instead of parsing the text
 * again. What it gives must be what `parseIntent` gives for the same text: on sampled sentences
 * of a home where several devices share a name (study and guest room "ceiling fan"), on named
 * ambiguous-device, area, floor and "here" cases, and on real speech through the shipped model.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import type { TranscriptEvent } from "../../core/events.ts";
import { sentenceCommand } from "../../core/grammar_path.ts";
import { loadRegistry } from "../../home/registry.ts";
import { buildCommandGrammar, sampleCommands, seededRandom } from "../../intent/grammar.ts";
import { decodedIntent, parseIntent } from "../../intent/parser.ts";
import { commandKnown } from "../../intent/resolve.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { createRecognizer } from "../../asr/recognizer.ts";
import { encodeWav } from "../../audio/wav.ts";
import { addFloor, concat, speak, trimSilence } from "../../scripts/asr/tts.ts";

const HOME = new URL("../fixtures/phrasing/home.devices.json", import.meta.url).pathname;
const registry = await loadRegistry(HOME);
const grammar = buildCommandGrammar(registry);
/** Satellites without an area, in the kitchen (one ceiling light of its own), in the study. */
const SITES = [undefined, "kitchen", "study"];

/** The command read off the grammar for `text`, resolved as the devices runtime does. */
function fromPath(text: string, area?: string) {
  const command = sentenceCommand(grammar, text.split(" "));
  assert.ok(command, `"${text}" is a sentence of the grammar with an intent`);
  return decodedIntent(command, text, registry, { area });
}

Deno.test("sampled sentences: the command of the path, resolved, equals parseIntent's", () => {
  const sampled = sampleCommands(grammar, 300, seededRandom(11));
  for (const { text } of sampled) {
    for (const area of SITES) {
      assert.deepEqual(fromPath(text, area), parseIntent(text, registry, { area }), text);
    }
  }
});

Deno.test("ambiguous device, area, floor and here: decoded and parsed intents agree", () => {
  const cases: [text: string, area: string | undefined, expect: Record<string, unknown>][] = [
    // Two ceiling fans and no room said: understood, no device, a reason.
    ["turn on the ceiling fan", undefined, { name: "TurnOn", slots: { name: "ceiling fan" } }],
    // The room said picks one of the two.
    ["turn off the ceiling fan in the study", undefined, {
      name: "TurnOff",
      slots: { device: "study_ceiling_fan", area: "study" },
    }],
    // The satellite's room picks its own ceiling light.
    ["turn on the ceiling light", "kitchen", {
      name: "TurnOn",
      slots: { device: "kitchen_ceiling_light" },
    }],
    // A group in a room, on a floor, and "here" (the satellite's area).
    ["turn off the lights in the kitchen", undefined, {
      name: "TurnOff",
      slots: { domain: "light", area: "kitchen" },
    }],
    ["turn off the lights upstairs", undefined, {
      name: "TurnOff",
      slots: { domain: "light", area: "upstairs" },
    }],
    ["turn on the lights", "study", { name: "TurnOn", slots: { domain: "light", area: "study" } }],
    ["turn on the lights here", "study", {
      name: "TurnOn",
      slots: { domain: "light", area: "study" },
    }],
  ];
  for (const [text, area, expect] of cases) {
    const parsed = parseIntent(text, registry, { area });
    const decoded = fromPath(text, area);
    assert.deepEqual(decoded, parsed, text);
    assert.deepEqual({ name: decoded?.name, slots: decoded?.slots }, expect, text);
  }
  assert.match(fromPath("turn on the ceiling fan")?.problem ?? "", /^which ceiling fan\?/);
});

Deno.test("a sentence outside the grammar has no decoded command", () => {
  assert.equal(sentenceCommand(grammar, "sing me a song".split(" ")), undefined);
  assert.equal(sentenceCommand(grammar, []), undefined);
});

Deno.test("the recognizer's transcripts carry the intent that parseIntent gives for their text", async () => {
  const sentences = [
    "turn on the ceiling fan",
    "turn off the ceiling fan in the study",
    "turn off the lights upstairs",
  ];
  const pieces: (Float32Array | number)[] = [0.6];
  for (const s of sentences) pieces.push(trimSilence(await speak(s, "espeak:en-us")), 1.2);
  const wav = encodeWav(addFloor(concat(pieces)), 16000);
  const config = parseConfig({ asr: { trigger: "vad" } });
  const events = await runAudio(wav, config, {
    makeStages: async () => [(await createRecognizer(grammar, config.asr)).recognizer],
  });
  const ts = events.filter((e): e is TranscriptEvent => e.type === "transcript");
  assert.deepEqual(ts.map((t) => t.text), sentences);
  for (const t of ts) {
    assert.ok(t.intent, `${t.text}: the transcript has an intent`);
    for (const area of SITES) {
      assert.deepEqual(
        decodedIntent(t.intent, t.text, registry, { area }),
        parseIntent(t.text, registry, { area }),
        `${t.text} (satellite area ${area})`,
      );
    }
  }
  assert.deepEqual(ts.map((t) => t.intent?.name), ["TurnOn", "TurnOff", "TurnOff"]);
});

Deno.test("commandKnown: a decoded command naming what the registry no longer has is not used", () => {
  for (const { text } of sampleCommands(grammar, 100, seededRandom(3))) {
    const command = sentenceCommand(grammar, text.split(" "));
    assert.ok(command && commandKnown(registry, command.slots), text);
  }
  assert.equal(commandKnown(registry, { device: "no_such_lamp" }), false);
  assert.equal(commandKnown(registry, { domain: "light", area: "ballroom" }), false);
  assert.equal(commandKnown(registry, { name: "lava lamp" }), false);
  assert.equal(commandKnown(registry, { domain: "light", area: "upstairs" }), true); // a floor
  assert.equal(commandKnown(registry, { domain: "light", area: "here" }), true);
});
