/**
 * Builds the model stages that follow the front end, from the configuration:
 * the wake-word detector (when wake models are configured) and the command
 * recognizer (when ASR is enabled). The recognizer's grammar comes from the
 * device registry: the running devices runtime's, else `devices.file`, else the
 * example registry that ships in devices/.
 * @module
 */
import type { Config } from "../core/config.ts";
import type { EventBus } from "../core/bus.ts";
import type { FrameStage } from "../pipeline/frame.ts";
import type { WordGrammar } from "../core/grammar.ts";
import {
  attachVerifiers,
  loadWakeModel,
  type WakeConfig,
  WakeDetector,
  type WakeModel,
} from "../wake/detector.ts";
import { createRecognizer, DEFAULT_ASR_MODEL, type Recognizer } from "../asr/recognizer.ts";
import { defaultVadModelPath } from "../pipeline/vad.ts";
import type { ModelDefaults } from "../api/models.ts";
import type { AnalysisFrame, StageResult } from "../pipeline/frame.ts";
import type { VadEvent, WakeEvent } from "../core/events.ts";
import { buildCommandGrammar } from "../intent/index.ts";
import { loadRegistry } from "../home/registry.ts";

/** The registry used for the grammar when none is configured. */
export const EXAMPLE_REGISTRY =
  new URL("../devices/example.devices.json", import.meta.url).pathname;

/** The model files the stages load where the configuration names none. */
export function modelDefaults(): ModelDefaults {
  return { vad: defaultVadModelPath(), asr: DEFAULT_ASR_MODEL };
}

/** Grammars of registry files, built once per file (the recognizer is rebuilt per upload). */
const grammarCache = new Map<string, Promise<WordGrammar>>();

async function registryGrammar(path: string): Promise<WordGrammar> {
  let g = grammarCache.get(path);
  if (!g) {
    g = loadRegistry(path).then((r) => buildCommandGrammar(r));
    grammarCache.set(path, g);
    g.catch(() => grammarCache.delete(path));
  }
  return await g;
}

/** Wake models (and their verifiers) loaded once per wake configuration. */
const wakeModelCache = new Map<string, Promise<WakeModel[]>>();

/**
 * The wake models of `wake`, loaded once per configuration and shared by every stream (the
 * live pipeline and each upload get their own {@link WakeDetector}, which holds only that
 * stream's state). The sessions live as long as the process.
 *
 * @example
 * ```ts
 * import { parseConfig } from "../core/config.ts";
 * const config = parseConfig({});
 * const a = await sharedWakeModels(config.wake, config.mfcc.coefficients);
 * const b = await sharedWakeModels(config.wake, config.mfcc.coefficients);
 * if (a !== b) throw new Error("expected one session per model");
 * ```
 */
export function sharedWakeModels(wake: WakeConfig, coefficients: number): Promise<WakeModel[]> {
  const key = JSON.stringify([wake, coefficients]);
  let p = wakeModelCache.get(key);
  if (!p) {
    p = (async () => {
      const models = await Promise.all(
        wake.models.map((spec) => loadWakeModel(spec, wake, coefficients)),
      );
      try {
        await attachVerifiers(models, wake);
      } catch (err) {
        for (const m of models) await m.model.session.release();
        throw err;
      }
      return models;
    })();
    wakeModelCache.set(key, p);
    p.catch(() => wakeModelCache.delete(key));
  }
  return p;
}

/** Options for {@link createStages}. */
export interface StageOptions {
  /** The command grammar (from the devices runtime). */
  grammar?: WordGrammar;
  /** Receives lexicon warnings (unknown words) once. */
  warn?: (message: string) => void;
}

/** The stages for this configuration, in pipeline order (the recognizer is a {@link RecognizerSlot}). */
export async function createStages(
  config: Config,
  bus: EventBus,
  options: StageOptions = {},
): Promise<FrameStage[]> {
  const stages: FrameStage[] = [];
  if (config.wake.enabled && config.wake.models.length) {
    const models = await sharedWakeModels(config.wake, config.mfcc.coefficients);
    stages.push(new WakeDetector(models, config.wake, bus));
  }
  if (config.asr.enabled) {
    const grammar = options.grammar ??
      await registryGrammar(config.devices.file ?? EXAMPLE_REGISTRY);
    const slot = new RecognizerSlot(() => buildRecognizer(config, grammar, options.warn));
    await slot.ready;
    stages.push(slot);
  }
  return stages;
}

/** Build a command recognizer for `grammar` (lexicon warnings go to `warn`). */
export async function buildRecognizer(
  config: Config,
  grammar: WordGrammar,
  warn?: (message: string) => void,
): Promise<Recognizer> {
  const { recognizer, warnings } = await createRecognizer(grammar, config.asr, {
    negThreshold: config.vad.negThreshold,
  });
  for (const w of warnings) warn?.(w);
  return recognizer;
}

/**
 * Holds the command recognizer and lets a new one (built for a changed
 * grammar, e.g. after devices were imported) take over between utterances.
 * Only the active recognizer is handed the pipeline's `wake` and `vad`
 * events and frames, so a recognizer waiting to take over never reacts to
 * speech.
 */
export class RecognizerSlot implements FrameStage {
  #active!: Recognizer;
  #next: Recognizer | null = null;
  /** Resolves once the first recognizer is built. */
  readonly ready: Promise<void>;

  constructor(build: () => Promise<Recognizer>) {
    this.ready = build().then((r) => void (this.#active = r));
  }

  /** Build a recognizer with `build` and switch to it when no utterance is in progress. */
  async replace(build: () => Promise<Recognizer>): Promise<void> {
    const next = await build();
    this.#next?.close();
    this.#next = next;
  }

  /** The recognizer in use. */
  get recognizer(): Recognizer {
    return this.#active;
  }

  onEvent(e: WakeEvent | VadEvent): void {
    this.#active?.onEvent(e);
  }

  async onFrame(frame: AnalysisFrame): Promise<StageResult | undefined> {
    if (this.#next && !this.#active.listening) {
      this.#active.close();
      this.#active = this.#next;
      this.#next = null;
    }
    return await this.#active.onFrame(frame);
  }

  async flush(t: number): Promise<StageResult | undefined> {
    return await this.#active.flush(t);
  }

  close(): void {
    this.#next?.close();
    this.#active?.close();
  }
}
