/**
 * The MQTT link: one client to the broker with birth/last-will availability,
 * reconnect with exponential backoff, re-subscription after every reconnect,
 * and an offline queue with expiry. A command is written to the broker at most
 * once: queued ones are sent once after reconnect (if fresh) or dropped and
 * reported (if stale); one in flight when the connection drops is reported,
 * never resent. While commands wait, reconnect attempts come at least every
 * `queueRetryMs`, and a command's age is judged at the start of the attempt
 * that reached the broker, so a broker back before the expiry gets it. The
 * queue is saved to `queueFile` when the link closes while offline and loaded
 * by the next link to the same broker and client (see {@link loadQueueFile}).
 * @module
 */
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import { ConfigError } from "../core/config.ts";
import { OfflineQueue, type QueuedMessage } from "./queue.ts";

/** Connection states. */
export type LinkState = "connecting" | "connected" | "offline" | "closed";

/** Options of {@link MqttLink}. */
export interface LinkOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** TLS file paths (mqtts:// and wss://) and certificate checking. */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  /** Availability topic: "online" (retained) on connect, "offline" as last will and on close. */
  availabilityTopic?: string;
  /** Offline queue expiry and size. */
  queueExpiryMs?: number;
  queueMax?: number;
  /** While commands wait in the queue, reconnect at least this often (ms, default 1000). */
  queueRetryMs?: number;
  /**
   * Where the queue is saved on close while offline and loaded from on connect
   * (commands saved for another broker URL or site are not sent).
   */
  queueFile?: string;
  /** Which satellite saved a queue file (only the same site sends it). */
  siteId?: string;
  /** One-line notes: queue restored, saved, expired, unreadable file. */
  log?: (message: string) => void;
  /** Reconnect backoff: first delay, doubling up to the cap. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  connectTimeoutMs?: number;
  /** Wall clock (tests). */
  now?: () => number;
  /** Called on state changes and errors (for status and error events). */
  onState?: (state: LinkState, error?: string) => void;
}

/** What happened to one published message. */
export type Delivery =
  | { status: "sent"; latencyMs: number; queuedMs: number }
  | { status: "dropped"; reason: string; queuedMs: number };

/** What {@link MqttLink.publish} did with a message. */
export interface PublishResult {
  /** True when the broker is down and the message waits in the offline queue. */
  queued: boolean;
  /** 1-based place in the offline queue (queued only). */
  position?: number;
  /** Wall-clock ms when it expires unsent (queued only). */
  expiresAt?: number;
}

/** Per-message options. */
export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  /** Queue while offline (default true); false drops immediately when offline. */
  queue?: boolean;
  /** Called once when the broker acknowledged it or it was given up. */
  onDone?: (d: Delivery) => void;
}

/** Link status for the status API. */
export interface LinkStatus {
  url: string;
  state: LinkState;
  connectedSince?: string;
  reconnects: number;
  nextRetryMs?: number;
  lastError?: string;
  queued: number;
  sent: number;
  /** Commands given up (stale in the queue, lost in flight, closed). */
  dropped: number;
  /** Unqueued messages (events, refreshes) skipped while offline. */
  skipped: number;
  /** Commands restored from the queue file at start. */
  restored: number;
}

type Handler = (topic: string, payload: string) => void;

