/**
 * What the satellite says back, for each thing that happens to a spoken command: a short
 * sound (wake chirp, done, error) and/or a sentence to speak. Pure: the devices runtime
 * decides when an event happened, {@link replyFor} what to say, and the injected
 * {@link Voice} (app/voice.ts over audio/player.ts) plays it.
 * @module
 */
import type { ConfirmEvent } from "../core/events.ts";
import type { RoutedAction } from "./router.ts";

/** The short sounds (assets/sounds/<name>.wav). */
export type Sound = "wake" | "done" | "error";

/** Something the satellite answers. */
export type AnswerEvent =
  /** The wake word was heard and this satellite won the arbitration: it listens. */
  | { kind: "listening" }
  /** The recognizer rejected the utterance (low confidence) or no command was heard. */
  | { kind: "notHeard" }
  /** Words were heard but no intent matched them. */
  | { kind: "notUnderstood" }
  /** Understood, but the words name no single device (the router's "which ...?" question). */
  | { kind: "ambiguous"; problem: string }
  /** A state query or cancel: the router's answer sentence. */
  | { kind: "answer"; text: string }
  /** The router refused the whole command ("no lights in the garage"). */
  | { kind: "refused"; errors: string[] }
  /** Every commanded device confirmed (or cannot report): the command is done. */
  | { kind: "done" }
  /** Some devices did not carry the command out: their names and what went wrong. */
  | { kind: "failed"; devices: { name: string; reason: string }[] }
  /** Text a Hermes app asked to speak (endSession / continueSession text, hermes/tts/say). */
  | { kind: "say"; text: string };

/** What to play for one {@link AnswerEvent}: a sound, then a sentence; either may be absent. */
export interface Reply {
  sound?: Sound;
  text?: string;
}

/** Plays replies; resolves when the reply has finished playing (or could not be played). */
export interface Voice {
  /** Play `reply` (its sentence only when {@link canSpeak}); never rejects. */
  play(reply: Reply): Promise<void>;
  /** Whether sentences can be spoken (answers.speech and an engine was found). */
  readonly canSpeak: boolean;
}

/** A voice that plays nothing (answers off, tests of other parts). */
export const SILENT: Voice = { play: () => Promise.resolve(), canSpeak: false };

/** "which ceiling fan? there is one in the study and ..." reads as a question when spoken. */
function spoken(text: string): string {
  return text.replace(/\s*"([^"]*)"/g, " $1").replace(
    /, brightness (\d+) percent/g,
    ", at $1 percent",
  )
    .replace(/\s+/g, " ").trim();
}

/** Router errors name devices by id and config fields; a listener hears a short sentence. */
function refusal(errors: string[]): string {
  const e = errors[0] ?? "";
  if (/^which room\?/.test(e)) return "which room do you mean?";
  const unknownArea = /^unknown area "([^"]+)"/.exec(e);
  if (unknownArea) return `I don't know a room called ${unknownArea[1].replace(/_/g, " ")}`;
  const unknownDevice = /^unknown device "([^"]+)"/.exec(e);
  if (unknownDevice) return `I don't know a device called ${unknownDevice[1].replace(/_/g, " ")}`;
  if (/^no \w+ in /.test(e)) return `there are ${e}`;
  if (/cannot do \w+ \(no "(\w+)" feature\)/.test(e)) return "that device cannot do that";
  return "sorry, I could not do that";
}

/**
 * Why a device's confirmation failed, in words: silence until the timeout is "did not
 * respond", a device that says it is offline is "offline", a command dropped from the
 * offline queue "could not be reached". Null: not a failure (the device cannot report its
 * state, so nothing is known against it).
 */
export function failureOf(c: ConfirmEvent): string | null {
  if (c.confirmed) return null;
  const r = c.reason ?? "";
  if (/has no observable state|has no state topic/.test(r)) return null;
  if (/reports it is offline/.test(r)) return "is offline";
  if (/^no state report/.test(r)) return "did not respond";
  return "could not be reached";
}

