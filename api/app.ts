/**
 * The Hono app of the status API and dashboard, built only from injected
 * dependencies (the event bus, probes, `runText`, `runAudio`, ...): it never
 * reaches into a stage, so tests drive it with `app.request()` and the CLI
 * wires the real pipeline. See {@link createApp} for the routes.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import type { EventBus } from "../core/bus.ts";
import { type Config, DEFAULTS } from "../core/config.ts";
import type { EarshotEvent } from "../core/events.ts";
import { parseWavHeader, WavError } from "../audio/wav.ts";
import { HttpError, mediaType, readBodyLimited, readJson } from "./http.ts";
import { MetricsCollector, PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";
import { EVENT_TYPES, SseHub, type SseOptions, TooManyClientsError } from "./sse.ts";
import { buildStatus, redactUrl, StatusCollector, type StatusInfo } from "./status.ts";
import { tokensEqual } from "./token.ts";
import { round3 } from "../core/math.ts";

/** The outcome of a text command, when the runner knows more than its events. */
export interface CommandOutcome {
  /** The command's correlation id (the `session` of its events). */
  session?: string;
  /** The events the command caused (intent, publish, confirm, error). */
  events: EarshotEvent[];
  /** False when no intent matched the text. */
  understood?: boolean;
  /** A spoken-style answer for queries ("the kitchen light is on"). */
  answer?: string;
  /** Problems ("no lights in the garage"). */
  errors?: string[];
  /** Why nothing was done on purpose. */
  skipped?: string;
  /**
   * Set when the broker is down and the command waits in the offline queue (answered 202 at
   * once): how many device commands, the last one's place in the queue, and when the first
   * expires unsent.
   */
  queued?: { commands: number; position: number; expiresAt?: string; expiresInMs?: number };
}

/**
 * Runs typed text through the intent router; resolves with the events it
 * caused, or a {@link CommandOutcome} (see api/commands.ts for the devices runtime).
 */
export type RunText = (text: string) => Promise<EarshotEvent[] | CommandOutcome>;
/** Runs a whole WAV file through the pipeline; resolves with the events it caused. */
export type RunAudio = (bytes: Uint8Array) => Promise<EarshotEvent[] | AudioOutcome>;

/** The outcome of an upload, when the runner measures the pipeline apart from what follows. */
export interface AudioOutcome {
  /** The upload's correlation id (the `session` of its events). */
  session?: string;
  events: EarshotEvent[];
  /** Wall ms of the pipeline alone (not the device confirmations waited for after it). */
  pipelineMs?: number;
}

/** Result of one health probe. */
export interface ProbeResult {
  ok: boolean;
  /** Short human-readable detail ("connected to mqtt://host:1883", "no data for 5 s"). */
  detail?: string;
}
/** A readiness check, e.g. "audio source alive", "models loaded", "MQTT connected". */
export type HealthProbe = () => boolean | ProbeResult | Promise<boolean | ProbeResult>;

/** Size and time limits of the API. */
export interface ApiLimits {
  /** Largest WAV upload, bytes. */
  maxAudioBytes: number;
  /** Largest JSON body, bytes. */
  maxJsonBytes: number;
  /** Longest command text, characters. */
  maxTextChars: number;
  /** Time allowed for one text command, ms. */
  commandTimeoutMs: number;
  /** Time allowed for one uploaded file, ms. */
  audioTimeoutMs: number;
  /** Time allowed for one health probe, ms. */
  probeTimeoutMs: number;
  /** Time for a request body to arrive completely, ms (then 408). */
  bodyTimeoutMs: number;
  /** Uploads whose bodies may be read at once (processing is one at a time). */
  maxUploadReads: number;
}

/** Default limits: the config schema's (`api` section). */
export const DEFAULT_LIMITS: ApiLimits = apiLimits(DEFAULTS);

