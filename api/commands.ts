/**
 * Adapts a text handler (the devices runtime's `handleText`) to the API's
 * {@link RunText}: runs the text, collects the events it causes on the bus
 * (intent, publish, error, and the confirms once devices report or time out)
 * and reports whether it was understood, the answer and the problems.
 * @module
 */
import type { EventBus } from "../pipeline/bus.ts";
import type { ConfirmEvent, EarshotEvent } from "../pipeline/events.ts";
import type { CommandOutcome, RunText } from "./app.ts";

/** What a text handler reports (structurally the devices runtime's HandleResult). */
export interface TextOutcome {
  intent: unknown | null;
  errors: string[];
  answer?: string;
  skipped?: string;
  /** Resolves once every commanded device confirmed or timed out. */
  confirmations: Promise<ConfirmEvent[]>;
}

/** Anything that handles typed text, e.g. the devices runtime. */
export interface TextHandler {
  handleText(text: string, opts?: { origin?: "text" | "asr" }): Promise<TextOutcome>;
}

const COMMAND_EVENTS = new Set(["intent", "publish", "confirm", "error"]);

/**
 * A {@link RunText} over a text handler. With `waitForConfirm` (default) the
 * answer waits for the device confirmations (bounded by the handler's own
 * confirm timeout) so it can include the confirm events.
 */
export function textRunner(
  handler: TextHandler,
  bus: EventBus,
  options: { waitForConfirm?: boolean } = {},
): RunText {
  const wait = options.waitForConfirm ?? true;
  return async (text: string): Promise<CommandOutcome> => {
    const events: EarshotEvent[] = [];
    const off = bus.on((e) => {
      if (COMMAND_EVENTS.has(e.type)) events.push(e);
    });
    try {
      const outcome = await handler.handleText(text, { origin: "text" });
      if (wait) await outcome.confirmations;
      return {
        events,
        understood: outcome.intent !== null,
        answer: outcome.answer,
        errors: outcome.errors,
        skipped: outcome.skipped,
      };
    } finally {
      off();
    }
  };
}
