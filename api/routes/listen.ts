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
 * import assert from "node:assert/strict";
 * import { EventBus } from "../../core/bus.ts";
 * import { RemoteControl } from "../../core/remote.ts";
 * import { createApp } from "../app.ts";
 * // createApp mounts the routes (listenRoutes(app, ctx)) with the injected listener.
 * const bus = new EventBus();
 * const remote = await RemoteControl.open(bus, { sensitivity: 0.5 });
 * remote.attach({ sample: () => 197440 }); // the live pipeline's position (app/assistant.ts)
 * const api = createApp({ bus, token: "s3cret", listen: () => remote.listen({ source: "http" }) });
 * const listen = (token = "s3cret") =>
 *   api.app.request("/api/listen", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
 * const res = await listen();
 * assert.equal(res.status, 200);
 * const body = await res.json();
 * assert.deepEqual([body.listening, body.t, body.sample], [true, 12.34, 197440]);
 * assert.equal((await listen("wrong")).status, 401);
 * remote.setMuted(true, "http");
 * assert.equal((await listen()).status, 409); // muted
 * api.close();
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
