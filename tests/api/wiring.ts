/**
 * Wires the API to the real pipeline for the integration and browser tests,
 * the way main.ts does: `runAudio` is the real pipeline (Silero VAD, MFCC and
 * whatever model stages `createStages` builds), `runText` the real intent
 * parser over the example device registry.
 *
 * Until the wake and ASR models land, `createStages` returns no stages; then a
 * clearly labelled stand-in stage takes their place for the bundled demo
 * recording ("hey computer" ... "turn on the kitchen light"): it reports the
 * end of the first speech segment as the wake word and the second segment as
 * that known sentence, parsed by the real intent parser. Once `createStages`
 * returns real stages the stand-in is not used and nothing else changes.
 * @module
 */
import type { Config } from "../../pipeline/config.ts";
import { EventBus } from "../../pipeline/bus.ts";
import type { EarshotEvent } from "../../pipeline/events.ts";
import type { AnalysisFrame, FrameStage } from "../../pipeline/frame.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { createStages } from "../../pipeline/stages.ts";
import { SileroVad } from "../../pipeline/vad.ts";
import { loadRegistry, type Registry } from "../../devices/registry.ts";
import { parseIntent } from "../../pipeline/intent/index.ts";
import type { ApiServices } from "../../api/server.ts";
import { describeModels } from "../../api/models.ts";

/** The bundled demo recording. */
export const DEMO_WAV = new URL("../../assets/demo.wav", import.meta.url).pathname;
const EXAMPLE_DEVICES = new URL("../../devices/example.devices.json", import.meta.url).pathname;

/** What the demo recording says after the wake word. */
export const DEMO_COMMAND = "turn on the kitchen light";

/**
 * STAND-IN for the wake and ASR stages while their models do not exist:
 * segment 1 of speech -> wake, segment 2 -> transcript of {@link DEMO_COMMAND}
 * and its intent from the real parser. Only valid for the demo recording.
 */
class StandInSpeechStage implements FrameStage {
  #segments = 0;
  #speech = false;
  #start = 0;
  constructor(readonly bus: EventBus, readonly registry: Registry) {}

  onFrame(frame: AnalysisFrame): void {
    if (frame.speech && !this.#speech) this.#start = frame.t;
    if (!frame.speech && this.#speech) {
      this.#segments++;
      if (this.#segments === 1) {
        this.bus.emit({
          type: "wake",
          t: frame.t,
          model: "hey_computer",
          phrase: "hey computer",
          score: 0.9,
          sample: Math.round(frame.t * 16000),
        });
      } else if (this.#segments === 2) {
        this.bus.emit({
          type: "transcript",
          t: frame.t,
          text: DEMO_COMMAND,
          confidence: 0.9,
          start: this.#start,
          end: frame.t,
          decodeMs: 0,
          alternatives: [],
          rejected: false,
        });
        const intent = parseIntent(DEMO_COMMAND, this.registry);
        if (intent) {
          this.bus.emit({
            type: "intent",
            t: frame.t,
            name: intent.name,
            slots: intent.slots,
            confidence: intent.confidence,
            text: intent.text,
            origin: "asr",
          });
        }
      }
    }
    this.#speech = frame.speech;
  }
}

/** Services for startApi/createApp backed by the real pipeline. */
export async function pipelineServices(
  config: Config,
  bus: EventBus,
): Promise<ApiServices & { usesStandIn: () => boolean }> {
  const registry = await loadRegistry(EXAMPLE_DEVICES);
  const vad = await SileroVad.load(config.vad.model);
  let standIn = false;
  return {
    bus,
    version: "test",
    usesStandIn: () => standIn,
    // A private bus per upload: the response holds only this file's events (not those of a
    // live source on the main bus), and everything is forwarded to the main bus for SSE.
    runAudio: (bytes) => {
      const upload = new EventBus();
      upload.on((e) => bus.emit(e));
      return runAudio(bytes, config, {
        bus: upload,
        vad,
        makeStages: async (b) => {
          const stages = await createStages(config, b);
          standIn = stages.length === 0;
          return standIn ? [new StandInSpeechStage(b, registry)] : stages;
        },
      });
    },
    runText: (text) => {
      const events: EarshotEvent[] = [];
      const intent = parseIntent(text, registry);
      const e: EarshotEvent = intent
        ? {
          type: "intent",
          t: 0,
          name: intent.name,
          slots: intent.slots,
          confidence: intent.confidence,
          text: intent.text,
          origin: "text",
        }
        : { type: "error", t: 0, stage: "intent", message: `no intent in "${text}"` };
      bus.emit(e);
      events.push(e);
      return Promise.resolve(events);
    },
    probes: {
      audio: () => ({ ok: true, detail: "uploads only" }),
      models: () => ({ ok: true, detail: "silero-vad loaded" }),
    },
    info: async () => ({
      audio: { kind: "upload" },
      models: await describeModels(config),
      mqtt: { connected: false, url: "mqtt://earshot:secret@127.0.0.1:1883" },
      devices: Object.fromEntries(registry.devices.map((d) => [d.id, { area: d.area }])),
    }),
  };
}
