/**
 * The one event union that every stage emits and every sink (JSON lines, SSE,
 * metrics, MQTT/Hermes) consumes. `t` is always stream time in seconds: the
 * position in the audio where the event happened, never wall-clock time.
 *
 * The JSON-lines schema in README.md is this file; keep them in step and only
 * add fields (sinks and users rely on the existing ones).
 * @module
 */
import type { GrammarCommand } from "./grammar_path.ts";

/** Fields every event carries. */
export interface EventBase {
  /** Discriminator. */
  type: string;
  /** Stream time in seconds (sample index / 16000). */
  t: number;
  /**
   * Correlation id: set on the events of one typed command or one upload (and on the
   * intent, publish, confirm and error events they cause), so answers and clients can tell
   * concurrent commands apart. Absent on events of no particular command.
   */
  session?: string;
  /**
   * The timeline `t` is on when it is not the live audio source's: "upload" on the events of an
   * uploaded file's own pipeline run (source, vad, level, wake, transcript, error; with the
   * upload's `session`), whose `t` counts from 0 in that file. Absent: the live source.
   */
  stream?: "upload";
  /**
   * Wall-clock time (ISO 8601, UTC) the event was emitted, stamped once by a bus made with a
   * clock (`new EventBus({ clock: Date.now })`: the assistant's bus whenever the API is on, as
   * under `start`, so SSE, the dashboard and the API answers carry it). Absent from `run`
   * output, which stays reproducible for a file. Never used inside the pipeline (its time is
   * `t`).
   */
  at?: string;
}

/** The audio source started, ended, or is being restarted. */
export interface SourceEvent extends EventBase {
  type: "source";
  /** "waiting": opened nothing yet (a FIFO without a writer); `reason` says so. */
  state: "started" | "ended" | "restarting" | "waiting";
  /** What the source is: a file path, "stdin" or "mic:<device>". */
  source: string;
  /** Why it restarts or ended, where known. */
  reason?: string;
}

/** Voice activity: speech started or ended. */
export interface VadEvent extends EventBase {
  type: "vad";
  state: "start" | "end";
  /** Stream position in samples at 16 kHz. */
  sample: number;
  /** Speech probability of the frame that triggered the change. */
  probability: number;
}

/** Periodic levels for live plots (about 10 per second; not in JSON lines unless asked). */
export interface LevelEvent extends EventBase {
  type: "level";
  /** RMS of the last hop in dBFS. */
  db: number;
  /** Last VAD speech probability (0 when the energy gate skipped the model). */
  vad: number;
  /** Latest wake score per model id. */
  wake: Record<string, number>;
}

/** A wake word was detected. */
export interface WakeEvent extends EventBase {
  type: "wake";
  /** Model id, e.g. "hey_computer". */
  model: string;
  /** The phrase the model was trained for. */
  phrase: string;
  /** Smoothed posterior that crossed the threshold. */
  score: number;
  /** Stream sample (16 kHz) where the detection happened (the end of the scored window). */
  sample: number;
  /**
   * Stream sample where the wake phrase is estimated to end (from the detector's score
   * trajectory, wake/detector.ts `phraseEnd`); the command recognizer decodes from there, so a
   * command said in the same breath is heard. Set by the wake detector; absent from events of
   * other origins (the recognizer then starts from `sample`).
   */
  phraseEnd?: number;
  /**
   * Set when no wake word was heard and listening was asked for remotely (core/remote.ts):
   * `hermes` (hermes/asr/startListening), `homeassistant` (the listen button), `http`
   * (POST /api/listen). Absent on the wake detector's events.
   */
  source?: "hermes" | "homeassistant" | "http";
}

/** One decoded command sentence (after the endpoint). */
export interface TranscriptEvent extends EventBase {
  type: "transcript";
  text: string;
  /** Calibrated confidence 0..1. */
  confidence: number;
  /** Utterance start and end, stream seconds. */
  start: number;
  end: number;
  /** Compute time of the decode in milliseconds (wall clock). */
  decodeMs: number;
  /** Other hypotheses, best first. */
  alternatives: { text: string; confidence: number }[];
  /** True when the sentence fell below the confidence threshold (no action taken). */
  rejected: boolean;
  /**
   * The command the sentence spells, read off the grammar path the recognizer decoded: intent
   * name and slot values as the grammar holds them (before a shared device name or "here" is
   * resolved). The devices runtime acts on it without parsing `text` again. Absent when the
   * text is empty or the grammar has no intent tags.
   */
  intent?: GrammarCommand;
}

/** An intent recognized from a transcript or typed text. */
export interface IntentEvent extends EventBase {
  type: "intent";
  name: string;
  slots: Record<string, string | number>;
  confidence: number;
  text: string;
  /** "asr" for speech, "text" for typed input. */
  origin: "asr" | "text";
  /**
   * Set when the intent is understood but names no single device, so nothing acts
   * ("which ceiling fan? there is one in the study and one in the guest room").
   */
  reason?: string;
}

/** A command was published (or queued while offline). */
export interface PublishEvent extends EventBase {
  type: "publish";
  device: string;
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  /** True when the broker was down and the message waits in the offline queue. */
  queued: boolean;
}

/** The device reported (or failed to report) the commanded state. */
export interface ConfirmEvent extends EventBase {
  type: "confirm";
  device: string;
  confirmed: boolean;
  /** Wall-clock milliseconds from publish to state report (or the timeout). */
  latencyMs: number;
  state?: Record<string, unknown>;
  reason?: string;
}

/** Something went wrong in a stage; the pipeline keeps running where it can. */
export interface ErrorEvent extends EventBase {
  type: "error";
  stage: string;
  message: string;
}

/** Every event earshot emits. */
export type EarshotEvent =
  | SourceEvent
  | VadEvent
  | LevelEvent
  | WakeEvent
  | TranscriptEvent
  | IntentEvent
  | PublishEvent
  | ConfirmEvent
  | ErrorEvent;

/** The `type` values. */
export type EventType = EarshotEvent["type"];

import { SAMPLE_RATE } from "./units.ts";

export { SAMPLE_RATE };

/** Stream seconds of a sample index, rounded to the microsecond for stable output. */
export function streamTime(sample: number): number {
  return Math.round((sample / SAMPLE_RATE) * 1e6) / 1e6;
}
