/**
 * Status collector: subscribes to the event bus and keeps what `/api/status`
 * reports about the running pipeline: the last wake, transcript, intent,
 * publish and confirm with their latencies, device states, the audio source
 * and counters. It never reaches into a stage; it only reads events.
 *
 * Latencies come in two clocks: stream milliseconds (positions in the audio,
 * reproducible for a file) and wall milliseconds (time between the events
 * arriving at the bus, what a user waits).
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import { redactUrl } from "../core/secrets.ts";
import type {
  ConfirmEvent,
  EarshotEvent,
  IntentEvent,
  PublishEvent,
  SourceEvent,
  TranscriptEvent,
  WakeEvent,
} from "../core/events.ts";

/** One model as reported in the status (no paths outside what the config names). */
export interface ModelInfo {
  /** Model id, e.g. "hey_computer" or "silero-vad". */
  id: string;
  /** What the model does. */
  kind: "vad" | "wake" | "asr" | string;
  /** Model file as configured. */
  file: string;
  /** File size in bytes; null when the file cannot be read. */
  sizeBytes: number | null;
  /** Weights stored per bit width, e.g. { "4": 9000, "32": 64 }; omitted when unknown. */
  bitWidths?: Record<string, number>;
  /** Thresholds in effect, e.g. { wake: 0.6 } or { confidence: 0.5 }. */
  thresholds?: Record<string, number>;
  /** Wake phrase, for wake models. */
  phrase?: string;
  /** Whether the model is loaded in a session right now. */
  loaded?: boolean;
}

/** MQTT connection state as the devices runtime reports it. */
export interface MqttInfo {
  connected: boolean;
  /** Broker URL without credentials. */
  url?: string;
  embedded?: boolean;
  /** Commands waiting in the offline queue. */
  queued?: number;
  [key: string]: unknown;
}

/** What a device looks like in the status. */
export interface DeviceStatus {
  /** Spoken name from the registry ("kitchen light"). */
  name?: string;
  /** Area id and its spoken name ("living_room", "living room"). */
  area?: string;
  areaName?: string;
  /** Device type (light, switch, plug, fan, cover, thermostat, scene). */
  type?: string;
  /** The state in words ("on, 40%, 2700 K", "closed", "unknown"). */
  stateText?: string;
  /** What the device says about being reachable. */
  availability?: "online" | "offline" | "unknown";
  /** ISO time of the last report that changed the state. */
  changedAt?: string;
  /** Last command sent to it. */
  lastCommand?: { topic: string; payload: string; queued: boolean; t: number; at: string };
  /** Last state it reported (from a confirm event or the devices runtime). */
  state?: object;
  /** Whether the last command was confirmed; undefined while waiting. */
  confirmed?: boolean;
  /** Publish-to-report latency of the last confirm, wall ms. */
  latencyMs?: number;
  reason?: string;
  [key: string]: unknown;
}

/** Information the collector cannot learn from events; supplied by whoever wires the app. */
export interface StatusInfo {
  audio?: Record<string, unknown>;
  models?: ModelInfo[];
  mqtt?: MqttInfo;
  /** Known devices from the registry (states merge with what the events say). */
  devices?: Record<string, DeviceStatus>;
  /** Remote control: mute, sensitivity, thresholds, wakes suppressed, remote listens. */
  remote?: Record<string, unknown>;
  /** The voice back (README "Answers"): engine, device, counters; absent when it is off. */
  answers?: Record<string, unknown>;
}

/** An event with the wall-clock time it reached the bus. */
export interface Seen<E> {
  event: E;
  /** ISO wall-clock time the event reached the bus. */
  at: string;
}

/** The bus-derived part of the status. */
export interface CollectedStatus {
  /** Latest stream time seen, seconds. */
  streamTime: number;
  source?: Seen<SourceEvent>;
  speaking: boolean;
  last: {
    wake?: Seen<WakeEvent>;
    transcript?: Seen<TranscriptEvent> & {
      /** Compute time of the decode (from the event), wall ms. */
      decodeMs: number;
      /** From the end of speech to the transcript, stream ms. */
      endpointDelayMs: number;
    };
    intent?: Seen<IntentEvent> & {
      /** From the wake to the intent, stream ms (speech origin only). */
      sinceWakeMs?: number;
      /** From the transcript reaching the bus to the intent, wall ms. */
      sinceTranscriptWallMs?: number;
    };
    publish?: Seen<PublishEvent> & {
      /** From the intent reaching the bus to the publish, wall ms. */
      sinceIntentWallMs?: number;
      /** From the wake reaching the bus to the publish, wall ms. */
      sinceWakeWallMs?: number;
    };
    confirm?: Seen<ConfirmEvent>;
    error?: Seen<EarshotEvent & { type: "error" }>;
  };
  devices: Record<string, DeviceStatus>;
  counters: {
    events: Record<string, number>;
    wakes: Record<string, number>;
    intents: Record<string, number>;
    transcripts: { accepted: number; rejected: number };
    publishes: { sent: number; queued: number };
    confirms: { confirmed: number; failed: number };
    errors: Record<string, number>;
  };
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Keeps the latest pipeline state from the bus. Call {@link close} to unsubscribe. */
export class StatusCollector {
  #off: () => void;
  #now: () => number;
  #state: CollectedStatus = {
    streamTime: 0,
    speaking: false,
    last: {},
    devices: {},
    counters: {
      events: {},
      wakes: {},
      intents: {},
      transcripts: { accepted: 0, rejected: 0 },
      publishes: { sent: 0, queued: 0 },
      confirms: { confirmed: 0, failed: 0 },
      errors: {},
    },
  };
  // Wall-clock arrival (ms) of the latest events, for wall latencies.
  #wakeWall?: number;
  #transcriptWall?: number;
  #intentWall?: number;
  #audioWall?: number;