/** The limits of a configuration's `api` section. */
export function apiLimits(config: Pick<Config, "api">): ApiLimits {
  const c = config.api;
  return {
    maxAudioBytes: c.maxAudioBytes,
    maxJsonBytes: c.maxJsonBytes,
    maxTextChars: c.maxTextChars,
    commandTimeoutMs: c.commandTimeoutMs,
    audioTimeoutMs: c.audioTimeoutMs,
    probeTimeoutMs: c.probeTimeoutMs,
    bodyTimeoutMs: c.bodyTimeoutMs,
    maxUploadReads: c.maxUploadReads,
  };
}

/** What the app is built from. Only `bus` and `token` are required. */
export interface ApiDeps {
  /** The event bus every stage emits on. */
  bus: EventBus;
  /** Bearer token for mutating endpoints (see api/token.ts). */
  token: string;
  /** earshot version shown in status and metrics. */
  version?: string;
  /** Information events cannot tell: audio source, models, MQTT, known devices. */
  info?: () => StatusInfo | Promise<StatusInfo>;
  /** Readiness checks by name ("audio", "models", "mqtt"). */
  probes?: Record<string, HealthProbe>;
  /** Text command runner; absent: POST /api/command answers 503. */
  runText?: RunText;
  /** Whole-file pipeline runner; absent: POST /api/audio answers 503. */
  runAudio?: RunAudio;
  /** Live real-time factor of the running pipeline, for /metrics. */
  realTimeFactor?: () => number | undefined;
  /** Seconds of audio the live pipeline has taken in (its sample counter), for /metrics. */
  liveAudioSeconds?: () => number;
  /** The MQTT link's state and offline-queue counts, for /metrics. */
  mqtt?: () => { state: string; queued: number; dropped: number };
  limits?: Partial<ApiLimits>;
  sse?: Partial<SseOptions>;
  /** Collectors, when the caller made them earlier; created from the bus otherwise. */
  status?: StatusCollector;
  metrics?: MetricsCollector;
  /**
   * Host names accepted besides loopback names and IP literals (from api.host and
   * api.allowedHosts); "*" accepts every Host. Other Host headers get 403 (DNS rebinding).
   */
  allowedHosts?: string[];
  /** Where server-side errors go (full detail stays here, never in responses). */
  logError?: (message: string) => void;
}

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

const STATIC_FILES: Record<string, string> = {
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
};

function loadStatic(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of ["index.html", ...Object.keys(STATIC_FILES)]) {
    files.set(name, Deno.readTextFileSync(new URL(`./static/${name}`, import.meta.url)));
  }
  return files;
}

/** Routes and their methods, for 405 answers and metric labels. */
const ROUTES: Record<string, string[]> = {
  "/": ["GET"],
  "/static/:file": ["GET"],
  "/health": ["GET"],
  "/health/live": ["GET"],
  "/api/status": ["GET"],
  "/metrics": ["GET"],
  "/api/events": ["GET"],
  "/api/command": ["POST"],
  "/api/audio": ["POST"],
};

/** Methods that get their own metric label (anything else is "other": bounded labels). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

function routeLabel(path: string): string {
  if (path in ROUTES) return path;
  if (path.startsWith("/static/")) return "/static/:file";
  return "other";
}

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether a Host is safe to answer: an IP literal (DNS rebinding needs a name),
 * localhost or *.localhost, or one of `allowed` (case-insensitive, port ignored).
 */
export function hostAllowed(hostname: string, allowed: readonly string[]): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (allowed.includes("*")) return true;
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.startsWith("[")) return true;
  return allowed.some((a) => a.toLowerCase().replace(/\.$/, "") === h);
}

function safeMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // One line, bounded, no credentials.
  return redactUrl(msg.split("\n")[0]).slice(0, 300);
}

const AUDIO_TYPES = new Set([
  "",
  "audio/wav",
  "audio/x-wav",
  "audio/wave",
  "audio/vnd.wave",
  "application/octet-stream",
]);

