/**
 * `POST /api/command` `{"text": "..."}` (bearer token): typed text through
 * `deps.runText` within `commandTimeoutMs`; 200 with the outcome and its events, 202
 * when the device commands wait in the offline queue.
 * @module
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { EarshotEvent } from "../../core/events.ts";
import type { ApiContext, ApiLimits, CommandOutcome } from "../deps.ts";
import { HttpError, readJson } from "../http.ts";
import { requireToken, safeMessage, withTimeout } from "../middleware.ts";

/** The body of a text command, with messages that name the field. */
export function commandSchema(limits: Pick<ApiLimits, "maxTextChars">) {
  return z.object({
    text: z.string({
      error: (iss) => iss.input === undefined ? "required" : "expected a string",
    }).trim().min(1, "must not be empty").max(
      limits.maxTextChars,
      `at most ${limits.maxTextChars} characters`,
    ),
  }, { error: 'expected a JSON object like {"text": "turn on the kitchen light"}' }).strict();
}

/**
 * Register the text command route.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../../core/bus.ts";
 * import { createApp } from "../app.ts";
 * // createApp mounts the routes (commandRoutes(app, ctx)) with the injected text runner.
 * const runText = (text: string) => Promise.resolve({ events: [], understood: text !== "sing" });
 * const api = createApp({ bus: new EventBus(), token: "s3cret", runText });
 * const command = (text: string, token = "s3cret") =>
 *   api.app.request("/api/command", {
 *     method: "POST",
 *     headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
 *     body: JSON.stringify({ text }),
 *   });
 * const res = await command("turn on the kitchen light");
 * assert.equal(res.status, 200);
 * assert.equal((await res.json()).understood, true);
 * assert.equal((await command("turn on the kitchen light", "wrong")).status, 401);
 * api.close();
 * ```
 */
export function commandRoutes(app: Hono, ctx: ApiContext): void {
  const { deps, limits } = ctx;
  const schema = commandSchema(limits);
  app.post("/api/command", async (c) => {
    await requireToken(c, deps.token);
    const body = await readJson(c.req.raw, schema, limits.maxJsonBytes, limits.bodyTimeoutMs);
    if (!deps.runText) {
      throw new HttpError(503, "text commands are not available: the intent router is not running");
    }
    const started = performance.now();
    let outcome: EarshotEvent[] | CommandOutcome;
    try {
      outcome = await withTimeout(deps.runText(body.text), limits.commandTimeoutMs, "command");
    } catch (err) {
      if (err instanceof HttpError) throw err;
      ctx.logError(
        `command ${JSON.stringify(body.text)}: ${err instanceof Error ? err.stack : err}`,
      );
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
}
