/**
 * Start the status API on Deno.serve: resolve the token, build the app from
 * the services the CLI wires in, bind `api.host:api.port` (port 0 picks a free
 * one) and return the URL and a `close()` that ends SSE streams and waits for
 * the server to stop.
 * @module
 */
import type { Config } from "../pipeline/config.ts";
import { type ApiApp, type ApiDeps, createApp } from "./app.ts";
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
  /** Stop accepting connections, close SSE streams and wait for the server to finish. */
  close(): Promise<void>;
}

/**
 * Start the API with `config.api` (host, port, token, tokenFile, limits).
 * Throws TokenError (api/token.ts) for a bad token or token file and
 * {@link ApiListenError} when the address cannot be bound.
 */
export async function startApi(
  config: Pick<Config, "api">,
  services: ApiServices,
): Promise<RunningApi> {
  const c = config.api;
  const token = await resolveToken({ token: c.token, tokenFile: c.tokenFile });
  const api = createApp({
    ...services,
    token: token.token,
    limits: {
      maxAudioBytes: c.maxAudioBytes,
      maxJsonBytes: c.maxJsonBytes,
      commandTimeoutMs: c.commandTimeoutMs,
      audioTimeoutMs: c.audioTimeoutMs,
    },
    sse: { keepAliveMs: c.sseKeepAliveMs, maxClients: c.sseMaxClients },
  });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const { promise, resolve } = Promise.withResolvers<void>();
    server = Deno.serve({
      hostname: c.host,
      port: c.port,
      onListen: () => resolve(),
      onError: (err) => {
        const message = `request failed: ${(err as Error).message}`;
        if (services.logError) services.logError(message);
        else console.error(`earshot api: ${message}`);
        return new Response(JSON.stringify({ error: "internal error" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        });
      },
    }, api.app.fetch);
    await promise;
  } catch (err) {
    api.close();
    const msg = err instanceof Deno.errors.AddrInUse
      ? "address already in use"
      : (err as Error).message;
    throw new ApiListenError(`api: cannot listen on ${c.host}:${c.port}: ${msg}`);
  }
  const addr = server.addr;
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
    close() {
      closing ??= (async () => {
        // Streams first: shutdown waits for open responses, and SSE never ends by itself.
        api.close();
        await server.shutdown();
      })();
      return closing;
    },
  };
}
