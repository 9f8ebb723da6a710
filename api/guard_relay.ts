/**
 * One connection through the guard (api/guard.ts): wait for the first
 * complete request headers, open the upstream connection, pipe both ways
 * until either side ends, and close with a short linger when the server hung
 * up first. Header and idle timeouts are enforced by a watchdog per
 * connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hi"),
 * );
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const ctx: RelayContext = {
 *   upstream: { transport: "tcp", hostname: "127.0.0.1", port: server.addr.port },
 *   limits: { maxConnections: 8, headerTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
 *   stats: { open: 1, accepted: 1, refused: 0, headerTimeouts: 0, idleTimeouts: 0, acceptErrors: 0 },
 *   conns: new Set(),
 *   relayed: new Set(),
 *   isClosed: () => false,
 *   onError: () => {},
 * };
 * const accepted = listener.accept().then((c) => relayConnection(c, ctx));
 * const res = await fetch(`http://127.0.0.1:${listener.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * await accepted;
 * listener.close();
 * await server.shutdown();
 * ```
 * @module
 */
import type { GuardLimits, GuardStats, Upstream } from "./guard.ts";

/** What one relayed connection shares with the guard that accepted it. */
export interface RelayContext {
  upstream: Upstream;
  limits: GuardLimits;
  /** The guard's counters; `open` is decremented when the connection ends. */
  stats: GuardStats;
  /** Cutters of the open connections; the guard's close() calls each. */
  conns: Set<() => void>;
  /** Per connection: resolves once the server's side has ended and everything was relayed. */
  relayed: Set<Promise<void>>;
  /** True once the guard stopped accepting (errors after that are not reported). */
  isClosed(): boolean;
  onError(message: string): void;
}

/** How long a connection the server hung up on is drained before it is closed, ms. */
const LINGER_MS = 1000;

/** Most request-head bytes read while waiting for the header end: more is not HTTP. */
const MAX_HEAD_BYTES = 64 * 1024;

const HEADER_END = [13, 10, 13, 10];

/** When one connection last moved a byte, and whether its first headers arrived. */
interface Activity {
  acceptedAt: number;
  last: number;
  headersSeen: boolean;
}

/**
 * Relay `client` to `ctx.upstream` until either side ends, then close both
 * and count the connection out of `ctx.stats.open`. Never throws: failures
 * go to `ctx.onError` (unless the guard is closing).
 */
export async function relayConnection(client: Deno.Conn, ctx: RelayContext): Promise<void> {
  const { limits, stats } = ctx;
  let upstreamConn: Deno.Conn | undefined;
  let done = false;
  const serverEnded = Promise.withResolvers<void>();
  const now = performance.now();
  const act: Activity = { acceptedAt: now, last: now, headersSeen: false };
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    try {
      client.close();
    } catch { /* already closed */ }
    try {
      upstreamConn?.close();
    } catch { /* already closed */ }
  };
  ctx.conns.add(finish);
  const timer = watchTimeouts(limits, stats, act, finish);
  try {
    // Wait for the first complete request headers before opening the upstream connection.
    const first = await readRequestHead(client, act);
    if (first === "oversize") stats.headerTimeouts++;
    if (typeof first === "string") return;
    upstreamConn = await connectUpstream(ctx.upstream);
    if (done) return;
    ctx.relayed.add(serverEnded.promise);
    const up = upstreamConn;
    for (const b of first) await writeAll(up, b);
    // Either side ending ends the connection (HTTP/1.1 has no useful half-close here).
    const ended = await Promise.race([
      pump(client, up, false, act).then(() => "client", () => "client"),
      pump(up, client, true, act).then(() => "server", () => "server"),
    ]);
    serverEnded.resolve();
    if (ended === "server" && !done) await lingerClose(client, () => done);
  } catch (err) {
    if (!done && !ctx.isClosed() && !(err instanceof Deno.errors.BadResource)) {
      ctx.onError(`api connection: ${(err as Error).message}`);
    }
  } finally {
    serverEnded.resolve();
    ctx.relayed.delete(serverEnded.promise);
    finish();
    ctx.conns.delete(finish);
    stats.open--;
  }
}

/** An interval that calls `finish` (and counts why) on a header or idle timeout. */
function watchTimeouts(
  limits: GuardLimits,
  stats: GuardStats,
  act: Activity,
  finish: () => void,
): ReturnType<typeof setInterval> {
  const tick = Math.max(5, Math.min(limits.headerTimeoutMs, limits.idleTimeoutMs) / 4);
  return setInterval(() => {
    const now = performance.now();
    if (!act.headersSeen && now - act.acceptedAt >= limits.headerTimeoutMs) {
      stats.headerTimeouts++;
      finish();
    } else if (now - act.last >= limits.idleTimeoutMs) {
      stats.idleTimeouts++;
      finish();
    }
  }, tick);
}

