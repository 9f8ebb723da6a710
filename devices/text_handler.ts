/**
 * Text -> intent -> route: one typed command or transcript parsed against the registry,
 * emitted as an `intent` event, carried out by the router, and reported on the
 * satellite's last_command topics (and to Hermes apps).
 * @module
 */
import type { ConfirmEvent, IntentEvent } from "../core/events.ts";
import { type ParsedIntent, parseIntent } from "../intent/parser.ts";
import type { Registry } from "../home/registry.ts";
import {
  type HermesDialogue,
  intentNotRecognized,
  intentRecognized,
  rawValues,
  ttsSay,
} from "./hermes.ts";
import type { Router } from "./router.ts";
import { type AnswerEvent, outcome, replyFor, type Voice } from "./answers.ts";
import type { DevicesStatus, HandleResult } from "./runtime.ts";
import type { Site } from "./site.ts";

/** How one text arrived. */
export interface HandleOptions {
  origin?: "text" | "asr";
  /** Stream time of the text (default: the latest event's). */
  t?: number;
  /** The recognizer's confidence (transcripts). */
  confidence?: number;
  /** The command's correlation id (default: a new one). */
  sessionId?: string;
  /** The wake word of the session a transcript belongs to (for Hermes). */
  wakewordId?: string;
  /**
   * Answer out loud (the live microphone's commands): the done or error sound, the state
   * answer, "I didn't catch that", "which ...?", "the patio heater did not respond".
   */
  voice?: boolean;
}

const NONE = (): Promise<ConfirmEvent[]> => Promise.resolve([]);

/**
 * Carries out text commands and remembers the last one.
 * @example
 * ```ts
 * const texts = new TextHandler(site, registry, router, { area: "kitchen", minConfidence: 0.75 });
 * const r = texts.handle("turn on the kitchen light");
 * r.actions[0].device; // "kitchen_light"
 * ```
 */
export class TextHandler {
  lastCommand: DevicesStatus["lastCommand"];
  #names;

  constructor(
    readonly site: Site,
    readonly registry: Registry,
    readonly router: Router,
    readonly opts: {
      area?: string;
      minConfidence: number;
      dialogue?: HermesDialogue;
      /** Plays the spoken answers (HandleOptions.voice); absent: silent. */
      voice?: Voice;
      /** Longest spoken answer (answers.maxChars). */
      maxChars?: number;
    },
    readonly now: () => number = Date.now,
  ) {
    this.#names = {
      device: (id: string) => registry.devices.find((d) => d.id === id),
      area: (id: string) => registry.areas.find((a) => a.id === id),
    };
  }

  /** Parse and carry out `text`; never throws for bad input (the errors say why). */
  handle(text: string, opts: HandleOptions = {}): HandleResult {
    const sessionId = opts.sessionId ?? crypto.randomUUID();
    if (typeof text !== "string" || text.length > 1000) {
      return {
        session: sessionId,
        text: String(text).slice(0, 100),
        intent: null,
        actions: [],
        errors: ["text must be a string of at most 1000 characters"],
        confirmations: NONE(),
      };
    }
    const intent = parseIntent(text, this.registry, {
      area: this.opts.area,
      minConfidence: this.opts.minConfidence,
    });
    if (this.site.listening) this.site.setListening(false);
    if (!intent) return this.#notUnderstood(text, sessionId, opts.voice);
    return this.#carryOut(text, intent, opts, sessionId);
  }

  /** Play the reply to `e` when this command is answered out loud. */
  #answer(e: AnswerEvent, voice: boolean | undefined): void {
    if (voice && this.opts.voice) this.opts.voice.play(replyFor(e, this.opts.maxChars));
  }

  /** Out loud: the query's answer, the "which ...?" question, the refusal, or the outcome. */
  #speakResult(intent: ParsedIntent, r: ReturnType<Router["route"]>, voice?: boolean): void {
    if (!voice || !this.opts.voice) return;
    if (intent.problem) return this.#answer({ kind: "ambiguous", problem: intent.problem }, voice);
    if (r.answer) return this.#answer({ kind: "answer", text: r.answer }, voice);
    if (!r.actions.length) {
      return this.#answer({ kind: "refused", errors: r.errors }, voice);
    }
    const nameOf = (id: string) => this.#names.device(id)?.name ?? id.replace(/_/g, " ");
    r.confirmations.then(
      (confirms) => this.#answer(outcome(confirms, r.actions, nameOf), voice),
      () => this.#answer({ kind: "refused", errors: [] }, voice),
    );
  }

  #notUnderstood(text: string, sessionId: string, voice?: boolean): HandleResult {
    const { site } = this;
    this.#answer({ kind: "notUnderstood" }, voice);
    if (site.hermes) {
      site.send(intentNotRecognized({ input: text, siteId: site.siteId, sessionId }));
    }
    this.opts.dialogue?.end(sessionId, "intentNotRecognized");
    this.#remember(text, null, ["not understood"]);
    site.send({ topic: site.topics.lastCommand, payload: text, retain: true });
    return {
      session: sessionId,
      text,
      intent: null,
      actions: [],
      errors: ["not understood"],
      skipped: "no intent matched",
      confirmations: NONE(),
    };
  }

  #carryOut(
    text: string,
    intent: ParsedIntent,
    opts: HandleOptions,
    sessionId: string,
  ): HandleResult {
    const { site } = this;
    const t = opts.t ?? site.streamT;
    const origin = opts.origin ?? "text";
    const ev: IntentEvent = {
      type: "intent",
      t,
      name: intent.name,
      slots: intent.slots,
      confidence: intent.confidence,
      text: intent.text,
      origin,
      session: sessionId,
    };
    if (intent.problem) ev.reason = intent.problem;
    site.emit(ev);
    if (site.hermes) {
      site.send(intentRecognized({
        intent,
        input: text,
        siteId: site.siteId,
        sessionId,
        // A typed command has no wake word (never the last wake's).
        wakewordId: origin === "asr" ? opts.wakewordId : undefined,
        asrConfidence: opts.confidence,
        raw: rawValues(intent, this.#names),
      }));
    }
    const r = this.router.route(intent, t, sessionId);
    this.#remember(text, intent.name, r.errors);
    site.send({ topic: site.topics.lastCommand, payload: intent.text, retain: true });
    site.send({
      topic: site.topics.lastCommandAttributes,
      payload: JSON.stringify({
        intent: intent.name,
        slots: intent.slots,
        confidence: intent.confidence,
        origin,
        errors: r.errors,
        answer: r.answer,
      }),
      retain: true,
    });
    for (const e of r.errors) site.error("router", e, sessionId);
    if (site.hermes && r.answer) {
      if (this.opts.dialogue) this.opts.dialogue.announce(r.answer, sessionId);
      else site.send(ttsSay({ text: r.answer, siteId: site.siteId, sessionId }));
    }
    this.#speakResult(intent, r, opts.voice);
    this.opts.dialogue?.end(sessionId, "nominal");
    return {
      session: sessionId,
      text,
      intent,
      actions: r.actions,
      errors: r.errors,
      answer: r.answer,
      confirmations: r.confirmations,
    };
  }

  #remember(text: string, intent: string | null, errors: string[]): void {
    this.lastCommand = { text, intent, at: new Date(this.now()).toISOString(), errors };
  }
}
