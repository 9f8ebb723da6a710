/**
 * Rhasspy Hermes-compatible messages (topics and JSON payloads), so Rhasspy
 * tools, Node-RED flows and Home Assistant automations written for Hermes can
 * follow earshot: hotword detected, ASR text captured, intent recognized or not.
 * Pure builders; the runtime publishes them.
 * @module
 */
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
  },
): OutMessage {
  const slots = Object.entries(o.intent.slots).map(([slotName, value]) => ({
    entity: slotName,
    slotName,
    rawValue: String(value),
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
export function ttsSay(o: { text: string; siteId: string; sessionId: string }): OutMessage {
  return {
    topic: "hermes/tts/say",
    payload: JSON.stringify({
      text: o.text,
      siteId: o.siteId,
      sessionId: o.sessionId,
      lang: null,
      id: null,
    }),
  };
}
