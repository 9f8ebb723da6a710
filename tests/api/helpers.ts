/**
 * Shared pieces of the API tests: small WAV files, a sample event sequence,
 * an SSE reader and app builders.
 * @module
 */
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { encodeWav } from "../../audio/wav.ts";
import { type ApiDeps, createApp } from "../../api/app.ts";

/** A token long enough for the API. */
export const TOKEN = "test-token-0123456789abcdef";

/** Bearer header for {@link TOKEN}. */
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

/** A 16 kHz mono 16-bit WAV of a 440 Hz tone. */
export function toneWav(seconds = 0.5, rate = 16000): Uint8Array<ArrayBuffer> {
  const n = Math.round(seconds * rate);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate);
  return encodeWav(samples, rate) as Uint8Array<ArrayBuffer>;
}

/** One utterance as the pipeline reports it: wake, transcript, intent, publish, confirm. */
export function utteranceEvents(): EarshotEvent[] {
  return [
    { type: "source", t: 0, state: "started", source: "upload" },
    { type: "level", t: 0.1, db: -40, vad: 0.1, wake: { hey_computer: 0.05 } },
    { type: "vad", t: 0.5, state: "start", sample: 8000, probability: 0.9 },
    { type: "level", t: 0.6, db: -20, vad: 0.95, wake: { hey_computer: 0.8 } },
    {
      type: "wake",
      t: 0.9,
      model: "hey_computer",
      phrase: "hey computer",
      score: 0.82,
      sample: 14400,
    },
    {
      type: "transcript",
      t: 2.35,
      text: "turn on the kitchen light",
      confidence: 0.91,
      start: 1.1,
      end: 2.2,
      decodeMs: 12.5,
      alternatives: [],
      rejected: false,
    },
    {
      type: "intent",
      t: 2.35,
      name: "TurnOn",
      slots: { device: "kitchen_light" },
      confidence: 0.91,
      text: "turn on the kitchen light",
      origin: "asr",
    },
    {
      type: "publish",
      t: 2.35,
      device: "kitchen_light",
      topic: "zigbee2mqtt/kitchen/ceiling/set",
      payload: '{"state":"ON"}',
      qos: 1,
      queued: false,
    },
    {
      type: "confirm",
      t: 2.35,
      device: "kitchen_light",
      confirmed: true,
      latencyMs: 42,
      state: { state: "ON" },
    },
    { type: "vad", t: 2.4, state: "end", sample: 38400, probability: 0.2 },
    { type: "source", t: 3, state: "ended", source: "upload" },
  ];
}

/** Emit events on the bus and return them, like a pipeline run does. */
export function emitAll(bus: EventBus, events: EarshotEvent[]): EarshotEvent[] {
  for (const e of events) bus.emit(e);
  return events;
}

/** A fresh bus and app with the test token; override any dependency. */
export function makeApp(overrides: Partial<ApiDeps> = {}) {
  const bus = overrides.bus ?? new EventBus();
  const errors: string[] = [];
  const api = createApp({
    bus,
    token: TOKEN,
    version: "1.2.3-test",
    logError: (m) => errors.push(m),
    ...overrides,
  });
  return { bus, api, app: api.app, errors };
}

/** Reads SSE messages from a byte stream. */
export class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next raw block (up to a blank line), comments included; null at the end. */
  async nextBlock(): Promise<string | null> {
    while (true) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return block;
      }
      const { done, value } = await this.#reader.read();
      if (done) return null;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The next data message as { id, event, data }, skipping comments; null at the end. */
  async next(): Promise<{ id?: number; event?: string; data: unknown } | null> {
    while (true) {
      const block = await this.nextBlock();
      if (block === null) return null;
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const i = line.indexOf(":");
        if (i < 0) continue;
        fields[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, "");
      }
      if (fields.data === undefined) continue;
      return {
        id: fields.id ? Number(fields.id) : undefined,
        event: fields.event,
        data: JSON.parse(fields.data),
      };
    }
  }

  /** Stop reading (the server sees the client go away). */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}
