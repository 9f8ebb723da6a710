/**
 * Rhasspy Hermes-compatible messages (topics and JSON payloads), so Rhasspy
 * tools, Node-RED flows and Home Assistant automations written for Hermes can
 * follow earshot: hotword detected, ASR text captured, intent recognized or not.
 * Pure builders; the runtime publishes them.
 * @module
 */
import { numberToWords } from "../core/text.ts";
import type { ParsedIntent } from "../intent/parser.ts";
import type { OutMessage } from "./adapters/types.ts";
import { round3 } from "../core/math.ts";

/** `hermes/hotword/<wakewordId>/detected` */
export function hotwordDetected(
  o: {
    wakewordId: string;
    siteId: string;
    sessionId: string;
    score: number;
    modelVersion?: string;
  },
): OutMessage {
  return {
    topic: `hermes/hotword/${o.wakewordId}/detected`,
    payload: JSON.stringify({
      modelId: o.wakewordId,
      modelVersion: o.modelVersion ?? "",
      modelType: "personal",
      currentSensitivity: round3(o.score),
      siteId: o.siteId,
      sessionId: o.sessionId,
      sendAudioCaptured: null,
      lang: null,
      customEntities: null,
    }),
  };
}

/** `hermes/asr/textCaptured` */
export function textCaptured(
  o: {
    text: string;
    likelihood: number;
    seconds: number;
    siteId: string;
    sessionId: string;
    wakewordId?: string;
  },
): OutMessage {
  return {
    topic: "hermes/asr/textCaptured",
    payload: JSON.stringify({
      text: o.text,
      likelihood: round3(o.likelihood),
      seconds: round3(o.seconds),
      siteId: o.siteId,
      sessionId: o.sessionId,
      wakewordId: o.wakewordId ?? null,
      asrTokens: null,
      lang: null,
    }),
  };
}

