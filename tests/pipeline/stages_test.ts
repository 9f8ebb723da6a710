import assert from "node:assert/strict";
import { buildRecognizer, createStages, RecognizerSlot } from "../../app/stages.ts";
import { Pipeline } from "../../pipeline/pipeline.ts";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { TranscriptEvent } from "../../core/events.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { decodeWav } from "../../audio/wav.ts";
import { parseRegistry } from "../../home/registry.ts";
import { buildCommandGrammar } from "../../intent/index.ts";

const ROOT = new URL("../../", import.meta.url);
const DEMO = decodeWav(await Deno.readFile(new URL("assets/demo.wav", ROOT))).samples;
const example = JSON.parse(await Deno.readTextFile(new URL("devices/example.devices.json", ROOT)));
const config = parseConfig({});
const vad = await SileroModel.load();

/** Run the demo recording through a pipeline with the given stages; returns the transcripts. */
async function transcripts(
  setup: (bus: EventBus) => Promise<{ stages: Awaited<ReturnType<typeof createStages>> }>,
  midway?: (stages: Awaited<ReturnType<typeof createStages>>) => Promise<void>,
): Promise<TranscriptEvent[]> {
  const bus = new EventBus();
  const out: TranscriptEvent[] = [];
  bus.onType("transcript", (e) => out.push(e));
  const { stages } = await setup(bus);
  const p = await Pipeline.create(config, bus, { vad, stages });
  await p.push(DEMO.subarray(0, 8000)); // 0.5 s of silence: nothing is listening yet
  await midway?.(stages);
  await p.push(DEMO.subarray(8000));
  await p.end();
  await p.close();
  return out;
}

Deno.test("default stages: the 4-bit wake detector, then the recognizer for the example devices", async () => {
  const got = await transcripts(async (bus) => ({ stages: await createStages(config, bus) }));
  assert.deepEqual(got.map((t) => t.text), ["turn on the kitchen light"]);
  const stages = await createStages(config, new EventBus());
  assert.ok(stages[0] instanceof WakeDetector);
  assert.ok(stages[1] instanceof RecognizerSlot);
  for (const s of stages) await s.close?.();
});

Deno.test("a new grammar takes over between utterances (devices changed, no retraining)", async () => {
  // The same house without its kitchen: "kitchen" is no longer a word of the grammar.
  type Entry = { id?: string; name: string; area?: string };
  const without = parseRegistry(
    {
      ...example,
      areas: example.areas.filter((a: Entry) => a.id !== "kitchen"),
      devices: example.devices.filter((d: Entry) => d.area !== "kitchen"),
    },
    "test",
  );
  const grammar = buildCommandGrammar(without);
  let before: unknown;
  const got = await transcripts(
    async (bus) => ({ stages: await createStages(config, bus) }),
    async (stages) => {
      const slot = stages[1] as RecognizerSlot;
      before = slot.recognizer;
      await slot.replace(() => buildRecognizer(config, grammar));
      assert.equal(slot.recognizer, before, "the swap waits for the next frame");
    },
  );
  assert.equal(got.length, 1);
  assert.doesNotMatch(got[0].text, /kitchen/);
});

Deno.test("without wake models or ASR the pipeline has no model stages", async () => {
  const none = parseConfig({ wake: { enabled: false }, asr: { enabled: false } });
  assert.deepEqual(await createStages(none, new EventBus()), []);
});

Deno.test("wake models load once: every stream's detector shares the sessions, not the state", async () => {
  const [a, b] = await Promise.all([
    createStages(config, new EventBus()),
    createStages(config, new EventBus()),
  ]);
  const wa = a[0] as WakeDetector;
  const wb = b[0] as WakeDetector;
  assert.notEqual(wa, wb);
  assert.equal(wa.tracks[0].m.model.session, wb.tracks[0].m.model.session);
  // Two streams at once give what one alone gives (no state shared through the model).
  const alone = await transcripts(async (bus) => ({ stages: await createStages(config, bus) }));
  const both = await Promise.all(
    [0, 1].map(() => transcripts(async (bus) => ({ stages: await createStages(config, bus) }))),
  );
  for (const got of both) {
    assert.deepEqual(got.map((t) => [t.text, t.t]), alone.map((t) => [t.text, t.t]));
  }
  // Closing one stream's detector leaves the shared sessions usable for the next.
  await wa.close();
  const after = await transcripts(async (bus) => ({ stages: await createStages(config, bus) }));
  assert.deepEqual(after.map((t) => t.text), ["turn on the kitchen light"]);
});
