/**
 * What the HTTP app is built from: the injected runners and probes, the size and time
 * limits, and {@link ApiContext}, the parts every route module shares.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import { type Config, DEFAULTS } from "../core/config.ts";
import type { EarshotEvent, WakeEvent } from "../core/events.ts";
import type { MetricsCollector } from "./metrics.ts";
import type { SseHub, SseOptions } from "./sse.ts";
import type { StatusCollector, StatusInfo } from "./status.ts";

/** The outcome of a text command, when the runner knows more than its events. */
export interface CommandOutcome {
  /** The command's correlation id (the `session` of its events). */
  session?: string;
  /** The events the command caused (intent, publish, confirm, error). */
  events: EarshotEvent[];
  /** False when no intent matched the text. */
  understood?: boolean;
  /** A spoken-style answer for queries ("the kitchen light is on"). */
  answer?: string;
  /** Problems ("no lights in the garage"). */
  errors?: string[];
  /** Why nothing was done on purpose. */
  skipped?: string;
  /**
   * Set when the broker is down and the command waits in the offline queue (answered 202 at
   * once): how many device commands, the last one's place in the queue, and when the first
   * expires unsent.
   */
  queued?: { commands: number; position: number; expiresAt?: string; expiresInMs?: number };
}

/**
 * Runs typed text through the intent router; resolves with the events it
 * caused, or a {@link CommandOutcome} (see api/commands.ts for the devices runtime).
 */
export type RunText = (text: string) => Promise<EarshotEvent[] | CommandOutcome>;
/** Runs a whole WAV file through the pipeline; resolves with the events it caused. */
export type RunAudio = (bytes: Uint8Array) => Promise<EarshotEvent[] | AudioOutcome>;

/** The outcome of an upload, when the runner measures the pipeline apart from what follows. */
export interface AudioOutcome {
  /** The upload's correlation id (the `session` of its events). */
  session?: string;
  events: EarshotEvent[];
  /** Wall ms of the pipeline alone (not the device confirmations waited for after it). */
  pipelineMs?: number;
}

/** Result of one health probe. */
export interface ProbeResult {
  ok: boolean;
  /** Short human-readable detail ("connected to mqtt://host:1883", "no data for 5 s"). */
  detail?: string;
}
/** A readiness check, e.g. "audio source alive", "models loaded", "MQTT connected". */
export type HealthProbe = () => boolean | ProbeResult | Promise<boolean | ProbeResult>;

/** Size and time limits of the API. */
export interface ApiLimits {
  /** Largest WAV upload, bytes. */
  maxAudioBytes: number;
  /** Largest JSON body, bytes. */
  maxJsonBytes: number;
  /** Longest command text, characters. */
  maxTextChars: number;
  /** Time allowed for one text command, ms. */
  commandTimeoutMs: number;
  /** Time allowed for one uploaded file, ms. */
  audioTimeoutMs: number;
  /** Time allowed for one health probe, ms. */
  probeTimeoutMs: number;
  /** Time for a request body to arrive completely, ms (then 408). */
  bodyTimeoutMs: number;
  /** Uploads whose bodies may be read at once (processing is one at a time). */
  maxUploadReads: number;
}

/** Default limits: the config schema's (`api` section). */
export const DEFAULT_LIMITS: ApiLimits = apiLimits(DEFAULTS);

/** The limits of a configuration's `api` section. */
export function apiLimits(config: Pick<Config, "api">): ApiLimits {
  const c = config.api;
  return {
    maxAudioBytes: c.maxAudioBytes,
    maxJsonBytes: c.maxJsonBytes,
    maxTextChars: c.maxTextChars,
    commandTimeoutMs: c.commandTimeoutMs,
    audioTimeoutMs: c.audioTimeoutMs,
    probeTimeoutMs: c.probeTimeoutMs,
    bodyTimeoutMs: c.bodyTimeoutMs,
    maxUploadReads: c.maxUploadReads,
  };
}

/** What the app is built from. Only `bus` and `token` are required. */
export interface ApiDeps {
  /** The event bus every stage emits on. */
  bus: EventBus;
  /** Bearer token for mutating endpoints (see api/token.ts). */
  token: string;
  /** earshot version shown in status and metrics. */
  version?: string;
  /** Information events cannot tell: audio source, models, MQTT, known devices. */
  info?: () => StatusInfo | Promise<StatusInfo>;
  /** Readiness checks by name ("audio", "models", "mqtt"). */
  probes?: Record<string, HealthProbe>;
  /** Text command runner; absent: POST /api/command answers 503. */
  runText?: RunText;
  /** Whole-file pipeline runner; absent: POST /api/audio answers 503. */
  runAudio?: RunAudio;
  /**
   * Listen for a command without the wake word (core/remote.ts `RemoteControl.listen` with
   * source "http"): the wake event it emitted; throws a RemoteError when muted (409) or
   * without a live pipeline (503). Absent: POST /api/listen answers 503.
   */
  listen?: () => WakeEvent;
  /** Live real-time factor of the running pipeline, for /metrics. */
  realTimeFactor?: () => number | undefined;
  /** Seconds of audio the live pipeline has taken in (its sample counter), for /metrics. */
  liveAudioSeconds?: () => number;
  /** The MQTT link's state and offline-queue counts, for /metrics. */
  mqtt?: () => { state: string; queued: number; dropped: number };
  limits?: Partial<ApiLimits>;
  sse?: Partial<SseOptions>;
  /** Collectors, when the caller made them earlier; created from the bus otherwise. */
  status?: StatusCollector;
  metrics?: MetricsCollector;
  /**
   * Host names accepted besides loopback names and IP literals (from api.host and
   * api.allowedHosts); "*" accepts every Host. Other Host headers get 403 (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Where server-side errors go (full detail stays here, never in responses). */
  logError?: (message: string) => void;
  /**
   * Served on the network (api.lan): every route but `/health/live` and `/static/` needs the
   * token, as a bearer or as the sign-in cookie of `GET /?token=`.
   */
  lan?: boolean;
  /** Lifetime of the sign-in cookie, seconds (api.sessionMaxAgeS). */
  sessionMaxAgeS?: number;
}

/**
 * The parts of one app that its route modules share (api/routes/): built once by
 * createApp from {@link ApiDeps}.
 */
export interface ApiContext {
  deps: ApiDeps;
  limits: ApiLimits;
  version: string;
  /** Wall ms the app was built. */
  startedAt: number;
  logError: (message: string) => void;
  status: StatusCollector;
  metrics: MetricsCollector;
  hub: SseHub;
  /** Whether an upload is being processed now (api/routes/audio.ts sets it). */
  audioBusy: boolean;
}