/**
 * Build the app. Routes:
 * - `GET /` dashboard (static, offline), `GET /static/:file`
 * - `GET /health` readiness (200/503 with every probe), `GET /health/live` liveness
 * - `GET /api/status` status document, `GET /metrics` Prometheus text
 * - `GET /api/events` SSE (`?types=wake,intent`, `?replay=N`, `Last-Event-ID`)
 * - `POST /api/command` `{text}` and `POST /api/audio` (WAV body or multipart `file`),
 *   both with `Authorization: Bearer <token>`
 */
export function createApp(deps: ApiDeps): ApiApp {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const version = deps.version ?? "dev";
  const startedAt = Date.now();
  const logError = deps.logError ?? ((m: string) => console.error(`earshot api: ${m}`));
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
  const files = loadStatic();
  let audioBusy = false;
  let uploadReads = 0;

  const app = new Hono();

  const allowedHosts = deps.allowedHosts ?? [];
  app.use("*", async (c, next) => {
    const start = performance.now();
    const host = new URL(c.req.url).hostname;
    if (hostAllowed(host, allowedHosts)) await next();
    else {
      await c.req.raw.body?.cancel().catch(() => {});
      c.res = c.json({
        error: `host not allowed: ${JSON.stringify(host.slice(0, 100))} ` +
          "(add it to api.allowedHosts)",
      }, 403);
    }
    const h = c.res.headers;
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
    if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", CSP);
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    metrics.observeRequest(
      METHODS.has(c.req.method) ? c.req.method : "other",
      routeLabel(c.req.path),
      c.res.status,
      (performance.now() - start) / 1000,
    );
  });

  app.onError((err, c) => {
    if (err instanceof HttpError) {
      return c.json({ error: err.message }, err.status as 400, err.headers);
    }
    logError(`${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : err}`);
    return c.json({ error: "internal error (details are in the server log)" }, 500);
  });

  app.notFound((c) => c.json({ error: `not found: ${c.req.method} ${c.req.path}` }, 404));

  const requireToken = async (c: Context) => {
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
    const ok = m ? await tokensEqual(m[1], deps.token) : false;
    if (!ok) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new HttpError(
        401,
        m ? "invalid bearer token" : "malformed Authorization header: expected Bearer <token>",
        { "WWW-Authenticate": `${challenge}, error="invalid_token"` },
      );
    }
  };

  // Dashboard.
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

  // Health.
  const runProbe = async (probe: HealthProbe) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await Promise.race([
        Promise.resolve().then(probe),
        new Promise<ProbeResult>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({ ok: false, detail: `probe timed out after ${limits.probeTimeoutMs} ms` }),
            limits.probeTimeoutMs,
          );
        }),
      ]);
      return typeof result === "boolean" ? { ok: result } : {
        ok: result.ok === true,
        ...(result.detail ? { detail: safeMessage(result.detail) } : {}),
      };
    } catch (err) {
      return { ok: false, detail: `probe failed: ${safeMessage(err)}` };
    } finally {
      clearTimeout(timer);
    }
  };
  app.get("/health", async (c) => {
    const names = Object.keys(deps.probes ?? {});
    const results = await Promise.all(names.map((n) => runProbe(deps.probes![n])));
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
    const ready = results.every((r) => r.ok);
    return c.json({
      status: ready ? "ok" : "unavailable",
      live: true,
      ready,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
      checks,
    }, ready ? 200 : 503);
  });
  app.get("/health/live", (c) => c.json({ status: "ok", live: true }));

  // Status and metrics.
  app.get("/api/status", async (c) => {
    let info: StatusInfo = {};
    try {
      info = (await deps.info?.()) ?? {};
    } catch (err) {
      logError(`status info failed: ${safeMessage(err)}`);
    }
    const doc = buildStatus(status, info, { version, startedAt });
    return c.json({
      ...doc,
      api: { sseClients: hub.clients, audioBusy, limits },
    });
  });
  app.get("/metrics", (c) => {
    return c.body(metrics.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });

  // Live events.
  app.get("/api/events", (c) => {
    const q = c.req.query();
    let types: Set<string> | undefined;
    if (q.types !== undefined) {
      const list = q.types.split(",").map((s) => s.trim()).filter(Boolean);
      const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (!list.length || unknown.length) {
        throw new HttpError(
          400,
          `types: unknown event type ${JSON.stringify(unknown[0] ?? q.types)} ` +
            `(known: ${EVENT_TYPES.join(", ")})`,
        );
      }
      types = new Set(list);
    }
    const intParam = (name: string, raw: string | undefined) => {
      if (raw === undefined) return undefined;
      if (!/^\d{1,15}$/.test(raw)) {
        throw new HttpError(
          400,
          `${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`,
        );
      }
      return Number(raw);
    };
    const replay = intParam("replay", q.replay);
    const lastEventId = intParam("Last-Event-ID", c.req.header("last-event-id")) ??
      intParam("lastEventId", q.lastEventId);
    const headers = {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    };
    // HEAD: headers only; never open a stream nobody reads.
    if (c.req.method === "HEAD") return c.body(null, 200, headers);
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = hub.subscribe({ types, replay, lastEventId });
    } catch (err) {
      if (err instanceof TooManyClientsError) {
        throw new HttpError(503, err.message, { "Retry-After": "5" });
      }
      throw err;
    }
    return c.body(stream, 200, headers);
  });

  // Text commands.
  const commandSchema = z.object({
    text: z.string({
      error: (iss) => iss.input === undefined ? "required" : "expected a string",
    }).trim().min(1, "must not be empty").max(
      limits.maxTextChars,
      `at most ${limits.maxTextChars} characters`,
    ),
  }, { error: 'expected a JSON object like {"text": "turn on the kitchen light"}' }).strict();

  app.post("/api/command", async (c) => {
    await requireToken(c);
    const body = await readJson(
      c.req.raw,
      commandSchema,
      limits.maxJsonBytes,
      limits.bodyTimeoutMs,
    );
    if (!deps.runText) {
      throw new HttpError(503, "text commands are not available: the intent router is not running");
    }
    const started = performance.now();
    let outcome: EarshotEvent[] | CommandOutcome;
    try {
      outcome = await withTimeout(deps.runText(body.text), limits.commandTimeoutMs, "command");
    } catch (err) {
      if (err instanceof HttpError) throw err;
      logError(`command ${JSON.stringify(body.text)}: ${err instanceof Error ? err.stack : err}`);
      throw new HttpError(500, `command failed: ${safeMessage(err)}`);
    }
    const result: CommandOutcome = Array.isArray(outcome) ? { events: outcome } : outcome;
    const understood = result.understood ?? result.events.some((e) => e.type === "intent");
    return c.json({
      text: body.text,
      ...(result.session !== undefined ? { session: result.session } : {}),
      understood,
      ...(result.answer !== undefined ? { answer: result.answer } : {}),
      errors: result.errors ?? [],
      ...(result.skipped !== undefined ? { skipped: result.skipped } : {}),
      ...(result.queued ? { status: "queued", queued: result.queued } : {}),
      wallMs: Math.round((performance.now() - started) * 10) / 10,
      events: result.events,
    }, result.queued ? 202 : 200);
  });

  // Audio uploads: one at a time (a Pi has little CPU to spare next to the live pipeline).
  app.post("/api/audio", async (c) => {
    await requireToken(c);
    const levels = c.req.query("levels");
    if (levels !== undefined && !["0", "1", "true", "false"].includes(levels)) {
      throw new HttpError(
        400,
        `levels: expected 0, 1, true or false, got ${JSON.stringify(levels)}`,
      );
    }
    const type = mediaType(c.req.raw);
    if (!AUDIO_TYPES.has(type) && type !== "multipart/form-data") {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new HttpError(
        415,
        `expected a WAV body (Content-Type audio/wav) or multipart/form-data with a "file" field, ` +
          `got ${JSON.stringify(type)}`,
      );
    }
    if (!deps.runAudio) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new HttpError(503, "audio uploads are not available: the pipeline is not running");
    }
    // Bodies are read side by side (a slow sender holds only its own slot, for at most
    // bodyTimeoutMs); the pipeline takes one file at a time.
    if (uploadReads >= limits.maxUploadReads) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new HttpError(
        429,
        `${uploadReads} audio uploads are arriving; retry when one is done`,
        { "Retry-After": "2", Connection: "close" },
      );
    }
    let raw: Uint8Array<ArrayBuffer>;
    uploadReads++;
    try {
      // Multipart adds a little framing; allow 64 KiB of it.
      raw = await readBodyLimited(
        c.req.raw,
        limits.maxAudioBytes + (type === "multipart/form-data" ? 65536 : 0),
        "audio upload",
        limits.bodyTimeoutMs,
      );
    } finally {
      uploadReads--;
    }
    if (audioBusy) {
      throw new HttpError(429, "another audio upload is being processed; retry when it is done", {
        "Retry-After": "2",
      });
    }
    audioBusy = true;
    try {
      let bytes = raw;
      let name = "upload";
      if (type === "multipart/form-data") {
        let form: FormData;
        try {
          form = await new Response(raw, {
            headers: { "content-type": c.req.header("content-type")! },
          }).formData();
        } catch (err) {
          throw new HttpError(400, `invalid multipart body: ${safeMessage(err)}`);
        }
        const file = form.get("file");
        if (!(file instanceof File)) {
          throw new HttpError(400, 'multipart body has no file field named "file"');
        }
        if (file.size > limits.maxAudioBytes) {
          throw new HttpError(
            413,
            `audio upload too large: the limit is ${limits.maxAudioBytes} bytes`,
          );
        }
        bytes = new Uint8Array(await file.arrayBuffer());
        name = file.name || name;
      }
      if (!bytes.length) throw new HttpError(400, "empty body: expected a WAV file");
      let seconds: number;
      let format;
      try {
        const header = parseWavHeader(bytes, name);
        format = header.format;
        const dataBytes = header.dataBytes ?? bytes.length - header.dataStart;
        seconds = dataBytes / format.blockAlign / format.sampleRate;
      } catch (err) {
        if (err instanceof WavError) throw new HttpError(400, err.message);
        throw err;
      }
      const started = performance.now();
      let outcome: EarshotEvent[] | AudioOutcome;
      try {
        outcome = await withTimeout(
          deps.runAudio(bytes),
          limits.audioTimeoutMs,
          "audio processing",
        );
      } catch (err) {
        if (err instanceof HttpError) throw err;
        if (err instanceof WavError) throw new HttpError(400, err.message);
        logError(`audio upload ${name}: ${err instanceof Error ? err.stack : err}`);
        throw new HttpError(500, `audio processing failed: ${safeMessage(err)}`);
      }
      const wallMs = performance.now() - started;
      const { events, pipelineMs = wallMs, session } = Array.isArray(outcome)
        ? { events: outcome, session: undefined }
        : outcome;
      metrics.observeUpload(seconds, pipelineMs / 1000);
      const keepLevels = levels === "1" || levels === "true";
      return c.json({
        file: {
          name,
          sampleRate: format.sampleRate,
          channels: format.channels,
          bitsPerSample: format.bitsPerSample,
          encoding: format.encoding,
          seconds: round3(seconds),
        },
        ...(session !== undefined ? { session } : {}),
        wallMs: Math.round(wallMs * 10) / 10,
        pipelineMs: Math.round(pipelineMs * 10) / 10,
        /** Pipeline seconds per audio second. */
        realTimeFactor: seconds > 0 ? Math.round((pipelineMs / 1000 / seconds) * 1e4) / 1e4 : null,
        events: keepLevels ? events : events.filter((e) => e.type !== "level"),
      });
    } finally {
      audioBusy = false;
    }
  });

  // Known paths with the wrong method: 405 with Allow (OPTIONS: 204 with Allow).
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

  return {
    app,
    hub,
    status,
    metrics,
    limits,
    close() {
      hub.close();
      if (!deps.status) status.close();
      if (!deps.metrics) metrics.close();
    },
  };
}
