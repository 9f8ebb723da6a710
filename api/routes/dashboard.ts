/**
 * `GET /` (the dashboard page) and `GET /static/:file` (its script and style), read
 * once from api/static/ and served offline.
 * @module
 */
import type { Hono } from "hono";
import { HttpError } from "../http.ts";

const STATIC_FILES: Record<string, string> = {
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
};

function loadStatic(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of ["index.html", ...Object.keys(STATIC_FILES)]) {
    files.set(name, Deno.readTextFileSync(new URL(`../static/${name}`, import.meta.url)));
  }
  return files;
}

/**
 * Register the dashboard routes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * const app = new Hono();
 * dashboardRoutes(app);
 * const page = await app.request("/");
 * assert.equal(page.headers.get("content-type"), "text/html; charset=UTF-8");
 * assert.match(await page.text(), /<html/i);
 * ```
 */
export function dashboardRoutes(app: Hono): void {
  const files = loadStatic();
  app.get("/", (c) => {
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
