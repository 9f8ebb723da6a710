/**
 * The offline command queue: while the broker is unreachable commands wait
 * here with their creation time. On reconnect each is taken exactly once:
 * delivered if younger than the expiry, dropped (and reported) if stale.
 * Pure: the clock is passed in.
 * @module
 */

/** A queued message. */
export interface QueuedMessage<T = unknown> {
  topic: string;
  payload: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Wall-clock ms when it was queued. */
  queuedAt: number;
  /** Caller data (e.g. the command that produced it). */
  meta?: T;
}

/** Result of {@link OfflineQueue.drain}. */
export interface Drained<T> {
  fresh: QueuedMessage<T>[];
  stale: QueuedMessage<T>[];
}

/** FIFO with expiry and a size cap (the oldest entries overflow as stale). */
export class OfflineQueue<T = unknown> {
  #items: QueuedMessage<T>[] = [];
  #overflow: QueuedMessage<T>[] = [];

  constructor(readonly expiryMs: number, readonly maxItems = 1000) {
    if (!(expiryMs >= 0)) throw new RangeError(`queue expiry must be >= 0, got ${expiryMs}`);
    if (!(maxItems >= 1)) throw new RangeError(`queue size must be >= 1, got ${maxItems}`);
  }

  /** Number of messages waiting. */
  get length(): number {
    return this.#items.length;
  }

  /** Add a message; beyond maxItems the oldest one is moved to the stale pile. */
  push(msg: QueuedMessage<T>): void {
    this.#items.push(msg);
    while (this.#items.length > this.maxItems) this.#overflow.push(this.#items.shift()!);
  }

  /** Take everything out: fresh ones (age <= expiry) in order, stale ones to report. */
  drain(now: number): Drained<T> {
    const fresh: QueuedMessage<T>[] = [];
    const stale: QueuedMessage<T>[] = this.#overflow;
    this.#overflow = [];
    for (const m of this.#items) (now - m.queuedAt <= this.expiryMs ? fresh : stale).push(m);
    this.#items = [];
    return { fresh, stale };
  }

  /** Remove and return the messages that are already stale (for periodic reporting). */
  expire(now: number): QueuedMessage<T>[] {
    const stale = this.#overflow;
    this.#overflow = [];
    this.#items = this.#items.filter((m) => {
      if (now - m.queuedAt > this.expiryMs) {
        stale.push(m);
        return false;
      }
      return true;
    });
    return stale;
  }

  /** A copy of the waiting messages (for status). */
  peek(): QueuedMessage<T>[] {
    return [...this.#items];
  }
}
