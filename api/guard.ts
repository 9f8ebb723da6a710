/**
 * A connection guard in front of `Deno.serve`, which has no header timeout,
 * idle timeout or connection cap of its own: ~1,000 idle sockets used to
 * exhaust the file descriptors and end the process. The guard listens on the
 * public address, accepts at most `maxConnections` at a time (more are closed
 * at once), closes a connection whose first request headers have not arrived
 * within `headerTimeoutMs` or that moved no byte either way for
 * `idleTimeoutMs`, and pipes the rest to the HTTP server on a private Unix
 * socket (loopback TCP where a Unix socket cannot be made).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("hi"),
 * );
 * const guard = startGuard(
 *   { hostname: "127.0.0.1", port: 0 }, // the public address (api.port)
 *   { transport: "tcp", hostname: "127.0.0.1", port: server.addr.port }, // or a Unix socket
 *   { maxConnections: 128, headerTimeoutMs: 10_000, idleTimeoutMs: 130_000 },
 * );
 * const res = await fetch(`http://127.0.0.1:${guard.addr.port}/`);
 * assert.equal(await res.text(), "hi");
 * await guard.close();
 * await server.shutdown();
 * ```
 * @module
 */

/** Connection limits. */
export interface GuardLimits {
  /** Most connections open at once; more are closed as soon as they are accepted. */
  maxConnections: number;
  /** Time for a new connection to send its first complete request headers, ms. */
  headerTimeoutMs: number;
  /** A connection that moved no byte in either direction for this long is closed, ms. */
  idleTimeoutMs: number;
}

/** Where the guard forwards to. */
export type Upstream =
  | { transport: "unix"; path: string }
  | { transport: "tcp"; hostname: string; port: number };

/** Counters of what the guard did, for /metrics and tests. */
export interface GuardStats {
  /** Connections open now. */
  open: number;
  accepted: number;
  /** Closed at once because `maxConnections` were open. */
  refused: number;
  /** Closed for sending no complete headers in time. */
  headerTimeouts: number;
  /** Closed for moving no byte for `idleTimeoutMs`. */
  idleTimeouts: number;
  /** accept() failures survived (e.g. EMFILE "Too many open files"). */
  acceptErrors: number;
}

/** A running guard. */
export interface Guard {
  addr: Deno.NetAddr;
  stats: GuardStats;
  /** Stop accepting new connections (open ones go on). */
  stopAccepting(): Promise<void>;
  /** Stop accepting and close every connection (after up to `graceMs` to relay what is sent). */
  close(graceMs?: number): Promise<void>;
}

/** Descriptors kept free for everything but API connections (models, broker, arecord, logs). */
export const FD_RESERVE = 96;

/**
 * The soft and hard open-file limits of this process (Linux /proc/self/limits),
 * or undefined where they cannot be read. Deno has no setrlimit, so the soft
 * limit is raised outside (`ulimit -n`, systemd `LimitNOFILE=`).
 */
export function openFileLimit(): { soft: number; hard: number } | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
    if (!m) return undefined;
    const n = (s: string) => s === "unlimited" ? Infinity : Number(s);
    return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    return undefined;
  }
}

/**
 * The connection cap that fits the descriptor limit: every admitted
 * connection holds two descriptors (client and upstream), and
 * {@link FD_RESERVE} stay free. Past the limit Deno itself can panic
 * ("Too many open files" in its signal handling), so the cap must hold.
 */
export function fittingConnections(wanted: number, softLimit: number | undefined): number {
  if (softLimit === undefined || !Number.isFinite(softLimit)) return wanted;
  return Math.max(1, Math.min(wanted, Math.floor((softLimit - FD_RESERVE) / 2)));
}

/** How long a connection the server hung up on is drained before it is closed, ms. */
const LINGER_MS = 1000;

const HEADER_END = [13, 10, 13, 10];

