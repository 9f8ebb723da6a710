/**
 * The app-wide layers of the HTTP API: the Host check (DNS rebinding), the security
 * headers (Hono's `secureHeaders`, configured to the headers earshot always sent),
 * request metrics, the JSON error and 404/405 answers, the bearer-token check of the
 * mutating routes, and the runner timeout.
 * @module
 */
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { HttpError } from "./http.ts";
import type { MetricsCollector } from "./metrics.ts";
import { redactUrl } from "./status.ts";
import { tokensEqual } from "./token.ts";

/** Routes and their methods, for 405 answers and metric labels. */
export const ROUTES: Record<string, string[]> = {
  "/": ["GET"],
  "/static/:file": ["GET"],
  "/health": ["GET"],
  "/health/live": ["GET"],
  "/api/status": ["GET"],
  "/metrics": ["GET"],
  "/api/events": ["GET"],
  "/api/command": ["POST"],
  "/api/audio": ["POST"],
  "/api/listen": ["POST"],
};

/** Methods that get their own metric label (anything else is "other": bounded labels). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

function routeLabel(path: string): string {
  if (path in ROUTES) return path;
  if (path.startsWith("/static/")) return "/static/:file";
  return "other";
}

/**
 * Whether a Host is safe to answer: an IP literal (DNS rebinding needs a name),
 * localhost or *.localhost, or one of `allowed` (case-insensitive, port ignored).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(hostAllowed("localhost", []), true);
 * assert.equal(hostAllowed("pi.local", ["pi.local"]), true);
 * assert.equal(hostAllowed("evil.example", ["pi.local"]), false); // DNS rebinding: 403
 * ```
 */
export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (allowed.includes("*")) return true;
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.startsWith("[")) return true;
  return allowed.some((a) => a.toLowerCase().replace(/\.$/, "") === h);
}

/** An error's first line, bounded, with credentials taken out of URLs: safe for responses. */
export function safeMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return redactUrl(msg.split("\n")[0]).slice(0, 300);
}

/** Reject with a 504 {@link HttpError} when `work` takes longer than `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Hono's secureHeaders set to exactly the headers earshot sent before it used it (no HSTS
 * on a LAN HTTP server, no cross-origin policies); a handler's own CSP is kept.
 */
const SECURITY_HEADERS = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    styleSrc: ["'self'"],
    scriptSrc: ["'self'"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  xContentTypeOptions: true,
  crossOriginResourcePolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  overwrite: false,
});

/**
 * The layers every request passes: request metrics, security headers, `Cache-Control:
 * no-store` unless the route set its own, the Host check (403), JSON errors
 * (`{ "error": ... }`, server-side detail only in `logError`) and a JSON 404.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { EventBus } from "../core/bus.ts";
 * import { HttpError } from "./http.ts";
 * import { MetricsCollector } from "./metrics.ts";
 * const metrics = new MetricsCollector(new EventBus(), { version: "dev" });
 * const app = new Hono();
 * useAppLayers(app, { metrics, allowedHosts: [], logError: console.error });
 * app.get("/busy", () => {
 *   throw new HttpError(429, "busy; retry", { "Retry-After": "2" });
 * });
 * const res = await app.request("http://localhost/busy");
 * assert.deepEqual([res.status, await res.json()], [429, { error: "busy; retry" }]);
 * assert.equal((await app.request("http://evil.example/busy")).status, 403);
 * metrics.close();
 * ```
 */
export function useAppLayers(
  app: Hono,
  opts: { metrics: MetricsCollector; allowedHosts: string[]; logError: (m: string) => void },
): void {
  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
    opts.metrics.observeRequest(
      METHODS.has(c.req.method) ? c.req.method : "other",
      routeLabel(c.req.path),
      c.res.status,
      (performance.now() - start) / 1000,
    );
  });
  app.use("*", SECURITY_HEADERS);
  app.use("*", async (c, next) => {
    const host = new URL(c.req.url).hostname;
    if (hostAllowed(host, opts.allowedHosts)) return await next();
    await c.req.raw.body?.cancel().catch(() => {});
    c.res = c.json({
      error: `host not allowed: ${JSON.stringify(host.slice(0, 100))} ` +
        "(add it to api.allowedHosts)",
    }, 403);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const headers = err instanceof HttpError ? err.headers : {};
      return c.json({ error: err.message }, err.status, headers);
    }
    opts.logError(`${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : err}`);
    return c.json({ error: "internal error (details are in the server log)" }, 500);
  });
  app.notFound((c) => c.json({ error: `not found: ${c.req.method} ${c.req.path}` }, 404));
}

/**
 * Known paths with the wrong method: 405 with Allow (OPTIONS: 204 with Allow). Register
 * after the routes.
 */
export function useMethodAnswers(app: Hono): void {
  for (const [path, methods] of Object.entries(ROUTES)) {
    const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
    app.all(path, (c) => {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
      return c.json(
        { error: `method ${c.req.method} not allowed on ${c.req.path}; allowed: ${allow}` },
        405,
        { Allow: allow },
      );
    });
  }
}

/**
 * Check `Authorization: Bearer <token>` against `token` in constant time; throws a 401
 * {@link HttpError} with a `WWW-Authenticate` challenge and cancels the unread body.
 * (Hono's bearerAuth answers a malformed header with 400 and `error="invalid_request"`;
 * earshot's clients and tests expect 401 and `invalid_token`, so this stays.)
 */
export async function requireToken(c: Context, token: string): Promise<void> {
  const header = c.req.header("authorization");
  const challenge = 'Bearer realm="earshot"';
  if (!header) {
    await c.req.raw.body?.cancel().catch(() => {});
    throw new HttpError(
      401,
      "missing bearer token: send Authorization: Bearer <token> (the token is in api.token " +
        "or the api.tokenFile)",
      { "WWW-Authenticate": challenge },
    );
  }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const ok = m ? await tokensEqual(m[1], token) : false;
  if (!ok) {
    await c.req.raw.body?.cancel().catch(() => {});
    throw new HttpError(
      401,
      m ? "invalid bearer token" : "malformed Authorization header: expected Bearer <token>",
      { "WWW-Authenticate": `${challenge}, error="invalid_token"` },
    );
  }
}
