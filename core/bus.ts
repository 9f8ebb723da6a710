/**
 * A tiny typed publish/subscribe hub: stages emit {@link EarshotEvent}s, sinks
 * (JSON lines, SSE, metrics, MQTT) subscribe. A throwing sink is isolated and
 * reported once per listener so one bad sink never stops the pipeline.
 * @module
 */
import type { EarshotEvent, EventType } from "./events.ts";
import { redactUrl } from "./secrets.ts";

/** Error and source events carry free text (library messages with URLs): never a password. */
function redacted(event: EarshotEvent): EarshotEvent {
  if (event.type === "error") {
    const message = redactUrl(event.message);
    return message === event.message ? event : { ...event, message };
  }
  if (event.type === "source" && event.reason !== undefined) {
    const reason = redactUrl(event.reason);
    return reason === event.reason ? event : { ...event, reason };
  }
  return event;
}

/** A listener for events. */
export type Listener = (event: EarshotEvent) => void;

/** Options of {@link EventBus}. */
export interface BusOptions {
  /**
   * Wall-clock milliseconds (e.g. `Date.now`): when given, every event emitted without `at`
   * gets `at`, the ISO time of its emission (an event forwarded from another bus keeps its own).
   */
  clock?: () => number;
}

/**
 * Typed event hub shared by stages and sinks.
 * @example
 * ```ts
 * const bus = new EventBus({ clock: Date.now });
 * bus.on((e) => console.log(e.type, e.t, e.at)); // "vad" 1.2 "2026-12-03T06:20:00.000Z"
 * bus.emit({ type: "vad", t: 1.2, state: "start", sample: 19200, probability: 0.9 });
 * ```
 */
export class EventBus {
  #listeners = new Set<Listener>();
  #failed = new WeakSet<Listener>();
  #clock?: () => number;

  constructor(options: BusOptions = {}) {
    this.#clock = options.clock;
  }

  /** Subscribe; returns the function that unsubscribes. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribe to one event type only. */
  onType<T extends EventType>(
    type: T,
    listener: (event: Extract<EarshotEvent, { type: T }>) => void,
  ): () => void {
    return this.on((e) => {
      if (e.type === type) listener(e as Extract<EarshotEvent, { type: T }>);
    });
  }

  /**
   * Deliver an event to every listener, in subscription order (credentials in
   * URLs of error and source texts are removed first; a bus with a clock stamps `at`
   * on the event itself, so listeners that track events by identity still find it).
   */
  emit(event: EarshotEvent): void {
    event = redacted(event);
    if (this.#clock && event.at === undefined) event.at = new Date(this.#clock()).toISOString();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        if (!this.#failed.has(listener)) {
          this.#failed.add(listener);
          console.error(`earshot: an event listener threw: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Number of subscribers (for tests and status). */
  get size(): number {
    return this.#listeners.size;
  }
}
