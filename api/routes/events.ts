/**
 * `GET /api/events`: the live event stream (SSE), filtered by `?types=wake,intent`, with
 * `?replay=N` past events or a resume after `Last-Event-ID`; 503 with Retry-After when
 * too many clients are connected.
 * @module
 */
import type { Hono } from "hono";
import type { ApiContext } from "../deps.ts";
import { HttpError } from "../http.ts";
import { EVENT_TYPES, TooManyClientsError } from "../sse.ts";

/** The `types` filter: a set of known event types, or a 400 naming the unknown one. */
export function parseTypes(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (!list.length || unknown.length) {
    throw new HttpError(
      400,
      `types: unknown event type ${JSON.stringify(unknown[0] ?? raw)} ` +
        `(known: ${EVENT_TYPES.join(", ")})`,
    );
  }
  return new Set(list);
}

function intParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new HttpError(
      400,
      `${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

/**
 * Register the event stream route on `ctx.hub`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../../core/bus.ts";
 * import { createApp } from "../app.ts";
 * const bus = new EventBus();
 * const api = createApp({ bus, token: "s3cret" }); // mounts eventRoutes(app, ctx)
 * bus.emit({ type: "vad", t: 0.5, state: "start", sample: 8000, probability: 0.9 });
 * const phrase = "hey computer";
 * bus.emit({ type: "wake", t: 1, model: "hey_computer", phrase, score: 0.9, sample: 16000 });
 * const res = await api.app.request("/api/events?types=wake&replay=10");
 * assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
 * const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
 * let text = "";
 * while (!text.includes("data:")) text += (await reader.read()).value;
 * assert.match(text, /"type":"wake"/); // replayed; the vad event is not of the types asked
 * assert.doesNotMatch(text, /"type":"vad"/);
 * await reader.cancel();
 * api.close();
 * ```
 */
export function eventRoutes(app: Hono, ctx: ApiContext): void {
  app.get("/api/events", (c) => {
    const q = c.req.query();
    const types = parseTypes(q.types);
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
      stream = ctx.hub.subscribe({ types, replay, lastEventId });
    } catch (err) {
      if (err instanceof TooManyClientsError) {
        throw new HttpError(503, err.message, { "Retry-After": "5" });
      }
      throw err;
    }
    return c.body(stream, 200, headers);
  });
}