  /** `now` returns wall-clock milliseconds (tests inject a fake clock). */
  constructor(bus: EventBus, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#off = bus.on((e) => this.observe(e));
  }

  /** Record one event (called by the bus subscription). */
  observe(e: EarshotEvent): void {
    const wall = this.#now();
    const s = this.#state;
    const c = s.counters;
    bump(c.events, e.type);
    if (Number.isFinite(e.t)) s.streamTime = e.t;
    if (e.type === "level" || e.type === "vad" || e.type === "source") this.#audioWall = wall;
    if (e.type === "level") return; // the hot path: about 10 per second
    const at = new Date(wall).toISOString();
    switch (e.type) {
      case "source":
        s.source = { event: e, at };
        if (e.state !== "started") s.speaking = false;
        break;
      case "vad":
        s.speaking = e.state === "start";
        break;
      case "wake":
        bump(c.wakes, e.model);
        s.last.wake = { event: e, at };
        this.#wakeWall = wall;
        break;
      case "transcript":
        c.transcripts[e.rejected ? "rejected" : "accepted"]++;
        s.last.transcript = {
          event: e,
          at,
          decodeMs: e.decodeMs,
          endpointDelayMs: Math.max(0, Math.round((e.t - e.end) * 1000)),
        };
        this.#transcriptWall = wall;
        break;
      case "intent": {
        bump(c.intents, e.name);
        const wake = s.last.wake?.event;
        s.last.intent = {
          event: e,
          at,
          sinceWakeMs: e.origin === "asr" && wake && e.t >= wake.t
            ? Math.round((e.t - wake.t) * 1000)
            : undefined,
          sinceTranscriptWallMs: e.origin === "asr" && this.#transcriptWall !== undefined
            ? wall - this.#transcriptWall
            : undefined,
        };
        this.#intentWall = wall;
        break;
      }
      case "publish": {
        c.publishes[e.queued ? "queued" : "sent"]++;
        s.last.publish = {
          event: e,
          at,
          sinceIntentWallMs: this.#intentWall !== undefined ? wall - this.#intentWall : undefined,
          sinceWakeWallMs: s.last.intent?.event.origin === "asr" && this.#wakeWall !== undefined
            ? wall - this.#wakeWall
            : undefined,
        };
        const d = (s.devices[e.device] ??= {});
        d.lastCommand = { topic: e.topic, payload: e.payload, queued: e.queued, t: e.t, at };
        d.confirmed = undefined;
        break;
      }
      case "confirm": {
        c.confirms[e.confirmed ? "confirmed" : "failed"]++;
        s.last.confirm = { event: e, at };
        const d = (s.devices[e.device] ??= {});
        d.confirmed = e.confirmed;
        d.latencyMs = e.latencyMs;
        if (e.state) d.state = e.state;
        d.reason = e.reason;
        break;
      }
      case "error":
        bump(c.errors, e.stage);
        s.last.error = { event: e, at };
        break;
    }
  }

  /**
   * The audio source as events describe it: its last source event and the wall
   * time (ms) of the latest audio-driven event (level, vad, source).
   */
  audio(): { source?: SourceEvent; lastAudioAt?: number } {
    return { source: this.#state.source?.event, lastAudioAt: this.#audioWall };
  }

  /** A deep copy of the collected state. */
  snapshot(): CollectedStatus {
    return structuredClone(this.#state);
  }

  /** Stop listening to the bus. */
  close(): void {
    this.#off();
  }
}

const SECRET_KEYS =
  /^(password|passwd|pass|token|secret|apikey|api_key|authorization|privatekey)$/i;

/** Remove `user:password@` from every URL in a text (see core/secrets.ts). */
export { redactUrl };

/**
 * Deep copy of a value with secret-named keys removed and credentials stripped
 * from URLs, so nothing the status shows can leak a password or token.
 */
export function sanitize(value: unknown): unknown {
  if (typeof value === "string") return redactUrl(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEYS.test(k) || v === undefined) continue;
      out[k] = sanitize(v);
    }
    return out;
  }
  return value;
}

/** The full `/api/status` document. */
export interface StatusDocument extends Omit<CollectedStatus, "source"> {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  audio: Record<string, unknown>;
  models: ModelInfo[];
  mqtt: MqttInfo | null;
  [key: string]: unknown;
}

/**
 * Combine the collector with the supplied info into the status document.
 * Device entries merge registry info with what the events said.
 */
export function buildStatus(
  collector: StatusCollector,
  info: StatusInfo,
  meta: { version: string; startedAt: number; now?: number },
): StatusDocument {
  const collected = collector.snapshot();
  const { source, ...rest } = collected;
  const devices: Record<string, DeviceStatus> = {};
  for (const [name, d] of Object.entries(info.devices ?? {})) devices[name] = { ...d };
  for (const [name, d] of Object.entries(collected.devices)) {
    devices[name] = { ...devices[name], ...d };
  }
  const now = meta.now ?? Date.now();
  const doc = {
    version: meta.version,
    startedAt: new Date(meta.startedAt).toISOString(),
    uptimeSeconds: Math.round((now - meta.startedAt) / 100) / 10,
    audio: {
      ...info.audio,
      ...(source
        ? {
          state: source.event.state,
          source: source.event.source,
          reason: source.event.reason,
          since: source.at,
        }
        : {}),
    },
    models: info.models ?? [],
    mqtt: info.mqtt ?? null,
    remote: info.remote ?? null,
    answers: info.answers ?? null,
    ...rest,
    devices,
  };
  return sanitize(doc) as StatusDocument;
}
