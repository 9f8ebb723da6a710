/**
 * The Hono app of the status API and dashboard, built only from injected
 * dependencies (the event bus, probes, `runText`, `runAudio`, ...): it never
 * reaches into a stage, so tests drive it with `app.request()` and the CLI
 * wires the real pipeline. The routes live in api/routes/, the app-wide layers
 * (Host check, security headers, metrics, errors, 405s) in api/middleware.ts.
 * @module
 */
import { Hono } from "hono";
import { DEFAULTS } from "../core/config.ts";
import { type ApiContext, type ApiDeps, type ApiLimits, DEFAULT_LIMITS } from "./deps.ts";
import { MetricsCollector } from "./metrics.ts";
import { useAppLayers, useMethodAnswers } from "./middleware.ts";
import { audioRoutes } from "./routes/audio.ts";
import { commandRoutes } from "./routes/commands.ts";
import { dashboardRoutes, signInPage } from "./routes/dashboard.ts";
import { useLanAuth } from "./lan_auth.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { listenRoutes } from "./routes/listen.ts";
import { statusRoutes } from "./routes/status.ts";
import { SseHub } from "./sse.ts";
import { StatusCollector } from "./status.ts";

export type {
  ApiDeps,
  ApiLimits,
  AudioOutcome,
  CommandOutcome,
  HealthProbe,
  ProbeResult,
  RunAudio,
  RunText,
} from "./deps.ts";
export { apiLimits, DEFAULT_LIMITS } from "./deps.ts";
export { hostAllowed } from "./middleware.ts";

/** The app and the parts that outlive a request. */
export interface ApiApp {
  /** The Hono app (`app.fetch` for Deno.serve, `app.request` in tests). */
  app: Hono;
  hub: SseHub;
  status: StatusCollector;
  metrics: MetricsCollector;
  limits: ApiLimits;
  /** Close every SSE stream and unsubscribe the collectors from the bus. */
  close(): void;
}

/**
 * Build the app. Routes:
 * - `GET /` dashboard (static, offline), `GET /static/:file`, `GET /?token=` sign-in cookie
 * - with `lan`: every route but `/health/live` and `/static/` needs the token (bearer or cookie)
 * - `GET /health` readiness (200/503 with every probe), `GET /health/live` liveness
 * - `GET /api/status` status document, `GET /metrics` Prometheus text
 * - `GET /api/events` SSE (`?types=wake,intent`, `?replay=N`, `Last-Event-ID`)
 * - `POST /api/command` `{text}` and `POST /api/audio` (WAV body or multipart `file`),
 *   both with `Authorization: Bearer <token>`
 * - `POST /api/listen` listen for a command without the wake word (bearer token)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * const api = createApp({ bus: new EventBus(), token: "s3cret" });
 * const res = await api.app.request("/health/live");
 * assert.equal(res.status, 200);
 * assert.deepEqual(await res.json(), { status: "ok", live: true });
 * api.close();
 * ```
 */
export function createApp(deps: ApiDeps): ApiApp {
  const version = deps.version ?? "dev";
  const status = deps.status ?? new StatusCollector(deps.bus);
  const metrics = deps.metrics ?? new MetricsCollector(deps.bus, { version });
  const hub = new SseHub(deps.bus, deps.sse);
  hub.onDrop = (n) => metrics.sseDropped.inc({}, n);
  metrics.setGauges({
    sseClients: () => hub.clients,
    realTimeFactor: deps.realTimeFactor,
    liveAudioSeconds: deps.liveAudioSeconds,
    mqttConnected: deps.mqtt && (() => deps.mqtt!().state === "connected"),
    mqttQueued: deps.mqtt && (() => deps.mqtt!().queued),
    mqttDropped: deps.mqtt && (() => deps.mqtt!().dropped),
  });
  const ctx: ApiContext = {
    deps,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    version,
    startedAt: Date.now(),
    logError: deps.logError ?? ((m: string) => console.error(`earshot api: ${m}`)),
    status,
    metrics,
    hub,
    audioBusy: false,
  };

  const app = new Hono();
  useAppLayers(app, { metrics, allowedHosts: deps.allowedHosts ?? [], logError: ctx.logError });
  if (deps.lan) useLanAuth(app, { token: deps.token, signInPage: () => signInPage() });
  dashboardRoutes(app, {
    token: deps.token,
    sessionMaxAgeS: deps.sessionMaxAgeS ?? DEFAULTS.api.sessionMaxAgeS,
  });
  healthRoutes(app, ctx);
  statusRoutes(app, ctx);
  eventRoutes(app, ctx);
  commandRoutes(app, ctx);
  audioRoutes(app, ctx);
  listenRoutes(app, ctx);
  useMethodAnswers(app);

  return {
    app,
    hub,
    status,
    metrics,
    limits: ctx.limits,
    close() {
      hub.close();
      if (!deps.status) status.close();
      if (!deps.metrics) metrics.close();
    },
  };
}