/** Whether an MQTT topic filter (with + and #) matches a topic. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return i < t.length || (i === t.length && i > 0);
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Read a TLS file or throw an error naming the option and file. */
async function readTls(option: string, path?: string): Promise<Uint8Array | undefined> {
  if (!path) return undefined;
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new ConfigError(`mqtt.${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

interface Meta {
  onDone?: (d: Delivery) => void;
  /** Commands (queueable) count as dropped when lost; events count as skipped. */
  command: boolean;
}

/** One MQTT connection with queueing and reconnects. Create with {@link MqttLink.connect}. */
export class MqttLink {
  #client!: MqttClient;
  #opts: LinkOptions;
  #state: LinkState = "connecting";
  #queue: OfflineQueue<Meta>;
  #subs = new Map<string, Set<Handler>>();
  #inflight = new Set<{ done: boolean; fail: (reason: string) => void }>();
  #attempt = 0;
  #timer?: ReturnType<typeof setTimeout>;
  /** When the pending reconnect attempt is due (wall ms). */
  #timerDue = 0;
  /** When the current (or last) connection attempt started (wall ms). */
  #attemptStartedAt = 0;
  #restored = 0;
  #expiryTimer?: ReturnType<typeof setInterval>;
  #nextRetryMs?: number;
  #reconnects = 0;
  #connectedSince?: number;
  #lastError?: string;
  #sent = 0;
  #dropped = 0;
  #skipped = 0;
  #closing = false;
  #connectWaiters: Array<() => void> = [];
  /** Resolved with true on the first connect, false on the first failed attempt. */
  #firstAttempt: Promise<boolean>;
  #settleFirst!: (connected: boolean) => void;
  #now: () => number;

  private constructor(opts: LinkOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#queue = new OfflineQueue<Meta>(opts.queueExpiryMs ?? 30000, opts.queueMax ?? 1000);
    this.#firstAttempt = new Promise((r) => (this.#settleFirst = r));
  }

  /**
   * Create the link and start connecting (does not wait for the broker: a
   * broker that is down at start is retried with backoff while commands queue).
   */
  static async connect(opts: LinkOptions): Promise<MqttLink> {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new ConfigError(`mqtt.url: invalid URL ${JSON.stringify(opts.url)}`);
    }
    if (!["mqtt:", "mqtts:", "ws:", "wss:", "tcp:", "ssl:", "tls:"].includes(url.protocol)) {
      throw new ConfigError(
        `mqtt.url: unsupported protocol "${url.protocol}" (mqtt, mqtts, ws, wss)`,
      );
    }
    const link = new MqttLink(opts);
    if (opts.queueFile) await link.#restore(opts.queueFile);
    const [ca, cert, key] = await Promise.all([
      readTls("ca", opts.ca),
      readTls("cert", opts.cert),
      readTls("key", opts.key),
    ]);
    const options: IClientOptions = {
      clientId: opts.clientId ?? `earshot_${crypto.randomUUID().slice(0, 8)}`,
      username: opts.username,
      password: opts.password,
      reconnectPeriod: 0,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      clean: true,
      resubscribe: false,
      ca: ca ? [new TextDecoder().decode(ca)] : undefined,
      cert: cert ? new TextDecoder().decode(cert) : undefined,
      key: key ? new TextDecoder().decode(key) : undefined,
      rejectUnauthorized: opts.rejectUnauthorized ?? true,
      will: opts.availabilityTopic
        ? { topic: opts.availabilityTopic, payload: "offline", qos: 1, retain: true }
        : undefined,
    };
    link.#attemptStartedAt = link.#now();
    link.#client = connect(opts.url, options);
    link.#wire();
    link.#expiryTimer = setInterval(() => link.#reportExpired(), 1000);
    return link;
  }

  #setState(state: LinkState, error?: string) {
    if (error) this.#lastError = error;
    if (state === this.#state && !error) return;
    this.#state = state;
    this.#opts.onState?.(state, error);
  }

  #wire() {
    const c = this.#client;
    c.on("connect", () => {
      // Commands are tiny: send at once rather than wait for Nagle + delayed ACK (~40 ms).
      (c.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.#attempt = 0;
      this.#nextRetryMs = undefined;
      this.#connectedSince = this.#now();
      this.#setState("connected");
      this.#settleFirst(true);
      if (this.#opts.availabilityTopic) {
        c.publish(this.#opts.availabilityTopic, "online", { qos: 1, retain: true });
      }
      const filters = [...this.#subs.keys()];
      if (filters.length) c.subscribe(filters, { qos: 1 });
      this.#flush();
      for (const w of this.#connectWaiters.splice(0)) w();
    });
    c.on("message", (topic, payload) => {
      const text = new TextDecoder().decode(payload);
      for (const [filter, handlers] of this.#subs) {
        if (!topicMatches(filter, topic)) continue;
        for (const h of handlers) {
          try {
            h(topic, text);
          } catch (err) {
            this.#setState(this.#state, `handler for ${topic} threw: ${(err as Error).message}`);
          }
        }
      }
    });
    c.on("error", (err) => {
      this.#lastError = err.message;
      this.#opts.onState?.(this.#state, err.message);
    });
    c.on("close", () => {
      // A late close of an earlier stream while a newer connection is up: nothing to do.
      if (this.#client.connected) return;
      for (const f of [...this.#inflight]) {
        f.fail(
          "connection lost before the broker acknowledged it; not resent so it cannot fire twice",
        );
      }
      this.#settleFirst(false);
      if (this.#closing) return;
      this.#connectedSince = undefined;
      this.#setState("offline");
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect() {
    if (this.#timer || this.#closing) return;
    const min = this.#opts.backoffMinMs ?? 500;
    const max = this.#opts.backoffMaxMs ?? 30000;
    let delay = Math.min(max, min * 2 ** this.#attempt);
    // Commands waiting: never sleep past the broker's return for long.
    if (this.#queue.length) delay = Math.min(delay, this.#retryMs);
    this.#attempt++;
    this.#arm(delay);
  }

  get #retryMs(): number {
    return this.#opts.queueRetryMs ?? 1000;
  }

  #arm(delay: number) {
    clearTimeout(this.#timer);
    this.#nextRetryMs = delay;
    this.#timerDue = this.#now() + delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closing || this.#client.connected) return;
      this.#reconnects++;
      this.#attemptStartedAt = this.#now();
      this.#setState("connecting");
      this.#client.reconnect();
    }, delay);
  }

  /** A command was queued: bring a long backoff sleep forward to queueRetryMs. */
  #hurry() {
    if (this.#timer && this.#timerDue - this.#now() > this.#retryMs) this.#arm(this.#retryMs);
  }

  /** The time a queued message's age is judged at: the start of a connection attempt under way. */
  #expiryClock(): number {
    return this.#state === "connecting"
      ? Math.min(this.#now(), this.#attemptStartedAt)
      : this.#now();
  }

  #flush() {
    // The broker was back when the attempt that reached it started.
    const { fresh, stale } = this.#queue.drain(Math.min(this.#now(), this.#attemptStartedAt));
    for (const m of stale) this.#drop(m, "expired in the offline queue");
    for (const m of fresh) this.#send(m);
  }

  #reportExpired() {
    for (const m of this.#queue.expire(this.#expiryClock())) {
      this.#drop(m, "expired in the offline queue");
    }
  }

  #drop(m: QueuedMessage<Meta>, reason: string) {
    if (m.meta?.command === false) this.#skipped++;
    else this.#dropped++;
    m.meta?.onDone?.({ status: "dropped", reason, queuedMs: this.#now() - m.queuedAt });
  }

  #send(m: QueuedMessage<Meta>) {
    const started = this.#now();
    const entry = {
      done: false,
      fail: (reason: string) => {
        if (entry.done) return;
        entry.done = true;
        this.#inflight.delete(entry);
        this.#drop(m, reason);
      },
    };
    this.#inflight.add(entry);
    this.#client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
      if (entry.done) return;
      if (err) return entry.fail(`publish failed: ${err.message}`);
      entry.done = true;
      this.#inflight.delete(entry);
      this.#sent++;
      m.meta?.onDone?.({
        status: "sent",
        latencyMs: this.#now() - started,
        queuedMs: started - m.queuedAt,
      });
    });
  }

  /**
   * Publish now when connected, else queue (or drop when `queue: false`).
   * Returns whether the message waits in the offline queue.
   */
  publish(topic: string, payload: string, opts: PublishOptions = {}): PublishResult {
    const m: QueuedMessage<Meta> = {
      topic,
      payload,
      qos: opts.qos ?? 1,
      retain: opts.retain ?? false,
      queuedAt: this.#now(),
      meta: { onDone: opts.onDone, command: opts.queue !== false },
    };
    if (this.#state === "closed") {
      this.#drop(m, "the MQTT link is closed");
      return { queued: false };
    }
    if (this.#state === "connected" && this.#client.connected) {
      this.#send(m);
      return { queued: false };
    }
    if (opts.queue === false) {
      this.#drop(m, "broker offline");
      return { queued: false };
    }
    this.#queue.push(m);
    this.#hurry();
    return {
      queued: true,
      position: this.#queue.length,
      expiresAt: m.queuedAt + this.#queue.expiryMs,
    };
  }

  /** Load a saved queue: fresh commands wait for the broker, expired ones are dropped. */
  async #restore(file: string): Promise<void> {
    const log = this.#opts.log ?? (() => {});
    const loaded = await loadQueueFile(file);
    if (loaded.kind === "missing") return;
    if (loaded.kind === "bad") {
      const aside = `${file}.bad`;
      const moved = await Deno.rename(file, aside).then(() => true, () => false);
      log(
        `mqtt: ignoring the offline queue file ${file}: ${loaded.message}` +
          (moved ? `; moved to ${aside}` : ""),
      );
      return;
    }
    await Deno.remove(file).catch((err) =>
      log(`mqtt: cannot remove ${file} after loading it: ${(err as Error).message}`)
    );
    const q = loaded.queue;
    const broker = redact(this.#opts.url);
    if (q.broker !== broker || (q.siteId ?? null) !== (this.#opts.siteId ?? null)) {
      log(
        `mqtt: ${file}: ${q.messages.length} queued command(s) were saved for ${q.broker} ` +
          `(site ${q.siteId ?? "-"}), not ${broker} (site ${this.#opts.siteId ?? "-"}); not sent`,
      );
      return;
    }
    const now = this.#now();
    let expired = 0;
    for (const m of q.messages) {
      if (now - m.queuedAt > this.#queue.expiryMs) {
        expired++;
        this.#dropped++;
        continue;
      }
      this.#queue.push({ ...m, meta: { command: true } });
      this.#restored++;
    }
    const skipped = loaded.skipped.length
      ? `; ${loaded.skipped.length} malformed entr${
        loaded.skipped.length === 1 ? "y" : "ies"
      } skipped (${loaded.skipped.slice(0, 3).join("; ")})`
      : "";
    log(
      `mqtt: restored ${this.#restored} queued command(s) from ${file} (saved ${
        Math.round((now - q.savedAt) / 1000)
      } s ago); ${expired} expired (older than mqtt.queueExpiryMs ${this.#queue.expiryMs} ms) ` +
        `and dropped${skipped}`,
    );
  }

  /** Subscribe a handler to a topic filter; returns the unsubscribe function. */
  subscribe(filter: string, handler: Handler): () => void {
    let set = this.#subs.get(filter);
    if (!set) {
      set = new Set();
      this.#subs.set(filter, set);
      if (this.#state === "connected") this.#client.subscribe(filter, { qos: 1 });
    }
    set.add(handler);
    return () => {
      const s = this.#subs.get(filter);
      if (!s) return;
      s.delete(handler);
      if (!s.size) {
        this.#subs.delete(filter);
        if (this.#state === "connected") this.#client.unsubscribe(filter);
      }
    };
  }

  /** Resolve when connected (or reject after `timeoutMs`). */
  waitConnected(timeoutMs = 5000): Promise<void> {
    if (this.#state === "connected") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#connectWaiters.indexOf(done);
        if (i >= 0) this.#connectWaiters.splice(i, 1);
        reject(
          new Error(
            `MQTT: not connected to ${this.#opts.url} after ${timeoutMs} ms: ${
              this.#lastError ?? ""
            }`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#connectWaiters.push(done);
    });
  }

  /**
   * Resolve true once connected, or false once the first connection attempt
   * failed (commands then queue) or `timeoutMs` passed. Never rejects.
   */
  settled(timeoutMs = 5000): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout>;
    const timeout = new Promise<boolean>((
      r,
    ) => (timer = setTimeout(() => r(this.#state === "connected"), timeoutMs)));
    return Promise.race([this.#firstAttempt, timeout]).finally(() => clearTimeout(timer));
  }

  /** Current state. */
  get state(): LinkState {
    return this.#state;
  }

  /** Status for the API. */
  status(): LinkStatus {
    return {
      url: redact(this.#opts.url),
      state: this.#state,
      connectedSince: this.#connectedSince
        ? new Date(this.#connectedSince).toISOString()
        : undefined,
      reconnects: this.#reconnects,
      nextRetryMs: this.#state === "offline" ? this.#nextRetryMs : undefined,
      lastError: this.#lastError,
      queued: this.#queue.length,
      sent: this.#sent,
      dropped: this.#dropped,
      skipped: this.#skipped,
      restored: this.#restored,
    };
  }

  /** Publish "offline" (retained), disconnect, report queued messages as dropped. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#closing = true;
    clearTimeout(this.#timer);
    clearInterval(this.#expiryTimer);
    const { fresh, stale } = this.#queue.drain(this.#now());
    for (const m of stale) this.#drop(m, "expired in the offline queue");
    const file = this.#opts.queueFile;
    let saved = false;
    if (fresh.length && file) {
      try {
        await saveQueueFile(file, fresh, {
          broker: redact(this.#opts.url),
          siteId: this.#opts.siteId,
          savedAt: this.#now(),
        });
        saved = true;
        this.#opts.log?.(
          `mqtt: the broker is down: ${fresh.length} queued command(s) saved to ${file}; ` +
            `the next start sends those still within mqtt.queueExpiryMs (${this.#queue.expiryMs} ms)`,
        );
      } catch (err) {
        this.#opts.log?.(
          `mqtt: cannot save the offline queue to ${file}: ${(err as Error).message}; ` +
            `${fresh.length} queued command(s) dropped`,
        );
      }
    }
    for (const m of fresh) {
      if (saved) {
        m.meta?.onDone?.({
          status: "dropped",
          reason:
            `earshot stopped before the broker came back; saved to ${file} for the next start`,
          queuedMs: this.#now() - m.queuedAt,
        });
      } else this.#drop(m, "earshot stopped before the broker came back");
    }
    const c = this.#client;
    if (c.connected && this.#opts.availabilityTopic) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        c.publish(this.#opts.availabilityTopic!, "offline", { qos: 1, retain: true }, () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        c.end(true);
        r();
      }, 1000);
      c.end(false, {}, () => {
        clearTimeout(t);
        r();
      });
    });
    for (const f of [...this.#inflight]) f.fail("earshot stopped");
    this.#setState("closed");
  }
}

/** Hide a password in a URL. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** A saved offline queue (the queue file's contents). */
export interface SavedQueue {
  format: "earshot-offline-queue";
  version: 1;
  /** The broker URL (password hidden) and site that saved it. */
  broker: string;
  siteId?: string;
  /** Wall-clock ms when it was saved. */
  savedAt: number;
  messages: Array<Pick<QueuedMessage, "topic" | "payload" | "qos" | "retain" | "queuedAt">>;
}

/** What {@link loadQueueFile} found. */
export type LoadedQueue =
  | { kind: "missing" }
  | { kind: "bad"; message: string }
  | { kind: "ok"; queue: SavedQueue; skipped: string[] };

/** Write the queue file (mode 0600, via a temporary file and a rename). */
export async function saveQueueFile(
  file: string,
  messages: QueuedMessage[],
  info: { broker: string; siteId?: string; savedAt: number },
): Promise<void> {
  const doc: SavedQueue = {
    format: "earshot-offline-queue",
    version: 1,
    broker: info.broker,
    ...(info.siteId !== undefined ? { siteId: info.siteId } : {}),
    savedAt: info.savedAt,
    messages: messages.map(({ topic, payload, qos, retain, queuedAt }) => ({
      topic,
      payload,
      qos,
      retain,
      queuedAt,
    })),
  };
  const i = file.lastIndexOf("/");
  if (i > 0) await Deno.mkdir(file.slice(0, i), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(doc) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, file);
}

/**
 * Read and check a queue file: "missing" when there is none, "bad" (with the
 * reason) when it is not a queue file at all, else the queue with the
 * malformed entries left out and named. Never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * assert.equal((await loadQueueFile(`${dir}/queue.json`)).kind, "missing"); // nothing saved yet
 * await Deno.writeTextFile(`${dir}/queue.json`, "{not json");
 * const bad = await loadQueueFile(`${dir}/queue.json`);
 * assert.equal(bad.kind, "bad"); // the message says why; the link starts with an empty queue
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadQueueFile(file: string): Promise<LoadedQueue> {
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) return { kind: "bad", message: "not a regular file" };
    if (info.size > 64 * 1024 * 1024) {
      return { kind: "bad", message: `too large (${info.size} bytes)` };
    }
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { kind: "missing" };
    return { kind: "bad", message: `cannot read it: ${(err as Error).message}` };
  }
  return parseQueueFile(text);
}

/** Check the text of a queue file (see {@link loadQueueFile}). */
export function parseQueueFile(text: string): LoadedQueue {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    return { kind: "bad", message: `not JSON (${(err as Error).message.slice(0, 120)})` };
  }
  const d = doc as Partial<SavedQueue> | null;
  if (typeof d !== "object" || d === null || Array.isArray(d)) {
    return { kind: "bad", message: "expected a JSON object" };
  }
  if (d.format !== "earshot-offline-queue" || d.version !== 1) {
    return {
      kind: "bad",
      message: 'not an earshot offline queue (format/version: expected "earshot-offline-queue" 1)',
    };
  }
  if (typeof d.broker !== "string") return { kind: "bad", message: "broker: expected a string" };
  if (d.siteId !== undefined && typeof d.siteId !== "string") {
    return { kind: "bad", message: "siteId: expected a string" };
  }
  if (typeof d.savedAt !== "number" || !Number.isFinite(d.savedAt)) {
    return { kind: "bad", message: "savedAt: expected a number" };
  }
  if (!Array.isArray(d.messages)) return { kind: "bad", message: "messages: expected an array" };
  const messages: SavedQueue["messages"] = [];
  const skipped: string[] = [];
  d.messages.forEach((m: unknown, i: number) => {
    const why = badMessage(m);
    if (why) skipped.push(`messages[${i}]: ${why}`);
    else messages.push(m as SavedQueue["messages"][number]);
  });
  return {
    kind: "ok",
    queue: {
      format: "earshot-offline-queue",
      version: 1,
      broker: d.broker,
      siteId: d.siteId,
      savedAt: d.savedAt,
      messages,
    },
    skipped,
  };
}

function badMessage(m: unknown): string | undefined {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return "expected an object";
  const r = m as Record<string, unknown>;
  const keys = Object.keys(r).filter((k) =>
    !["topic", "payload", "qos", "retain", "queuedAt"].includes(k)
  );
  if (keys.length) return `unknown field ${JSON.stringify(keys[0])}`;
  if (typeof r.topic !== "string" || !r.topic || r.topic.length > 65535 || /[+#\0]/.test(r.topic)) {
    return "topic: expected a topic name without wildcards";
  }
  if (typeof r.payload !== "string") return "payload: expected a string";
  if (r.qos !== 0 && r.qos !== 1 && r.qos !== 2) return "qos: expected 0, 1 or 2";
  if (typeof r.retain !== "boolean") return "retain: expected true or false";
  if (typeof r.queuedAt !== "number" || !Number.isFinite(r.queuedAt)) {
    return "queuedAt: expected a number";
  }
  return undefined;
}
