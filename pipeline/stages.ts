/**
 * Builds the model stages that follow the front end, from the configuration.
 * Each stage is optional: with no wake models configured, the pipeline runs
 * VAD and MFCC only.
 * @module
 */
import type { Config } from "./config.ts";
import type { EventBus } from "./bus.ts";
import type { FrameStage } from "./frame.ts";
import type { WordGrammar } from "./grammar.ts";

/** The stages for this configuration, in pipeline order. */
export function createStages(
  _config: Config,
  _bus: EventBus,
  _options: { grammar?: WordGrammar } = {},
): Promise<FrameStage[]> {
  return Promise.resolve([]);
}
