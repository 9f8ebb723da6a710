/**
 * Adapters from the running stages to the API's runners:
 * {@link textRunner} turns a text handler (the devices runtime's
 * `handleText`) into {@link RunText}, collecting the events the command causes
 * (intent, publish, error, and the confirms once devices report or time out);
 * {@link audioRunner} turns a whole-file pipeline run into `RunAudio`,
 * including what the devices runtime does with the file's transcripts.
 * @module
 */
import type { ConfirmEvent, EarshotEvent } from "../core/events.ts";
import { EventBus } from "../core/bus.ts";
import type { AudioOutcome, CommandOutcome, RunText } from "./app.ts";
import { Waiter } from "../core/async.ts";

/** What a text handler reports (structurally the devices runtime's HandleResult). */
export interface TextOutcome {
  /** The correlation id the handler put on the command's events. */
  session?: string;
  intent: unknown | null;
  errors: string[];
  answer?: string;
  skipped?: string;
  /** Devices commanded; `queued` ones wait in the offline queue (the broker is down). */
  actions?: Array<{ queued: boolean; queuePosition?: number; expiresAt?: number }>;
  /** Resolves once every commanded device confirmed or timed out. */
  confirmations: Promise<ConfirmEvent[]>;
}

/** Anything that handles typed text, e.g. the devices runtime. */
export interface TextHandler {
  handleText(
    text: string,
    opts?: { origin?: "text" | "asr"; sessionId?: string },
  ): Promise<TextOutcome>;
}

const COMMAND_EVENTS = new Set(["intent", "publish", "confirm", "error"]);

/**
 * A {@link RunText} over a text handler. Each command gets its own correlation
 * id (`session` on its intent, publish, confirm and error events), and the
 * answer holds only the events with that id, so concurrent commands never see
 * each other's. With `waitForConfirm` (default) the answer waits for the
 * device confirmations (bounded by the handler's own confirm timeout) so it
 * can include the confirm events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import type { EarshotEvent } from "../core/events.ts";
 * const bus = new EventBus();
 * // The app injects the devices runtime; this handler emits one intent per command.
 * const intent = (name: string, text: string, session?: string): EarshotEvent => (
 *   { type: "intent", t: 0, name, slots: {}, confidence: 1, text, origin: "text", session }
 * );
 * const devices = {
 *   handleText(text: string, opts?: { sessionId?: string }) {
 *     bus.emit(intent("TurnOn", text, opts?.sessionId));
 *     const confirmations = Promise.resolve([]);
 *     return Promise.resolve({ session: opts?.sessionId, intent: {}, errors: [], confirmations });
 *   },
 * };
 * const runText = textRunner(devices, bus);
 * bus.emit(intent("TurnOff", "turn off the fan")); // another command's: not in the answer
 * const out = await runText("turn on the kitchen light");
 * assert.ok(!Array.isArray(out) && out.understood);
 * assert.deepEqual(out.events.map((e) => e.type === "intent" && e.name), ["TurnOn"]);
 * ```
 */
export function textRunner(
  handler: TextHandler,
  bus: EventBus,
  options: { waitForConfirm?: boolean } = {},
): RunText {
  const wait = options.waitForConfirm ?? true;
  return async (text: string): Promise<CommandOutcome> => {
    const session = crypto.randomUUID();
    const events: EarshotEvent[] = [];
    const off = bus.on((e) => {
      if (e.session === session && COMMAND_EVENTS.has(e.type)) events.push(e);
    });
    try {
      const outcome = await handler.handleText(text, { origin: "text", sessionId: session });
      const queued = (outcome.actions ?? []).filter((a) => a.queued);
      if (queued.length) {
        // The broker is down: answer at once; the command goes out when it is back.
        const expiresAt = Math.min(...queued.map((a) => a.expiresAt ?? Infinity));
        return {
          session,
          events: [...events],
          understood: outcome.intent !== null,
          answer: outcome.answer,
          errors: outcome.errors,
          skipped: outcome.skipped,
          queued: {
            commands: queued.length,
            position: Math.max(...queued.map((a) => a.queuePosition ?? 0)),
            ...(Number.isFinite(expiresAt)
              ? {
                expiresAt: new Date(expiresAt).toISOString(),
                expiresInMs: Math.max(0, expiresAt - Date.now()),
              }
              : {}),
          },
        };
      }
      if (wait) await outcome.confirmations;
      return {
        session,
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

/** Options of {@link audioRunner}. */
export interface AudioRunnerOptions {
  /** Longest wait after the audio for each accepted transcript's intent (arbitration, parsing). */
  intentWaitMs?: number;
  /** Longest wait for the confirms of the commands published (the devices' confirm timeout). */
  confirmWaitMs?: number;
}

/**
 * A `RunAudio` that runs each upload on a private bus forwarded to the
 * main one (SSE and the devices runtime see everything; the answer holds only
 * this file's events, never a live source's) and then collects what the
 * devices runtime does with the upload's transcripts on the main bus (intent,
 * publish, confirm, error), waiting until every accepted transcript has an
 * intent and every publish a confirm, or the waits run out.
 *
 * `run(bytes, uploadBus)` is the pipeline, e.g.
 * `(b, bus) => runAudio(b, config, { bus, vad, makeStages })`.
 */
export function audioRunner(
  run: (bytes: Uint8Array, uploadBus: EventBus) => Promise<EarshotEvent[]>,
  bus: EventBus,
  options: AudioRunnerOptions = {},
): (bytes: Uint8Array) => Promise<AudioOutcome> {
  const intentWaitMs = options.intentWaitMs ?? 1500;
  const confirmWaitMs = options.confirmWaitMs ?? 5000;
  return async (bytes: Uint8Array): Promise<AudioOutcome> => {
    const session = crypto.randomUUID();
    const upload = new EventBus();
    const forwarded = new WeakSet<EarshotEvent>();
    upload.on((e) => {
      // The upload's id rides on its wake and transcripts; the devices runtime carries it on.
      // `stream` says their `t` is on the file's own timeline, not the live source's.
      e.session ??= session;
      e.stream = "upload";
      forwarded.add(e);
      bus.emit(e);
    });
    const commands: EarshotEvent[] = [];
    const waiter = new Waiter();
    const off = bus.on((e) => {
      if (!forwarded.has(e) && e.session === session && COMMAND_EVENTS.has(e.type)) {
        commands.push(e);
        waiter.recheck();
      }
    });
    try {
      const started = performance.now();
      const events = await run(bytes, upload);
      const pipelineMs = performance.now() - started;
      const transcripts = events.filter((e) => e.type === "transcript" && !e.rejected).length;
      const count = (type: string) => commands.filter((e) => e.type === type).length;
      if (transcripts) {
        await waiter.until(() => count("intent") >= transcripts, intentWaitMs);
        await waiter.until(() => count("confirm") >= count("publish"), confirmWaitMs);
      }
      return { session, events: [...events, ...commands], pipelineMs };
    } finally {
      off();
    }
  };
}