function hasHeaderEnd(buf: Uint8Array, len: number, state: { matched: number }): boolean {
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
 * Listen on `listen` and forward every admitted connection to `upstream`.
 * Throws what `Deno.listen` throws (AddrInUse, PermissionDenied).
 */
export function startGuard(
  listen: { hostname: string; port: number },
  upstream: Upstream,
  limits: GuardLimits,
  onError: (message: string) => void = () => {},
): Guard {
  const listener = Deno.listen({ hostname: listen.hostname, port: listen.port });
  const stats: GuardStats = {
    open: 0,
    accepted: 0,
    refused: 0,
    headerTimeouts: 0,
    idleTimeouts: 0,
    acceptErrors: 0,
  };
  const conns = new Set<() => void>();
  /** Per connection: resolves once the server's side has ended and everything was relayed. */
  const relayed = new Set<Promise<void>>();
  let closed = false;

  const handle = async (client: Deno.Conn) => {
    let upstreamConn: Deno.Conn | undefined;
    let done = false;
    const serverEnded = Promise.withResolvers<void>();
    let lastActivity = performance.now();
    let headersSeen = false;
    const acceptedAt = lastActivity;
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
    conns.add(finish);
    const tick = Math.max(5, Math.min(limits.headerTimeoutMs, limits.idleTimeoutMs) / 4);
    const timer = setInterval(() => {
      const now = performance.now();
      if (!headersSeen && now - acceptedAt >= limits.headerTimeoutMs) {
        stats.headerTimeouts++;
        finish();
      } else if (now - lastActivity >= limits.idleTimeoutMs) {
        stats.idleTimeouts++;
        finish();
      }
    }, tick);
    try {
      // Wait for the first complete request headers before opening the upstream connection.
      const first: Uint8Array[] = [];
      const state = { matched: 0 };
      while (!headersSeen) {
        const buf = new Uint8Array(16 * 1024);
        const n = await client.read(buf);
        if (n === null) return;
        lastActivity = performance.now();
        first.push(buf.subarray(0, n));
        headersSeen = hasHeaderEnd(buf, n, state);
        if (!headersSeen && first.reduce((s, b) => s + b.length, 0) > 64 * 1024) {
          stats.headerTimeouts++;
          return; // 64 KiB without a header end: not HTTP.
        }
      }
      upstreamConn = upstream.transport === "unix"
        ? await Deno.connect({ transport: "unix", path: upstream.path })
        : await Deno.connect({ hostname: upstream.hostname, port: upstream.port });
      if (done) return;
      relayed.add(serverEnded.promise);
      const up = upstreamConn;
      for (const b of first) await writeAll(up, b);
      const pump = async (from: Deno.Conn, to: Deno.Conn, watchClose: boolean) => {
        const buf = new Uint8Array(64 * 1024);
        let closeIn: number | undefined;
        while (true) {
          const n = await from.read(buf);
          if (n === null) break;
          lastActivity = performance.now();
          const chunk = buf.subarray(0, n);
          // Deno.serve ignores `Connection: close` on a response; honour it here so a refused
          // body (413, 408) cannot be read as the next request.
          if (watchClose && closeIn === undefined) closeIn = closingResponseLength(chunk);
          await writeAll(to, chunk);
          lastActivity = performance.now();
          if (closeIn !== undefined && (closeIn -= n) <= 0) break;
        }
      };
      // Either side ending ends the connection (HTTP/1.1 has no useful half-close here).
      const ended = await Promise.race([
        pump(client, up, false).then(() => "client", () => "client"),
        pump(up, client, true).then(() => "server", () => "server"),
      ]);
      serverEnded.resolve();
      if (ended === "server" && !done) {
        // Lingering close: the server answered (a 401 or 413 before reading the body) and hung
        // up. Closing with unread client bytes would send a reset that can destroy the answer in
        // flight, so send FIN and drain what the client still sends, for a moment.
        await client.closeWrite().catch(() => {});
        const until = performance.now() + LINGER_MS;
        const sink = new Uint8Array(64 * 1024);
        let timer: ReturnType<typeof setTimeout> | undefined;
        while (!done && performance.now() < until) {
          const n = await Promise.race([
            client.read(sink).catch(() => null),
            new Promise<null>((r) => timer = setTimeout(() => r(null), LINGER_MS)),
          ]);
          clearTimeout(timer);
          if (n === null) break;
        }
      }
    } catch (err) {
      if (!done && !closed && !(err instanceof Deno.errors.BadResource)) {
        onError(`api connection: ${(err as Error).message}`);
      }
    } finally {
      serverEnded.resolve();
      relayed.delete(serverEnded.promise);
      finish();
      conns.delete(finish);
      stats.open--;
    }
  };

  const acceptLoop = (async () => {
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed || err instanceof Deno.errors.BadResource) break;
        // EMFILE and friends: survive, wait a moment for descriptors to free up.
        stats.acceptErrors++;
        if (stats.acceptErrors === 1 || stats.acceptErrors % 1000 === 0) {
          onError(`api accept failed (${stats.acceptErrors}x): ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      stats.accepted++;
      if (stats.open >= limits.maxConnections) {
        stats.refused++;
        try {
          conn.close();
        } catch { /* gone */ }
        continue;
      }
      stats.open++;
      handle(conn);
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    stats,
    async stopAccepting() {
      if (!closed) {
        closed = true;
        try {
          listener.close();
        } catch { /* closed */ }
      }
      await acceptLoop;
    },
    /** Wait (up to `graceMs`) for what the server already sent to reach the clients, then cut. */
    async close(graceMs = 1000) {
      await this.stopAccepting();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(relayed),
        new Promise((r) => timer = setTimeout(r, graceMs)),
      ]);
      clearTimeout(timer);
      for (const finish of [...conns]) finish();
    },
  };
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
