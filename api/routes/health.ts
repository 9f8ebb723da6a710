/**
 * `GET /health` (readiness: every probe, each bounded by `probeTimeoutMs`; 200 or 503)
 * and `GET /health/live` (liveness).
 * @module
 */
import type { Hono } from "hono";
import type { ApiContext, HealthProbe, ProbeResult } from "../deps.ts";
import { safeMessage } from "../middleware.ts";

/**
 * Run one probe: a boolean or {@link ProbeResult}, never longer than `timeoutMs`, a throw
 * or a timeout read as not ok with the reason.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const audio = await runProbe(() => ({ ok: false, detail: "no data for 5 s" }), 1000);
 * assert.deepEqual(audio, { ok: false, detail: "no data for 5 s" });
 * assert.deepEqual(await runProbe(() => true, 1000), { ok: true });
 * const stuck = await runProbe(() => new Promise<boolean>(() => {}), 50);
 * assert.equal(stuck.ok, false); // a probe that never answers fails after the timeout
 * ```
 */
export async function runProbe(probe: HealthProbe, timeoutMs: number): Promise<ProbeResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(probe),
      new Promise<ProbeResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `probe timed out after ${timeoutMs} ms` }),
          timeoutMs,
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
}

/** Register the health routes (the probes are `ctx.deps.probes`). */
export function healthRoutes(app: Hono, ctx: ApiContext): void {
  app.get("/health", async (c) => {
    const probes = ctx.deps.probes ?? {};
    const names = Object.keys(probes);
    const results = await Promise.all(
      names.map((n) => runProbe(probes[n], ctx.limits.probeTimeoutMs)),
    );
    const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
    const ready = results.every((r) => r.ok);
    return c.json({
      status: ready ? "ok" : "unavailable",
      live: true,
      ready,
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      checks,
    }, ready ? 200 : 503);
  });
  app.get("/health/live", (c) => c.json({ status: "ok", live: true }));
}