/**
 * The outcome of an acting command once its confirmations are in: done, or the devices
 * that failed (refused actions included), by name.
 *
 * @example
 * ```ts
 * outcome([{ type: "confirm", t: 1, device: "patio_heater", confirmed: false, latencyMs: 3000,
 *   reason: "no state report for on within 3000 ms" }], [], (id) => id.replace("_", " "));
 * // { kind: "failed", devices: [{ name: "patio heater", reason: "did not respond" }] }
 * ```
 */
export function outcome(
  confirms: ConfirmEvent[],
  refused: RoutedAction[],
  nameOf: (id: string) => string,
): AnswerEvent {
  const devices = [
    ...refused.filter((a) => a.error).map((a) => ({ name: nameOf(a.device), reason: "refused" })),
    ...confirms.flatMap((c) => {
      const reason = failureOf(c);
      return reason ? [{ name: nameOf(c.device), reason }] : [];
    }),
  ];
  return devices.length ? { kind: "failed", devices } : { kind: "done" };
}

/** "a", "a or b", "a, b or c" */
function list(names: string[], word: string): string {
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} ${word} ${names[names.length - 1]}`;
}

/** Cut `text` to at most `max` characters at a word boundary. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const space = head.lastIndexOf(" ");
  return space > max / 2 ? head.slice(0, space) : head;
}

/**
 * The reply to one event: which sound, which sentence.
 *
 * @example
 * ```ts
 * replyFor({ kind: "answer", text: "the kitchen light is on, brightness 40 percent" });
 * // { sound: "done", text: "the kitchen light is on, brightness 40 percent" }
 * replyFor({ kind: "notUnderstood" }); // { sound: "error", text: "I didn't catch that" }
 * ```
 */
export function replyFor(e: AnswerEvent, maxChars = 300): Reply {
  switch (e.kind) {
    case "listening":
      return { sound: "wake" };
    case "notHeard":
    case "notUnderstood":
      return { sound: "error", text: "I didn't catch that" };
    case "ambiguous":
      return { sound: "error", text: cut(spoken(e.problem), maxChars) };
    case "answer":
      return { sound: "done", text: cut(spoken(e.text), maxChars) };
    case "refused":
      return { sound: "error", text: refusal(e.errors) };
    case "done":
      return { sound: "done" };
    case "failed": {
      // One sentence per reason: "the patio heater and the porch light did not respond".
      const byReason = new Map<string, string[]>();
      for (const d of e.devices) {
        if (!byReason.has(d.reason)) byReason.set(d.reason, []);
        byReason.get(d.reason)!.push(`the ${d.name}`);
      }
      const parts = [...byReason].map(([reason, names]) =>
        reason === "refused"
          ? `I could not command ${list(names, "or")}`
          : `${list(names, "and")} ${names.length > 1 ? reason.replace(/^is /, "are ") : reason}`
      );
      return { sound: "error", text: cut(parts.join("; "), maxChars) };
    }
    case "say":
      return { text: cut(e.text.replace(/\s+/g, " ").trim(), maxChars) };
  }
}

/**
 * Speech that runs on this far past the wake phrase's end (stream samples, 0.4 s) held a
 * command said in the same breath. The phrase-end estimate is -110..+170 ms from the truth
 * (wake/detector.ts `phraseEnd`), the VAD's speech end a frame or two late.
 */
export const ONE_BREATH_SAMPLES = 6400;

/**
 * When the wake chirp plays, given where the wake phrase ended and where the speech that
 * held it ended (stream samples): "now" when the speech was only the wake phrase (the user
 * waits for the chirp), "transcript" when a command followed in the same breath (the chirp
 * waits until the recognizer has decoded it, so it is never heard as part of the command).
 *
 * @example
 * ```ts
 * wakeChirp(32000, 33600); // "now": speech ended 0.1 s after "hey computer"
 * wakeChirp(32000, 60000); // "transcript": "hey computer turn on the light" in one breath
 * ```
 */
export function wakeChirp(phraseEnd: number, speechEnd: number): "now" | "transcript" {
  return speechEnd - phraseEnd <= ONE_BREATH_SAMPLES ? "now" : "transcript";
}