/**
 * The chunks read up to and including the end of the first request headers;
 * "eof" when the client hung up first, "oversize" past {@link MAX_HEAD_BYTES}.
 */
async function readRequestHead(
  client: Deno.Conn,
  act: Activity,
): Promise<Uint8Array[] | "eof" | "oversize"> {
  const first: Uint8Array[] = [];
  const state = { matched: 0 };
  let total = 0;
  while (!act.headersSeen) {
    const buf = new Uint8Array(16 * 1024);
    const n = await client.read(buf);
    if (n === null) return "eof";
    act.last = performance.now();
    first.push(buf.subarray(0, n));
    total += n;
    act.headersSeen = hasHeaderEnd(buf, n, state);
    if (!act.headersSeen && total > MAX_HEAD_BYTES) return "oversize";
  }
  return first;
}

function connectUpstream(upstream: Upstream): Promise<Deno.Conn> {
  return upstream.transport === "unix"
    ? Deno.connect({ transport: "unix", path: upstream.path })
    : Deno.connect({ hostname: upstream.hostname, port: upstream.port });
}

/** Copy `from` to `to` until `from` ends (or, watching the server, a closing response is sent). */
async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  watchClose: boolean,
  act: Activity,
): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  let closeIn: number | undefined;
  while (true) {
    const n = await from.read(buf);
    if (n === null) break;
    act.last = performance.now();
    const chunk = buf.subarray(0, n);
    // Deno.serve ignores `Connection: close` on a response; honour it here so a refused
    // body (413, 408) cannot be read as the next request.
    if (watchClose && closeIn === undefined) closeIn = closingResponseLength(chunk);
    await writeAll(to, chunk);
    act.last = performance.now();
    if (closeIn !== undefined && (closeIn -= n) <= 0) break;
  }
}

/**
 * Lingering close: the server answered (a 401 or 413 before reading the body)
 * and hung up. Closing with unread client bytes would send a reset that can
 * destroy the answer in flight, so send FIN and drain what the client still
 * sends, for a moment.
 */
async function lingerClose(client: Deno.Conn, isDone: () => boolean): Promise<void> {
  await client.closeWrite().catch(() => {});
  const until = performance.now() + LINGER_MS;
  const sink = new Uint8Array(64 * 1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  while (!isDone() && performance.now() < until) {
    const n = await Promise.race([
      client.read(sink).catch(() => null),
      new Promise<null>((r) => timer = setTimeout(() => r(null), LINGER_MS)),
    ]);
    clearTimeout(timer);
    if (n === null) break;
  }
}

/**
 * Feed `len` bytes of `buf` to the CRLF CRLF matcher `state` (carried across
 * reads); true once the end of the request headers was seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const state = { matched: 0 };
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * assert.equal(hasHeaderEnd(bytes("GET / HTTP/1.1\r\n"), 16, state), false);
 * assert.equal(hasHeaderEnd(bytes("\r\n"), 2, state), true);
 * ```
 */
export function hasHeaderEnd(buf: Uint8Array, len: number, state: { matched: number }): boolean {
  for (let i = 0; i < len; i++) {
    state.matched = buf[i] === HEADER_END[state.matched]
      ? state.matched + 1
      : buf[i] === 13
      ? 1
      : 0;
    if (state.matched === 4) return true;
  }
  return false;
}

/**
 * When `chunk` starts a response head (hyper writes each head at the start of
 * a write) that says `connection: close` and has a Content-Length, the bytes
 * of that whole response; otherwise undefined.
 */
export function closingResponseLength(chunk: Uint8Array): number | undefined {
  if (chunk.length < 12 || chunk[0] !== 0x48 /* H */) return undefined;
  const text = new TextDecoder().decode(chunk.subarray(0, Math.min(chunk.length, 4096)));
  if (!text.startsWith("HTTP/1.1 ")) return undefined;
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = text.slice(0, end).toLowerCase();
  if (!/\r\nconnection:\s*close\s*(\r\n|$)/.test(head)) return undefined;
  const m = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (!m) return undefined;
  return new TextEncoder().encode(text.slice(0, end + 4)).length + Number(m[1]);
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await conn.write(data.subarray(at));
}
