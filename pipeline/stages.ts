/**
 * Builds the model stages that follow the front end, from the configuration:
 * the wake-word detector (when wake models are configured) and the command
 * recognizer (when ASR is enabled). The recognizer's grammar comes from the
 * device registry: the running devices runtime's, else `devices.file`, else the
 * example registry that ships in devices/.
 * @module
 */
import type { Config } from "./config.ts";
import type { EventBus } from "./bus.ts";
import type { FrameStage } from "./frame.ts";
import type { WordGrammar } from "./grammar.ts";
import { WakeDetector } from "./wake.ts";
import { createRecognizer } from "./asr/recognizer.ts";
import { buildCommandGrammar } from "./intent/index.ts";
import { loadRegistry } from "../devices/registry.ts";

/** The registry used for the grammar when none is configured. */
export const EXAMPLE_REGISTRY =
  new URL("../devices/example.devices.json", import.meta.url).pathname;

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

/** Options for {@link createStages}. */
export interface StageOptions {
  /** The command grammar (from the devices runtime). */
  grammar?: WordGrammar;
  /** Receives lexicon warnings (unknown words) once. */
  warn?: (message: string) => void;
}

/** The stages for this configuration, in pipeline order. */
export async function createStages(
  config: Config,
  bus: EventBus,
  options: StageOptions = {},
): Promise<FrameStage[]> {
  const stages: FrameStage[] = [];
  if (config.wake.enabled && config.wake.models.length) {
    stages.push(
      await WakeDetector.create(config.wake, bus, { coefficients: config.mfcc.coefficients }),
    );
  }
  if (config.asr.enabled) {
    const grammar = options.grammar ??
      await registryGrammar(config.devices.file ?? EXAMPLE_REGISTRY);
    const { recognizer, warnings } = await createRecognizer(bus, grammar, config.asr, {
      negThreshold: config.vad.negThreshold,
    });
    for (const w of warnings) options.warn?.(w);
    stages.push(recognizer);
  }
  return stages;
}
