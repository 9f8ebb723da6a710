// The route modules and app layers of api/, each alone on a bare Hono app.
import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError } from "../../api/http.ts";
import { useAppLayers, withTimeout } from "../../api/middleware.ts";
import { MetricsCollector } from "../../api/metrics.ts";
import { EventBus } from "../../core/bus.ts";
import { runProbe } from "../../api/routes/health.ts";
import { parseTypes } from "../../api/routes/events.ts";
import { uploadedFile, wavInfo } from "../../api/routes/audio.ts";
import { commandSchema } from "../../api/routes/commands.ts";

const demo = Deno.readFileSync(new URL("../../assets/demo.wav", import.meta.url));

Deno.test("HttpError is Hono's HTTPException with headers; the app layers answer it as JSON with them", async () => {
  const metrics = new MetricsCollector(new EventBus());
  const app = new Hono();
  useAppLayers(app, { metrics, allowedHosts: [], logError: () => {} });
  app.get("/busy", () => {
    throw new HttpError(429, "busy", { "Retry-After": "2" });
  });
  const err = new HttpError(400, "x");
  assert.ok(err instanceof HTTPException);
  const res = await app.request("/busy");
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "2");
  assert.deepEqual(await res.json(), { error: "busy" });
  // secureHeaders, set to earshot's own headers only.
  assert.equal(
    res.headers.get("content-security-policy"),
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  );
  assert.equal(res.headers.get("strict-transport-security"), null);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const foreign = await app.request("http://evil.example/busy");
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();
  metrics.close();
});

Deno.test("withTimeout rejects with a 504 naming the work", async () => {
  const never = new Promise<never>(() => {});
  await assert.rejects(withTimeout(never, 10, "command"), {
    status: 504,
    message: "command timed out after 10 ms",
  });
});

Deno.test("runProbe: booleans, details, throws and hangs all become {ok, detail}", async () => {
  assert.deepEqual(await runProbe(() => true, 100), { ok: true });
  assert.deepEqual(await runProbe(() => ({ ok: false, detail: "no data for 5 s" }), 100), {
    ok: false,
    detail: "no data for 5 s",
  });
  assert.deepEqual(
    await runProbe(() => {
      throw new Error("broker at mqtt://u:pw@h down\nstack");
    }, 100),
    { ok: false, detail: "probe failed: broker at mqtt://h down" },
  );
  assert.deepEqual(await runProbe(() => new Promise(() => {}), 20), {
    ok: false,
    detail: "probe timed out after 20 ms",
  });
});

Deno.test("parseTypes: a known list becomes a set, an unknown type is a 400 naming it", () => {
  assert.equal(parseTypes(undefined), undefined);
  assert.deepEqual(parseTypes("wake, intent"), new Set(["wake", "intent"]));
  assert.throws(() => parseTypes("wake,nope"), { status: 400, message: /"nope"/ });
});

Deno.test("uploads: a multipart file field or the body itself, then its WAV format and length", async () => {
  const plain = await uploadedFile(demo, "audio/wav", "audio/wav", demo.length);
  assert.equal(plain.name, "upload");
  const form = new FormData();
  form.set("file", new File([demo], "demo.wav"));
  const req = new Request("http://x/", { method: "POST", body: form });
  const raw = new Uint8Array(await req.arrayBuffer());
  const type = req.headers.get("content-type")!;
  const part = await uploadedFile(raw, "multipart/form-data", type, demo.length);
  assert.deepEqual([part.name, part.bytes.length], ["demo.wav", demo.length]);
  await assert.rejects(uploadedFile(raw, "multipart/form-data", type, 100), { status: 413 });
  const info = wavInfo(part.bytes, part.name);
  assert.equal(info.format.sampleRate, 16000);
  assert.ok(info.seconds > 1);
  assert.throws(() => wavInfo(new Uint8Array(0), "x"), { status: 400 });
  assert.throws(() => wavInfo(new Uint8Array(64), "x"), { status: 400 });
});

Deno.test("commandSchema names the field: empty, too long, extra keys", () => {
  const schema = commandSchema({ maxTextChars: 5 });
  assert.equal(schema.parse({ text: " hi " }).text, "hi");
  assert.ok(!schema.safeParse({ text: "  " }).success);
  assert.ok(!schema.safeParse({ text: "too long" }).success);
  assert.ok(!schema.safeParse({ text: "hi", x: 1 }).success);
});
