/**
 * The API on a real port (Deno.serve, port 0) wired to the real pipeline:
 * token file creation, auth over the network, SSE streaming while a WAV is
 * processed, body limits on a real socket, and a shutdown that ends open
 * streams.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { startApi } from "../../api/server.ts";
import { SseReader } from "./helpers.ts";
import { DEMO_WAV, MQTT_TEST, pipelineServices, testConfig } from "./wiring.ts";

async function tempDir() {
  return await Deno.makeTempDir({ prefix: "earshot-api-" });
}

Deno.test(
  "real port: token file, auth, SSE during a WAV upload through the real pipeline",
  MQTT_TEST,
  async () => {
    const dir = await tempDir();
    const config = testConfig({ tokenFile: `${dir}/token` });
    const bus = new EventBus();
    const services = await pipelineServices(config, bus);
    const server = await startApi(config, services);
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(server.token.source, "generated");
      assert.equal((await Deno.stat(`${dir}/token`)).mode! & 0o777, 0o600);
      const token = (await Deno.readTextFile(`${dir}/token`)).trim();
      assert.equal(token, server.token.token);

      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 200);
      const checks = (await health.json()).checks;
      assert.equal(checks.models.ok, true);
      assert.equal(checks.mqtt.ok, true);

      const status = await (await fetch(`${server.url}/api/status`)).text();
      assert.ok(!status.includes(token) && !status.includes("secret"), "no secrets in status");
      const doc = JSON.parse(status);
      assert.equal(doc.models[0].kind, "vad");
      assert.ok(doc.models[0].sizeBytes > 1e6);
      assert.ok(doc.models[0].bitWidths["32"] > 0);
      assert.equal(doc.devices.kitchen_light.area, "kitchen");

      const sse = await fetch(`${server.url}/api/events`);
      assert.equal(sse.status, 200);
      const reader = new SseReader(sse.body!);
      assert.match((await reader.nextBlock())!, /: connected/);

      const wav = await Deno.readFile(DEMO_WAV);
      const denied = await fetch(`${server.url}/api/audio`, { method: "POST", body: wav });
      assert.equal(denied.status, 401);
      await denied.body?.cancel();

      const upload = fetch(`${server.url}/api/audio`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "audio/wav" },
        body: wav,
      });
      // The events arrive on the stream while the upload is processed.
      const streamed: EarshotEvent[] = [];
      while (!streamed.some((e) => e.type === "intent")) {
        const m = await reader.next();
        assert.ok(m, "stream ended early");
        streamed.push(m.data as EarshotEvent);
      }
      const res = await upload;
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(body.file.seconds > 4 && body.file.seconds < 6);
      assert.ok(body.realTimeFactor > 0 && body.realTimeFactor < 1, "faster than real time");
      const types = body.events.map((e: EarshotEvent) => e.type);
      assert.deepEqual(
        types.filter((t: string) => t !== "vad"),
        ["wake", "transcript", "intent", "publish", "confirm"],
      );
      assert.equal(types.filter((t: string) => t === "vad").length, 4);
      const intent = body.events.find((e: EarshotEvent) => e.type === "intent");
      assert.equal(intent.name, "TurnOn");
      assert.equal(intent.slots.device, "kitchen_light");
      assert.equal(intent.origin, "asr");
      assert.equal(body.events.at(-1).confirmed, true);
      assert.ok(streamed.some((e) => e.type === "level"), "levels are streamed live");
      assert.ok(streamed.some((e) => e.type === "wake"));

      const cmd = await fetch(`${server.url}/api/command`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ text: "turn off the kitchen light" }),
      });
      assert.equal(cmd.status, 200);
      const cmdBody = await cmd.json();
      assert.equal(cmdBody.understood, true);
      assert.deepEqual(cmdBody.events.map((e: EarshotEvent) => e.type), [
        "intent",
        "publish",
        "confirm",
      ]);
      assert.equal(cmdBody.events[0].name, "TurnOff");
      // Typed commands appear on the stream too.
      let m;
      do m = await reader.next(); while (m && (m.data as EarshotEvent).type !== "intent");
      assert.equal((m!.data as EarshotEvent & { origin: string }).origin, "text");

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /^earshot_upload_realtime_factor_count 1$/m);
      assert.match(metrics, /^earshot_sse_clients 1$/m);

      // Shutdown with the stream still open: the stream ends, close() returns.
      await server.close();
      let rest = 0;
      while (await reader.next() !== null) rest++; // what was already sent, then the end
      assert.ok(rest < 10);
    } finally {
      await server.close();
      await services.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("real port: an oversized upload is refused with 413 before it is processed", async () => {
  const dir = await tempDir();
  const config = parseConfig({
    api: { port: 0, token: "abcdefghijklmnopqrstuvwxyz", maxAudioBytes: 64 * 1024 },
  });
  let calls = 0;
  const server = await startApi(config, {
    bus: new EventBus(),
    runAudio: () => {
      calls++;
      return Promise.resolve([]);
    },
  });
  try {
    assert.equal(server.token.source, "config");
    const big = new Uint8Array(1024 * 1024);
    big.set(new TextEncoder().encode("RIFF\0\0\0\0WAVE"));
    const res = await fetch(`${server.url}/api/audio`, {
      method: "POST",
      headers: { Authorization: "Bearer abcdefghijklmnopqrstuvwxyz", "Content-Type": "audio/wav" },
      body: big,
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error, "audio upload too large: the limit is 64 KiB");
    // Chunked (no Content-Length): cut off while streaming.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 32; i++) c.enqueue(new Uint8Array(8192));
        c.close();
      },
    });
    const res2 = await fetch(`${server.url}/api/audio`, {
      method: "POST",
      headers: { Authorization: "Bearer abcdefghijklmnopqrstuvwxyz", "Content-Type": "audio/wav" },
      body: chunks,
    });
    assert.equal(res2.status, 413);
    await res2.body?.cancel();
    assert.equal(calls, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("real port: a wildcard bind is reported and reachable through loopback", async () => {
  const server = await startApi(
    parseConfig({
      api: { host: "0.0.0.0", lan: true, port: 0, token: "abcdefghijklmnopqrstuvwxyz" },
    }),
    { bus: new EventBus() },
  );
  try {
    assert.equal(server.hostname, "0.0.0.0");
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/health/live`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("real port: a taken port and a bad token file fail with clear errors", async () => {
  const dir = await tempDir();
  const first = await startApi(
    parseConfig({ api: { port: 0, token: "abcdefghijklmnopqrstuvwxyz" } }),
    { bus: new EventBus() },
  );
  try {
    await assert.rejects(
      startApi(
        parseConfig({ api: { port: first.port, token: "abcdefghijklmnopqrstuvwxyz" } }),
        { bus: new EventBus() },
      ),
      new RegExp(
        `^ApiListenError: api: cannot listen on 127.0.0.1:${first.port}: address already in use$`,
      ),
    );
    await Deno.writeTextFile(`${dir}/token`, "abcdefghijklmnopqrstuvwxyz");
    await Deno.chmod(`${dir}/token`, 0o644);
    await assert.rejects(
      startApi(parseConfig({ api: { port: 0, tokenFile: `${dir}/token` } }), {
        bus: new EventBus(),
      }),
      /token file is accessible by other users \(mode 0644\)/,
    );
  } finally {
    await first.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("real port: a client that goes away is unsubscribed; keep-alives reach open clients", async () => {
  const config = parseConfig({ api: { port: 0, token: "abcdefghijklmnopqrstuvwxyz" } });
  const bus = new EventBus();
  const server = await startApi(config, { bus });
  // Keep-alives every 1 s is the configured minimum; use a hub-level override for speed.
  server.api.hub.options.keepAliveMs = 50;
  try {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/api/events?types=wake`, { signal: abort.signal });
    const reader = new SseReader(res.body!);
    assert.match((await reader.nextBlock())!, /: connected/);
    assert.equal(server.api.hub.clients, 1);
    assert.equal(await reader.nextBlock(), ": keep-alive");
    abort.abort();
    await reader.cancel().catch(() => {});
    const deadline = Date.now() + 3000;
    while (server.api.hub.clients > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      bus.emit({ type: "wake", t: 0, model: "m", phrase: "p", score: 1, sample: 0 });
    }
    assert.equal(server.api.hub.clients, 0, "the server noticed the disconnect");
  } finally {
    await server.close();
  }
});
