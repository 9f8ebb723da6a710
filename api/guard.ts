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
import { relayConnection, type RelayContext } from "./guard_relay.ts";

export { closingResponseLength } from "./guard_relay.ts";

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

  const ctx: RelayContext = {
    upstream,
    limits,
    stats,
    conns,
    relayed,
    isClosed: () => closed,
    onError,
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
      relayConnection(conn, ctx);
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
