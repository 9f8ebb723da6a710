/**
 * Server-Sent Events hub: one bus subscription fanned out to every connected
 * client. Each event gets a sequential id; the last non-level events stay in a
 * ring buffer so a reconnecting client (`Last-Event-ID`) or a new one
 * (`?replay=N`) catches up. Every client has a bounded queue: when it falls
 * behind, `level` events are dropped first, and a client that still cannot
 * keep up is told (`event: overflow`) and disconnected instead of growing
 * memory. Keep-alive comments run only while clients are connected.
 *
 * The data of every message is one event exactly as the CLI prints it as a
 * JSON line.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import { type Config, DEFAULTS } from "../core/config.ts";
import type { EarshotEvent, EventType } from "../core/events.ts";

/** Every event type, for validating `?types=`. */
export const EVENT_TYPES: readonly EventType[] = [
  "source",
  "vad",
  "level",
  "wake",
  "transcript",
  "intent",
  "publish",
  "confirm",
  "error",
];

/** Tunables of the hub. */
export interface SseOptions {
  /** Non-level events kept for replay. */
  replayBuffer: number;
  /** Messages queued per client before level events are dropped. */
  clientQueue: number;
  /** Messages queued per client before it is disconnected (must exceed clientQueue). */
  clientQueueMax: number;
  /** Most simultaneous clients. */
  maxClients: number;
  /** Interval of keep-alive comments, ms. */
  keepAliveMs: number;
  /** Reconnect delay suggested to EventSource clients, ms. */
  retryMs: number;
}

/** The hub's settings from a configuration's `api` section. */
export function sseOptions(config: Pick<Config, "api">): SseOptions {
  const c = config.api;
  return {
    replayBuffer: c.sseReplayBuffer,
    clientQueue: c.sseClientQueue,
    clientQueueMax: c.sseClientQueueMax,
    maxClients: c.sseMaxClients,
    keepAliveMs: c.sseKeepAliveMs,
    retryMs: c.sseRetryMs,
  };
}

/** Defaults (the config schema's): a few minutes of events, ~10 s of levels per client. */
export const SSE_DEFAULTS: SseOptions = sseOptions(DEFAULTS);

/** What one client asked for. */
export interface SubscribeOptions {
  /** Only these types (all when undefined). */
  types?: Set<string>;
  /** Replay buffered events with an id above this one. */
  lastEventId?: number;
  /** Replay the newest N buffered events (ignored when lastEventId is given). */
  replay?: number;
}

/** The hub is full. */
export class TooManyClientsError extends Error {
  override name = "TooManyClientsError";
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  types?: Set<string>;
  closed: boolean;
}

const encoder = new TextEncoder();

/** Format one event as an SSE message. */
export function formatSse(id: number, event: EarshotEvent): string {
  return `id: ${id}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Fans bus events out to SSE clients. */
export class SseHub {
  readonly options: SseOptions;
  #clients = new Set<Client>();
  #ring: { id: number; event: EarshotEvent }[] = [];
  #nextId = 1;
  #off: () => void;
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  /** Called with the number of messages dropped for a slow client. */
  onDrop?: (count: number) => void;

  constructor(bus: EventBus, options: Partial<SseOptions> = {}) {
    this.options = { ...SSE_DEFAULTS, ...options };
    if (this.options.clientQueueMax <= this.options.clientQueue) {
      this.options.clientQueueMax = this.options.clientQueue * 2;
    }
    this.#off = bus.on((e) => this.#publish(e));
  }

  /** Connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Id the next event will get (ids start at 1). */
  get nextId(): number {
    return this.#nextId;
  }

  #publish(event: EarshotEvent): void {
    const id = this.#nextId++;
    if (event.type !== "level") {
      this.#ring.push({ id, event });
      if (this.#ring.length > this.options.replayBuffer) this.#ring.shift();
    }
    if (!this.#clients.size) return;
    const text = formatSse(id, event);
    for (const client of this.#clients) {
      if (client.types && !client.types.has(event.type)) continue;
      this.#send(client, text, event.type === "level");
    }
  }

  #send(client: Client, text: string, droppable: boolean): void {
    if (client.closed) return;
    const queued = this.options.clientQueue - (client.controller.desiredSize ?? 0);
    if (droppable && queued >= this.options.clientQueue) {
      this.onDrop?.(1);
      return;
    }
    if (queued >= this.options.clientQueueMax) {
      this.onDrop?.(1);
      try {
        client.controller.enqueue(
          encoder.encode(`event: overflow\ndata: {"reason":"client too slow"}\n\n`),
        );
      } catch { /* already closed */ }
      this.#drop(client, true);
      return;
    }
    try {
      client.controller.enqueue(encoder.encode(text));
    } catch {
      this.#drop(client, false);
    }
  }

  #drop(client: Client, close: boolean): void {
    if (client.closed) return;
    client.closed = true;
    this.#clients.delete(client);
    if (close) {
      try {
        client.controller.close();
      } catch { /* already closed or errored */ }
    }
    this.#updateTimer();
  }

  #updateTimer(): void {
    if (this.#clients.size && this.#timer === undefined) {
      this.#timer = setInterval(() => {
        for (const c of this.#clients) this.#send(c, ": keep-alive\n\n", false);
      }, this.options.keepAliveMs);
    } else if (!this.#clients.size && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Open a stream for one client. Throws {@link TooManyClientsError} when full.
   * Cancelling the stream (the client went away) unsubscribes it.
   */
  subscribe(options: SubscribeOptions = {}): ReadableStream<Uint8Array> {
    if (this.#closed) throw new TooManyClientsError("the event stream is shutting down");
    if (this.#clients.size >= this.options.maxClients) {
      throw new TooManyClientsError(
        `too many event stream clients (${this.options.maxClients}); close one and retry`,
      );
    }
    let client!: Client;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = { controller, types: options.types, closed: false };
        controller.enqueue(encoder.encode(`retry: ${this.options.retryMs}\n: connected\n\n`));
        for (const { id, event } of this.#replay(options)) {
          if (!client.types || client.types.has(event.type)) {
            controller.enqueue(encoder.encode(formatSse(id, event)));
          }
        }
        this.#clients.add(client);
        this.#updateTimer();
      },
      cancel: () => {
        this.#drop(client, false);
      },
    }, new CountQueuingStrategy({ highWaterMark: this.options.clientQueue }));
  }

  #replay(options: SubscribeOptions): { id: number; event: EarshotEvent }[] {
    const last = options.lastEventId;
    if (last !== undefined) {
      // An id from before a restart (above anything issued): the client missed everything.
      if (last >= this.#nextId) return this.#ring.slice();
      return this.#ring.filter((r) => r.id > last);
    }
    if (options.replay && options.replay > 0) return this.#ring.slice(-options.replay);
    return [];
  }

  /** Close every client stream and stop listening to the bus. */
  close(): void {
    this.#closed = true;
    this.#off();
    for (const c of [...this.#clients]) this.#drop(c, true);
    this.#updateTimer();
  }
}
