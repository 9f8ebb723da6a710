/**
 * `api.lan`: when the API serves the network, every route but `/health/live` and the page's
 * static files needs the token, as `Authorization: Bearer <token>` or as the sign-in cookie
 * (api/session.ts) that `GET /?token=` hands out. Without either, the page answers 401 with a
 * sign-in page saying how, the other routes a JSON 401.
 * @module
 */
import type { Context, Hono } from "hono";
import { SESSION_COOKIE, sessionFromCookies, sessionValid } from "./session.ts";
import { tokensEqual } from "./token.ts";

/** Routes anyone on the network may fetch: liveness and the page's script and style. */
function isPublic(path: string): boolean {
  return path === "/health/live" || path.startsWith("/static/");
}

/** Whether the request carries the token (bearer) or a valid sign-in cookie. */
export async function signedIn(c: Context, token: string): Promise<boolean> {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
  if (m && await tokensEqual(m[1], token)) return true;
  return await sessionValid(sessionFromCookies(c.req.header("cookie")), token);
}

/**
 * Register the LAN sign-in check (after the app-wide layers, before the routes). `signInPage`
 * is the HTML answered to a browser asking for `/` without signing in.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * const app = new Hono();
 * useLanAuth(app, { token: "s3cret-token-0123456789", signInPage: () => "<p>sign in</p>" });
 * app.get("/", (c) => c.text("dashboard"));
 * app.get("/api/status", (c) => c.json({ ok: true }));
 * app.get("/health/live", (c) => c.text("ok"));
 * assert.equal((await app.request("/api/status")).status, 401);
 * const page = await app.request("/");
 * assert.deepEqual([page.status, await page.text()], [401, "<p>sign in</p>"]);
 * assert.equal((await app.request("/health/live")).status, 200); // public
 * const auth = { Authorization: "Bearer s3cret-token-0123456789" };
 * assert.equal((await app.request("/api/status", { headers: auth })).status, 200);
 * ```
 */
export function useLanAuth(
  app: Hono,
  opts: { token: string; signInPage: () => string },
): void {
  app.use("*", async (c, next) => {
    const path = c.req.path;
    // `/?token=` is the sign-in itself (api/routes/dashboard.ts checks the token).
    if (isPublic(path) || (path === "/" && c.req.query("token") !== undefined)) {
      return await next();
    }
    if (await signedIn(c, opts.token)) return await next();
    await c.req.raw.body?.cancel().catch(() => {});
    if (path === "/" && (c.req.method === "GET" || c.req.method === "HEAD")) {
      c.res = c.html(opts.signInPage(), 401, { "Cache-Control": "no-store" });
      return;
    }
    c.res = c.json(
      {
        error: "sign in first: api.lan is on, so every route needs the API token: send " +
          `Authorization: Bearer <token>, or open /?token=<token> once for the ${SESSION_COOKIE} ` +
          "cookie",
      },
      401,
      { "WWW-Authenticate": 'Bearer realm="earshot"' },
    );
  });
}
