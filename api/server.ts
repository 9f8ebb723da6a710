/**
 * Start the status API on Deno.serve: resolve the token, build the app from
 * the services the CLI wires in, bind `api.host:api.port` (port 0 picks a free
 * one) and return the URL and a `close()` that ends SSE streams and waits for
 * the server to stop.
 * @module
 */
import { apiBindHost, type Config } from "../core/config.ts";
import { type ApiApp, type ApiDeps, apiLimits, createApp } from "./app.ts";
import { sseOptions } from "./sse.ts";
import {
  fittingConnections,
  type Guard,
  type GuardStats,
  openFileLimit,
  startGuard,
  type Upstream,
} from "./guard.ts";
import { type ResolvedToken, resolveToken } from "./token.ts";

/** The API cannot listen (address in use, permission, bad host); the message names host:port. */
export class ApiListenError extends Error {
  override name = "ApiListenError";
}

/** What the CLI supplies: everything of {@link ApiDeps} but the token and limits. */
export type ApiServices = Omit<ApiDeps, "token" | "limits">;

/** A running API. */
export interface RunningApi {
  /** Base URL, e.g. "http://127.0.0.1:8089" (IPv6 hosts in brackets; loopback for 0.0.0.0). */
  url: string;
  /** The address actually bound, e.g. "0.0.0.0". */
  hostname: string;
  /** The bound port (useful with port 0). */
  port: number;
  /** Where the token came from (never log `token.token` itself unless generated). */
  token: ResolvedToken;
  api: ApiApp;
  /** What the connection guard (api/guard.ts) refused and closed. */
  connections: GuardStats;
  /** The connection cap in force (`api.maxConnections`, lowered to fit the open-file limit). */
  maxConnections: number;
  /** Stop accepting connections, close SSE streams and wait for the server to finish. */
  close(): Promise<void>;
}

/**
 * Start the API with `config.api` (host, port, lan, token, tokenFile, limits). With `lan` it
 * binds every interface (or the non-loopback `host`), answers this machine's `.local` name and
 * wants the token on every route (api/lan_auth.ts).
 * Throws TokenError (api/token.ts) for a bad token or token file and
 * {@link ApiListenError} when the address cannot be bound.
 */
export async function startApi(
  config: Pick<Config, "api">,
  services: ApiServices,
): Promise<RunningApi> {
  const c = config.api;
  const bindHost = apiBindHost(c);
  const token = await resolveToken({ token: c.token, tokenFile: c.tokenFile });
  const api = createApp({
    ...services,
    token: token.token,
    lan: c.lan,
    sessionMaxAgeS: c.sessionMaxAgeS,
    allowedHosts: [c.host, ...c.allowedHosts, ...(c.lan ? lanNames() : [])],
    limits: apiLimits(config),
    sse: sseOptions(config),
  });
  const logError = services.logError ?? ((m: string) => console.error(`earshot api: ${m}`));
  const onError = (err: unknown) => {
    logError(`request failed: ${(err as Error).message}`);
    return new Response(JSON.stringify({ error: "internal error" }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  };
  // The HTTP server listens privately; only the guard's public port is reachable.
  let server: Deno.HttpServer;
  let upstream: Upstream;
  let socketPath: string | undefined;
  try {
    ({ server, upstream, socketPath } = await serveUpstream(c.tokenFile, onError, api.app.fetch));
  } catch (err) {
    api.close();
    throw new ApiListenError(`api: cannot start the HTTP server: ${(err as Error).message}`);
  }
  const fd = openFileLimit();
  const maxConnections = fittingConnections(c.maxConnections, fd?.soft);
  if (maxConnections < c.maxConnections) {
    logError(
      `api.maxConnections ${c.maxConnections} lowered to ${maxConnections}: the open-file limit ` +
        `is ${fd!.soft} (raise it with ulimit -n or systemd LimitNOFILE=; hard limit ${fd!.hard})`,
    );
  }
  let guard: Guard;
  try {
    guard = startGuard({ hostname: bindHost, port: c.port }, upstream, {
      maxConnections,
      headerTimeoutMs: c.headerTimeoutMs,
      idleTimeoutMs: c.idleTimeoutMs,
    }, logError);
  } catch (err) {
    api.close();
    await server.shutdown();
    if (socketPath) await Deno.remove(socketPath).catch(() => {});
    const msg = err instanceof Deno.errors.AddrInUse
      ? "address already in use"
      : (err as Error).message;
    throw new ApiListenError(`api: cannot listen on ${bindHost}:${c.port}: ${msg}`);
  }
  const addr = guard.addr;
  // A wildcard bind is reached through loopback on this machine.
  const reach = addr.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : addr.hostname === "::"
    ? "::1"
    : addr.hostname;
  const host = reach.includes(":") ? `[${reach}]` : reach;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    hostname: addr.hostname,
    port: addr.port,
    token,
    api,
    connections: guard.stats,
    maxConnections,
    close() {
      closing ??= (async () => {
        // Streams first: shutdown waits for open responses, and SSE never ends by itself.
        api.close();
        // Let finished streams and answers flow out through the guard before cutting the rest.
        await guard.stopAccepting();
        await server.shutdown();
        await guard.close();
        if (socketPath) await Deno.remove(socketPath).catch(() => {});
      })();
      return closing;
    },
  };
}

/**
 * This machine's names as a phone on the LAN would type them: the host name and its mDNS name
 * (`raspberrypi`, `raspberrypi.local`), for the Host check.
 */
export function lanNames(): string[] {
  let name: string;
  try {
    name = Deno.hostname().toLowerCase();
  } catch {
    return [];
  }
  const short = name.split(".")[0];
  return [...new Set([name, short, `${short}.local`])];
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * Serve the app on a Unix socket next to the token file (mode 0700 directory),
 * or on loopback port 0 where no socket can be made there (read-only or
 * unpermitted directory).
 */
async function serveUpstream(
  tokenFile: string,
  onError: (err: unknown) => Response,
  handler: (req: Request) => Response | Promise<Response>,
): Promise<{ server: Deno.HttpServer; upstream: Upstream; socketPath?: string }> {
  const dir = dirOf(tokenFile);
  const path = `${dir}/api-${Deno.pid}.sock`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.remove(path).catch(() => {});
    const { promise, resolve } = Promise.withResolvers<void>();
    const server = Deno.serve({ path, onListen: () => resolve(), onError }, handler);
    await promise;
    await Deno.chmod(path, 0o600).catch(() => {});
    return { server, upstream: { transport: "unix", path }, socketPath: path };
  } catch {
    const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: (a) => resolve(a),
      onError,
    }, handler);
    const a = await promise;
    return { server, upstream: { transport: "tcp", hostname: "127.0.0.1", port: a.port } };
  }
}
