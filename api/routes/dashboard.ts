/**
 * `GET /` (the dashboard page) and `GET /static/:file` (its script and style), read
 * once from api/static/ and served offline; `GET /?token=<API token>` signs a browser in
 * (the api/session.ts cookie, then a redirect to the same address without the token).
 * @module
 */
import type { Hono } from "hono";
import { HttpError } from "../http.ts";
import { sessionCookie, sessionValue } from "../session.ts";
import { tokensEqual } from "../token.ts";

const STATIC_FILES: Record<string, string> = {
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "streams.js": "text/javascript; charset=utf-8",
};

function loadStatic(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of ["index.html", "signin.html", ...Object.keys(STATIC_FILES)]) {
    files.set(name, Deno.readTextFileSync(new URL(`../static/${name}`, import.meta.url)));
  }
  return files;
}

/** The sign-in page, with a fixed message in place of `<!--message-->` (never request text). */
export function signInPage(message?: string): string {
  const page = STATIC_PAGES.get("signin.html")!;
  return page.replace("<!--message-->", message ? `<p class="error">${message}</p>` : "");
}

const STATIC_PAGES = loadStatic();

/** What the sign-in needs: the API token and the cookie's lifetime. */
export interface SignInOptions {
  token: string;
  /** Seconds the cookie lasts (api.sessionMaxAgeS). */
  sessionMaxAgeS: number;
}

/**
 * Register the dashboard routes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * const app = new Hono();
 * dashboardRoutes(app, { token: "s3cret-token-0123456789", sessionMaxAgeS: 86400 });
 * const page = await app.request("/");
 * assert.equal(page.headers.get("content-type"), "text/html; charset=UTF-8");
 * assert.match(await page.text(), /<html/i);
 * const signIn = await app.request("/?token=s3cret-token-0123456789");
 * assert.equal(signIn.status, 303); // with Set-Cookie, to the address without the token
 * ```
 */
export function dashboardRoutes(app: Hono, signIn: SignInOptions): void {
  const files = STATIC_PAGES;
  app.get("/", async (c) => {
    const given = c.req.query("token");
    if (given !== undefined) {
      if (!(await tokensEqual(given, signIn.token))) {
        return c.html(signInPage("That token is not the API token."), 401, {
          "Cache-Control": "no-store",
        });
      }
      const value = await sessionValue(signIn.token, Date.now() + signIn.sessionMaxAgeS * 1000);
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.body(null, 303, {
        Location: url.pathname + url.search,
        "Set-Cookie": sessionCookie(value, signIn.sessionMaxAgeS),
        "Cache-Control": "no-store",
      });
    }
    c.header("Cache-Control", "no-cache");
    return c.html(files.get("index.html")!);
  });
  app.get("/static/:file", (c) => {
    const name = c.req.param("file");
    const type = STATIC_FILES[name];
    if (!type) throw new HttpError(404, `not found: GET ${c.req.path}`);
    return c.body(files.get(name)!, 200, {
      "Content-Type": type,
      "Cache-Control": "no-cache",
    });
  });
}
