/**
 * `POST /api/listen` (bearer token): listen for a command without the wake word, as if it had
 * been said (core/remote.ts: a `wake` event with `source` "http" at the live pipeline's
 * position). 200 `{listening, session, t, sample}`; 409 while the wake word is muted; 503
 * without a live pipeline.
 * @module
 */
import type { Hono } from "hono";
import { RemoteError } from "../../core/remote.ts";
import type { ApiContext } from "../deps.ts";
import { HttpError } from "../http.ts";
import { requireToken } from "../middleware.ts";

/**
 * Register the listen route. The request body is not read.
 * @example
 * ```ts
 * listenRoutes(app, ctx);
 * await app.request("/api/listen", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
 * // 200 {"listening":true,"session":"...","t":12.34,"sample":197440}
 * ```
 */
export function listenRoutes(app: Hono, ctx: ApiContext): void {
  const { deps } = ctx;
  app.post("/api/listen", async (c) => {
    await requireToken(c, deps.token);
    await c.req.raw.body?.cancel().catch(() => {});
    if (!deps.listen) {
      throw new HttpError(503, "listening is not available: no live audio pipeline is running");
    }
    try {
      const e = deps.listen();
      return c.json({ listening: true, session: e.session, t: e.t, sample: e.sample });
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      throw new HttpError(err.code === "muted" ? 409 : 503, `cannot listen: ${err.message}`);
    }
  });
}