/** Hermes intent names may not contain "/" or wildcards; earshot's never do. */
function safeName(name: string): string {
  return name.replace(/[/#+]/g, "_");
}

/** `hermes/intent/<intentName>` with Hermes slots (entity, slotName, rawValue, value{kind,value}). */
export function intentRecognized(
  o: {
    intent: ParsedIntent;
    input: string;
    siteId: string;
    sessionId: string;
    wakewordId?: string;
    asrConfidence?: number;
    /** The words said per slot ({@link rawValues}); default: the slot value. */
    raw?: Record<string, string>;
  },
): OutMessage {
  const slots = Object.entries(o.intent.slots).map(([slotName, value]) => ({
    entity: slotName,
    slotName,
    rawValue: o.raw?.[slotName] ?? String(value),
    value: typeof value === "number" ? { kind: "Number", value } : { kind: "Unknown", value },
    confidence: 1,
  }));
  return {
    topic: `hermes/intent/${safeName(o.intent.name)}`,
    payload: JSON.stringify({
      input: o.intent.text,
      rawInput: o.input,
      intent: { intentName: o.intent.name, confidenceScore: round3(o.intent.confidence) },
      siteId: o.siteId,
      sessionId: o.sessionId,
      id: null,
      slots,
      customData: null,
      asrTokens: [],
      asrConfidence: o.asrConfidence ?? null,
      wakewordId: o.wakewordId ?? null,
      lang: null,
    }),
  };
}

/** `hermes/nlu/intentNotRecognized` */
export function intentNotRecognized(
  o: { input: string; siteId: string; sessionId: string },
): OutMessage {
  return {
    topic: "hermes/nlu/intentNotRecognized",
    payload: JSON.stringify({
      input: o.input,
      siteId: o.siteId,
      sessionId: o.sessionId,
      id: null,
      customData: null,
    }),
  };
}

/** `hermes/tts/say`: the answer to a query, for a Hermes text-to-speech service. */
export function ttsSay(
  o: { text: string; siteId: string; sessionId: string; id?: string },
): OutMessage {
  return {
    topic: "hermes/tts/say",
    payload: JSON.stringify({
      text: o.text,
      siteId: o.siteId,
      sessionId: o.sessionId,
      lang: null,
      id: o.id ?? null,
    }),
  };
}

/**
 * `hermes/tts/sayFinished` (rhasspy-hermes TtsSayFinished: `id`, `siteId`, `sessionId`): the
 * reply of the satellite's speech to a `hermes/tts/say` once it was spoken.
 */
export function ttsSayFinished(
  o: { id: string | null; siteId: string; sessionId: string | null },
): OutMessage {
  return {
    topic: "hermes/tts/sayFinished",
    payload: JSON.stringify({ siteId: o.siteId, id: o.id, sessionId: o.sessionId }),
  };
}

/** `hermes/dialogueManager/sessionStarted` (rhasspy-hermes DialogueSessionStarted). */
export function sessionStarted(o: { sessionId: string; siteId: string }): OutMessage {
  return {
    topic: "hermes/dialogueManager/sessionStarted",
    payload: JSON.stringify({
      sessionId: o.sessionId,
      siteId: o.siteId,
      customData: null,
      lang: null,
    }),
  };
}

/** Why a session ended (rhasspy-hermes DialogueSessionTerminationReason). */
export type TerminationReason =
  | "nominal"
  | "abortedByUser"
  | "intentNotRecognized"
  | "timeout"
  | "error";

/** `hermes/dialogueManager/sessionEnded` with `termination.reason`. */
export function sessionEnded(
  o: { sessionId: string; siteId: string; reason: TerminationReason; customData?: string | null },
): OutMessage {
  return {
    topic: "hermes/dialogueManager/sessionEnded",
    payload: JSON.stringify({
      termination: { reason: o.reason },
      sessionId: o.sessionId,
      siteId: o.siteId,
      customData: o.customData ?? null,
      lang: null,
    }),
  };
}

/** The Hermes topics earshot listens to. */
export const HERMES_REQUESTS = [
  "hermes/dialogueManager/endSession",
  "hermes/dialogueManager/continueSession",
  "hermes/asr/startListening",
  "hermes/hotword/toggleOn",
  "hermes/hotword/toggleOff",
  "hermes/tts/say",
] as const;

/** A request from a Hermes app, read from one of {@link HERMES_REQUESTS}. */
export type HermesRequest =
  | { kind: "endSession"; sessionId: string; text?: string; customData?: string | null }
  | {
    kind: "continueSession";
    sessionId: string;
    text?: string;
    intentFilter?: string[];
    customData?: string | null;
  }
  | { kind: "startListening"; siteId: string; sessionId?: string; wakewordId?: string }
  | { kind: "hotword"; on: boolean; siteId: string; reason?: string }
  | { kind: "say"; text: string; siteId: string; id: string | null; sessionId: string | null };

/** A Hermes message earshot cannot read; the message names topic and field. */
export class HermesPayloadError extends Error {
  override name = "HermesPayloadError";
}

/**
 * Read a Hermes request (the fields of rhasspy-hermes' DialogueEndSession,
 * DialogueContinueSession, AsrStartListening, HotwordToggleOn/Off, TtsSay); null for other topics.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = parseHermes("hermes/dialogueManager/endSession", '{"sessionId":"s1","text":"done"}');
 * assert.equal(r?.kind, "endSession");
 * assert.deepEqual([r.sessionId, r.text], ["s1", "done"]);
 * assert.equal(parseHermes("hermes/intent/TurnOn", "{}"), null); // not a request
 * assert.throws(() => parseHermes("hermes/dialogueManager/endSession", "[1]"), HermesPayloadError);
 * ```
 */
export function parseHermes(topic: string, payload: string): HermesRequest | null {
  if (!(HERMES_REQUESTS as readonly string[]).includes(topic)) return null;
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    throw new HermesPayloadError(`${topic}: payload is not JSON`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new HermesPayloadError(`${topic}: expected a JSON object`);
  }
  const o = v as Record<string, unknown>;
  const str = (k: string, required = false): string | undefined => {
    const x = o[k];
    if (x === undefined || x === null) {
      if (required) throw new HermesPayloadError(`${topic}: ${k}: missing`);
      return undefined;
    }
    if (typeof x !== "string") throw new HermesPayloadError(`${topic}: ${k}: expected a string`);
    return x;
  };
  const text = () => {
    const t = str("text");
    return t && t.trim() ? t : undefined;
  };
  switch (topic) {
    case "hermes/dialogueManager/endSession":
      return {
        kind: "endSession",
        sessionId: str("sessionId", true)!,
        text: text(),
        customData: str("customData"),
      };
    case "hermes/dialogueManager/continueSession": {
      const f = o.intentFilter;
      if (
        f !== undefined && f !== null && (!Array.isArray(f) || f.some((x) => typeof x !== "string"))
      ) {
        throw new HermesPayloadError(`${topic}: intentFilter: expected a list of intent names`);
      }
      return {
        kind: "continueSession",
        sessionId: str("sessionId", true)!,
        text: text(),
        intentFilter: (f ?? undefined) as string[] | undefined,
        customData: str("customData"),
      };
    }
    case "hermes/tts/say":
      return {
        kind: "say",
        text: str("text", true)!,
        siteId: str("siteId") ?? "default",
        id: str("id") ?? null,
        sessionId: str("sessionId") ?? null,
      };
    case "hermes/asr/startListening":
      return {
        kind: "startListening",
        siteId: str("siteId") ?? "default",
        sessionId: str("sessionId"),
        wakewordId: str("wakewordId"),
      };
    default:
      return {
        kind: "hotword",
        on: topic.endsWith("toggleOn"),
        siteId: str("siteId") ?? "default",
        reason: str("reason"),
      };
  }
}

/** The part of a registry {@link rawValues} reads. */
interface Names {
  device(id: string): { name: string; aliases: string[] } | undefined;
  area(id: string): { name: string; aliases: string[] } | undefined;
}

/**
 * The words said for each slot (Hermes `rawValue`): the device's or area's name or alias
 * that occurs in the parsed words, the spelled number for values; else the slot value.
 */
export function rawValues(intent: ParsedIntent, names: Names): Record<string, string> {
  const words = ` ${intent.text} `;
  const said = (cands: string[]) =>
    cands.filter((c) => c && words.includes(` ${c} `)).sort((a, b) => b.length - a.length)[0];
  const out: Record<string, string> = {};
  for (const [slot, value] of Object.entries(intent.slots)) {
    let raw: string | undefined;
    if (slot === "device" && typeof value === "string") {
      const d = names.device(value);
      raw = d && said([d.name, ...d.aliases]);
    } else if (slot === "area" && typeof value === "string" && !intent.areaFromSite) {
      const a = names.area(value);
      raw = a && said([a.name, ...a.aliases]);
    } else if (typeof value === "number") {
      try {
        const w = numberToWords(value);
        raw = words.includes(` ${w} `) ? w : undefined;
      } catch { /* out of the spoken range */ }
    } else if (typeof value === "string") {
      raw = said([value.replace(/_/g, " ")]);
    }
    out[slot] = raw ?? String(value);
  }
  return out;
}

/** What the satellite does for Hermes requests (wired by the device runtime). */
export interface HermesHandlers {
  /**
   * Speak `text` on this satellite; resolves once it was spoken (continueSession listens only
   * then). Absent: nothing is spoken here (a Hermes TTS service may speak the `hermes/tts/say`).
   */
  say?(text: string, sessionId: string | null): Promise<void>;
  /** Start listening for a command without the wake word. */
  listen(sessionId: string, wakewordId?: string): void;
  /** hermes/hotword/toggleOff (true) / toggleOn (false). */
  mute(muted: boolean, reason?: string): void;
}

/** The link parts the dialogue needs. */
export interface HermesLink {
  subscribe(filter: string, handler: (topic: string, payload: string) => void): () => void;
}

/**
 * The satellite's side of the Hermes dialogue: sessions started and ended
 * (`sessionStarted`/`sessionEnded`), and the requests of Hermes apps: `endSession` (its text
 * is spoken: `hermes/tts/say`), `continueSession` (text spoken, then listening again in the same
 * session), `asr/startListening` (listening without the wake word, this siteId only),
 * `hotword/toggleOff|On` (wake word muted / back), and, when this satellite speaks (`say`
 * handler), `tts/say` for its siteId: spoken, then `tts/sayFinished` with the same id. The
 * satellite's own `tts/say` messages carry ids it remembers and does not speak twice.
 * Requests for sessions of other satellites are ignored; malformed ones go to `report`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sent: string[] = [];
 * const said: string[] = [];
 * const link = { subscribe: () => () => {} }; // the runtime's MqttLink
 * const handlers: HermesHandlers = {
 *   say: (text) => Promise.resolve(void said.push(text)), // resolves once spoken
 *   listen() {},
 *   mute() {},
 * };
 * const send = (m: { topic: string }) => sent.push(m.topic);
 * const d = new HermesDialogue("kitchen", link, send, handlers, console.error);
 * d.start();
 * d.begin("s1");
 * d.onMessage("hermes/dialogueManager/endSession", '{"sessionId":"s1","text":"done"}');
 * assert.deepEqual(sent, [
 *   "hermes/dialogueManager/sessionStarted",
 *   "hermes/tts/say", // the app's text is spoken
 *   "hermes/dialogueManager/sessionEnded",
 * ]);
 * assert.deepEqual(said, ["done"]);
 * d.close();
 * ```
 */
export class HermesDialogue {
  /** Sessions of this satellite, newest last (ended ones are kept a while for late replies). */
  #sessions = new Map<string, { open: boolean }>();
  #unsubs: Array<() => void> = [];
  /** Ids of the `hermes/tts/say` messages this satellite published itself (newest last). */
  #ownSays: string[] = [];

  constructor(
    readonly siteId: string,
    readonly link: HermesLink,
    readonly send: (m: OutMessage) => void,
    readonly handlers: HermesHandlers,
    readonly report: (msg: string) => void,
  ) {}

  /** Subscribe to {@link HERMES_REQUESTS}. */
  start(): void {
    for (const t of HERMES_REQUESTS) {
      this.#unsubs.push(this.link.subscribe(t, (topic, payload) => this.onMessage(topic, payload)));
    }
  }

  /** A session of this satellite began (wake won, or startListening): `sessionStarted`. */
  begin(sessionId: string): void {
    if (this.#sessions.get(sessionId)?.open) return;
    this.#sessions.set(sessionId, { open: true });
    while (this.#sessions.size > 50) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.send(sessionStarted({ sessionId, siteId: this.siteId }));
  }

  /** The session ended (command handled, not understood, timed out): `sessionEnded` once. */
  end(sessionId: string, reason: TerminationReason, customData?: string | null): void {
    const s = this.#sessions.get(sessionId);
    if (!s?.open) return;
    s.open = false;
    this.send(sessionEnded({ sessionId, siteId: this.siteId, reason, customData }));
  }

  /** Whether `sessionId` is (or was recently) a session of this satellite. */
  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  /** Handle one request message (exposed for tests). */
  onMessage(topic: string, payload: string): void {
    let r: HermesRequest | null;
    try {
      r = parseHermes(topic, payload);
    } catch (err) {
      if (!(err instanceof HermesPayloadError)) throw err;
      this.report(err.message);
      return;
    }
    if (!r) return;
    switch (r.kind) {
      case "endSession":
        if (!this.has(r.sessionId)) return;
        if (r.text) this.#say(r.text, r.sessionId);
        this.end(r.sessionId, "nominal", r.customData);
        return;
      case "continueSession": {
        if (!this.has(r.sessionId)) return;
        this.#sessions.set(r.sessionId, { open: true });
        const id = r.sessionId;
        // Listening starts once the question was spoken: the recognizer must not hear it.
        const spoken = r.text ? this.#say(r.text, id) : Promise.resolve();
        spoken.then(() => this.handlers.listen(id));
        return;
      }
      case "say":
        if (r.siteId !== this.siteId || !this.handlers.say) return;
        if (r.id !== null && this.#ownSays.includes(r.id)) return;
        this.handlers.say(r.text, r.sessionId).then(() =>
          this.send(ttsSayFinished({ id: r.id, siteId: this.siteId, sessionId: r.sessionId }))
        );
        return;
      case "startListening": {
        if (r.siteId !== this.siteId) return;
        const id = r.sessionId ?? crypto.randomUUID();
        this.begin(id);
        this.handlers.listen(id, r.wakewordId);
        return;
      }
      case "hotword":
        if (r.siteId !== this.siteId) return;
        this.handlers.mute(!r.on, r.reason);
        return;
    }
  }

  /**
   * Publish `hermes/tts/say` for this satellite's own text (with an id remembered so it is not
   * spoken again when it comes back from the broker); returns the id.
   */
  announce(text: string, sessionId: string): string {
    const id = crypto.randomUUID();
    this.#ownSays.push(id);
    if (this.#ownSays.length > 50) this.#ownSays.shift();
    this.send(ttsSay({ text, siteId: this.siteId, sessionId, id }));
    return id;
  }

  /** Announce `text` and speak it here (when this satellite speaks); resolves once spoken. */
  #say(text: string, sessionId: string): Promise<void> {
    this.announce(text, sessionId);
    return this.handlers.say?.(text, sessionId) ?? Promise.resolve();
  }

  close(): void {
    for (const u of this.#unsubs.splice(0)) u();
  }
}
