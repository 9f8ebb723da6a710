/**
 * `GET /api/status` (the status document with the API's own state) and `GET /metrics`
 * (Prometheus text).
 * @module
 */
import type { Hono } from "hono";
import type { ApiContext } from "../deps.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../metrics.ts";
import { safeMessage } from "../middleware.ts";
import { buildStatus, type StatusInfo } from "../status.ts";

/**
 * Register the status and metrics routes. A failing `deps.info` is logged and the
 * document is built without it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../../core/bus.ts";
 * import { createApp } from "../app.ts";
 * const api = createApp({ bus: new EventBus(), token: "s3cret" }); // mounts statusRoutes(app, ctx)
 * const status = await (await api.app.request("/api/status")).json();
 * assert.equal(status.api.audioBusy, false);
 * const metrics = await (await api.app.request("/metrics")).text();
 * assert.match(metrics, /^earshot_build_info\{version="dev"\} 1$/m);
 * api.close();
 * ```
 */
export function statusRoutes(app: Hono, ctx: ApiContext): void {
  app.get("/api/status", async (c) => {
    let info: StatusInfo = {};
    try {
      info = (await ctx.deps.info?.()) ?? {};
    } catch (err) {
      ctx.logError(`status info failed: ${safeMessage(err)}`);
    }
    const doc = buildStatus(ctx.status, info, { version: ctx.version, startedAt: ctx.startedAt });
    return c.json({
      ...doc,
      api: { sseClients: ctx.hub.clients, audioBusy: ctx.audioBusy, limits: ctx.limits },
    });
  });
  app.get("/metrics", (c) => {
    return c.body(ctx.metrics.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });
}
