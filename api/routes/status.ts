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
 * statusRoutes(app, ctx);
 * (await (await app.request("/api/status")).json()).api.audioBusy; // false
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
