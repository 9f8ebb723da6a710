/**
 * Text -> intent -> route: one typed command parsed against the registry (a transcript
 * brings the command its decoded grammar path spells, so it is not parsed again),
 * emitted as an `intent` event, carried out by the router, and reported on the
 * satellite's last_command topics (and to Hermes apps).
 * @module
 */
import type { ConfirmEvent, IntentEvent } from "../core/events.ts";
import { decodedIntent, type ParsedIntent, parseIntent } from "../intent/parser.ts";
import { commandKnown } from "../intent/resolve.ts";
import type { GrammarCommand } from "../core/grammar_path.ts";
import type { Registry } from "../home/registry.ts";
import {
  type HermesDialogue,
  intentNotRecognized,
  intentRecognized,
  rawValues,
  ttsSay,
} from "./hermes.ts";
import type { Router } from "./router.ts";
import type { RouteResult } from "./router.ts";
import type { DevicesStatus } from "./status_snapshot.ts";
import { type AnswerEvent, outcome, replyFor, type Voice } from "./answers.ts";
import type { Site } from "./site.ts";

/** What became of one typed or transcribed command. */
export interface HandleResult {
  /** The text as given. */
  text: string;
  /** The command's correlation id: every event it caused carries it as `session`. */
  session: string;
  /** The recognized intent (null: not understood). */
  intent: ParsedIntent | null;
  /** Devices commanded (topics, queued flag, per-device errors). */
  actions: RouteResult["actions"];
  /** Problems ("no lights in the garage", "which room?"). */
  errors: string[];
  /** Answer for queries/cancel ("yes, the kitchen light is on"). */
  answer?: string;
  /** Set when nothing was done on purpose (lost arbitration, low confidence). */
  skipped?: string;
  /** Resolves with the confirm events once every device confirmed or timed out. */
  confirmations: Promise<ConfirmEvent[]>;
}

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
   * The command the recognizer decoded (the transcript's `intent`): used instead of a parse,
   * unless it names a device or area the registry no longer has (decoded before an import).
   */
  decoded?: GrammarCommand;
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
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import type { EarshotEvent } from "../core/events.ts";
 * import { loadRegistry } from "../home/registry.ts";
 * import { siteTopics } from "./announce.ts";
 * import { startEmbeddedBroker } from "./broker.ts";
 * import { MqttLink } from "./mqtt.ts";
 * import { Router } from "./router.ts";
 * import { Site } from "./site.ts";
 * const broker = await startEmbeddedBroker("127.0.0.1", 0);
 * const link = await MqttLink.connect({ url: broker.url });
 * await link.waitConnected();
 * const site = new Site(new EventBus(), "kitchen", siteTopics("earshot", "kitchen"), false);
 * site.attach(link);
 * const registry = await loadRegistry("devices/example.devices.json");
 * const emit = (e: EarshotEvent) => site.emit(e);
 * const router = new Router(registry, link, { confirmTimeoutMs: 50, brightnessStep: 25, emit });
 * const texts = new TextHandler(site, registry, router, { area: "kitchen", minConfidence: 0.75 });
 * const typed = texts.handle("please switch on the kitchen light"); // parsed
 * assert.deepEqual(typed.actions.map((a) => a.device), ["kitchen_light"]);
 * // A transcript brings the command its decoded grammar path spells: not parsed again.
 * const decoded = { name: "TurnOff", slots: { device: "kitchen_light" } };
 * const spoken = texts.handle("turn off the kitchen light", { origin: "asr", decoded });
 * assert.equal(spoken.intent?.name, "TurnOff");
 * await Promise.all([typed.confirmations, spoken.confirmations]);
 * router.close();
 * await link.close();
 * await broker.close();
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

  /**
   * Carry out `text`: the recognizer's decoded command when `opts.decoded` is given, else the
   * parse of the text. Never throws for bad input (the errors say why).
   */
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
    const decoded = opts.decoded && commandKnown(this.registry, opts.decoded.slots)
      ? opts.decoded
      : undefined;
    const intent = decoded
      ? decodedIntent(decoded, text, this.registry, { area: this.opts.area })
      : parseIntent(text, this.registry, {
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
