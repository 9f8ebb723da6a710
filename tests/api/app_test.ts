/**
 * Every route and every error of the API through `app.request()` (no server).
 */
import assert from "node:assert/strict";
import { WavError } from "../../audio/wav.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { AUTH, emitAll, makeApp, SseReader, TOKEN, toneWav, utteranceEvents } from "./helpers.ts";

const json = (body: unknown, headers: Record<string, string> = AUTH) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const wav = (bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string> = AUTH) => ({
  method: "POST",
  headers: { "Content-Type": "audio/wav", ...headers },
  body: bytes,
});

async function errorOf(res: Response): Promise<string> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json();
  assert.equal(typeof body.error, "string");
  assert.doesNotMatch(body.error, /\n\s+at /, "no stack trace in responses");
  return body.error;
}

Deno.test("GET / serves the offline dashboard with a strict CSP", async () => {
  const { app, api } = makeApp();
  try {
    const res = await app.request("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /text\/html/);
    const csp = res.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    const html = await res.text();
    assert.match(html, /<canvas id="plot"/);
    assert.match(html, /src="\/static\/dashboard.js"/);
    // No CDN: every src/href is local (or a data: URL).
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) {
      assert.ok(url.startsWith("/") || url.startsWith("data:"), `external reference ${url}`);
    }
    for (const file of ["dashboard.js", "dashboard.css"]) {
      const r = await app.request(`/static/${file}`);
      assert.equal(r.status, 200, file);
      assert.match(r.headers.get("content-type")!, file.endsWith(".js") ? /javascript/ : /css/);
      const text = await r.text();
      assert.doesNotMatch(text, /https?:\/\//, `${file} references no remote URL`);
    }
    const missing = await app.request("/static/evil.js");
    assert.equal(missing.status, 404);
    assert.match(await errorOf(missing), /not found: GET \/static\/evil.js/);
    const traversal = await app.request("/static/..%2Fapp.ts");
    assert.equal(traversal.status, 404);
    await traversal.body?.cancel();
  } finally {
    api.close();
  }
});

Deno.test("GET /health is 200 when every probe passes and 503 naming the failing ones", async () => {
  let mqttUp = true;
  const { app, api } = makeApp({
    probes: {
      audio: () => true,
      models: () => ({ ok: true, detail: "3 models loaded" }),
      mqtt: () => mqttUp ? { ok: true } : { ok: false, detail: "disconnected from mqtt://u:pw@h" },
    },
  });
  try {
    let res = await app.request("/health");
    assert.equal(res.status, 200);
    let body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.ready, true);
    assert.equal(body.live, true);
    assert.deepEqual(body.checks, {
      audio: { ok: true },
      models: { ok: true, detail: "3 models loaded" },
      mqtt: { ok: true },
    });
    mqttUp = false;
    res = await app.request("/health");
    assert.equal(res.status, 503);
    body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.equal(body.ready, false);
    assert.deepEqual(body.checks.mqtt, { ok: false, detail: "disconnected from mqtt://h" });
    assert.equal(body.checks.audio.ok, true);
    // Liveness does not depend on the probes.
    const live = await app.request("/health/live");
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok", live: true });
  } finally {
    api.close();
  }
});

Deno.test("GET /health reports throwing and hanging probes as failed, without stacks", async () => {
  let release!: () => void;
  const hang = new Promise<boolean>((resolve) => (release = () => resolve(true)));
  const { app, api } = makeApp({
    limits: { probeTimeoutMs: 30 },
    probes: {
      models: () => {
        throw new Error("session closed\n    at secret/place.ts:1:1");
      },
      audio: () => hang,
    },
  });
  try {
    const res = await app.request("/health");
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.deepEqual(body.checks.models, { ok: false, detail: "probe failed: session closed" });
    assert.deepEqual(body.checks.audio, { ok: false, detail: "probe timed out after 30 ms" });
  } finally {
    release();
    api.close();
  }
});

Deno.test("GET /health with no probes configured is ready", async () => {
  const { app, api } = makeApp();
  try {
    const res = await app.request("/health");
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).checks, {});
  } finally {
    api.close();
  }
});

Deno.test("GET /api/status reports models, last events with latencies, devices and counters", async () => {
  const { app, api, bus } = makeApp({
    info: () => ({
      audio: { kind: "mic", device: "plughw:1,0" },
      models: [{
        id: "hey_computer",
        kind: "wake",
        file: "models/hey_computer.onnx",
        sizeBytes: 81234,
        bitWidths: { "4": 20000, "32": 128 },
        thresholds: { wake: 0.6 },
      }],
      mqtt: {
        connected: true,
        url: "mqtts://earshot:hunter2@broker.lan:8883",
        queued: 0,
        password: "hunter2",
      },
      devices: { hall_light: { state: { state: "OFF" } } },
    }),
  });
  try {
    emitAll(bus, utteranceEvents());
    const res = await app.request("/api/status");
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(!text.includes("hunter2"), "no MQTT password");
    assert.ok(!text.includes(TOKEN), "no API token");
    const s = JSON.parse(text);
    assert.equal(s.version, "1.2.3-test");
    assert.equal(typeof s.uptimeSeconds, "number");
    assert.equal(s.audio.kind, "mic");
    assert.equal(s.audio.state, "ended");
    assert.equal(s.audio.source, "upload");
    assert.equal(s.models[0].bitWidths["4"], 20000);
    assert.equal(s.models[0].thresholds.wake, 0.6);
    assert.equal(s.mqtt.url, "mqtts://broker.lan:8883");
    assert.equal(s.mqtt.connected, true);
    assert.equal(s.mqtt.password, undefined);
    assert.equal(s.last.wake.event.score, 0.82);
    assert.equal(s.last.transcript.decodeMs, 12.5);
    assert.equal(s.last.transcript.endpointDelayMs, 150);
    assert.equal(s.last.intent.event.name, "TurnOn");
    assert.equal(s.last.intent.sinceWakeMs, 1450);
    assert.equal(typeof s.last.publish.sinceIntentWallMs, "number");
    assert.equal(s.last.confirm.event.latencyMs, 42);
    assert.deepEqual(s.devices.kitchen_light.state, { state: "ON" });
    assert.equal(s.devices.kitchen_light.confirmed, true);
    assert.deepEqual(s.devices.hall_light.state, { state: "OFF" });
    assert.equal(s.counters.events.level, 2);
    assert.deepEqual(s.counters.wakes, { hey_computer: 1 });
    assert.deepEqual(s.counters.transcripts, { accepted: 1, rejected: 0 });
    assert.deepEqual(s.counters.publishes, { sent: 1, queued: 0 });
    assert.equal(s.api.sseClients, 0);
  } finally {
    api.close();
  }
});

Deno.test("GET /api/status still answers when the info provider fails", async () => {
  const { app, api, errors } = makeApp({
    info: () => {
      throw new Error("registry gone");
    },
  });
  try {
    const res = await app.request("/api/status");
    assert.equal(res.status, 200);
    const s = await res.json();
    assert.deepEqual(s.models, []);
    assert.equal(s.mqtt, null);
    assert.match(errors.join("\n"), /status info failed: registry gone/);
  } finally {
    api.close();
  }
});

Deno.test("GET /metrics serves Prometheus text with counters, histograms, RTF and RSS", async () => {
  const { app, api, bus } = makeApp();
  try {
    emitAll(bus, utteranceEvents());
    const up = await app.request("/api/audio", wav(toneWav(1)));
    assert.equal(up.status, 503); // no runAudio: still counted as a request
    await up.body?.cancel();
    const res = await app.request("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.match(text, /^earshot_events_total\{type="wake"\} 1$/m);
    assert.match(text, /^earshot_wake_total\{model="hey_computer"\} 1$/m);
    assert.match(text, /^earshot_intents_total\{name="TurnOn",origin="asr"\} 1$/m);
    assert.match(text, /^earshot_asr_decode_seconds_bucket\{le="0.025"\} 1$/m);
    assert.match(text, /^earshot_asr_decode_seconds_count 1$/m);
    assert.match(text, /^earshot_confirm_latency_seconds_sum 0.042$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    assert.match(text, /^# TYPE earshot_realtime_factor gauge$/m);
    assert.match(
      text,
      /^earshot_http_requests_total\{method="POST",route="\/api\/audio",status="503"\} 1$/m,
    );
    assert.match(text, /^earshot_build_info\{version="1.2.3-test"\} 1$/m);
  } finally {
    api.close();
  }
});

Deno.test("GET /api/events streams bus events as SSE and unsubscribes on disconnect", async () => {
  const { app, api, bus } = makeApp();
  try {
    const res = await app.request("/api/events");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const reader = new SseReader(res.body!);
    assert.match((await reader.nextBlock())!, /^retry: \d+\n: connected$/);
    assert.equal(api.hub.clients, 1);
    const events = emitAll(bus, utteranceEvents());
    for (const expected of events) {
      const msg = await reader.next();
      assert.deepEqual(msg!.data, expected);
    }
    await reader.cancel();
    assert.equal(api.hub.clients, 0);
  } finally {
    api.close();
  }
});

Deno.test("GET /api/events filters by ?types= and replays with ?replay= and Last-Event-ID", async () => {
  const { app, api, bus } = makeApp();
  try {
    emitAll(bus, utteranceEvents()); // ids 1..11, levels not kept for replay
    const filtered = await app.request("/api/events?types=wake,intent&replay=100");
    const r1 = new SseReader(filtered.body!);
    assert.deepEqual((await r1.next())!.data, utteranceEvents()[4]);
    const intent = await r1.next();
    assert.equal((intent!.data as EarshotEvent).type, "intent");
    assert.equal(intent!.id, 7);
    bus.emit({ type: "vad", t: 5, state: "start", sample: 80000, probability: 0.9 });
    bus.emit({
      type: "intent",
      t: 6,
      name: "stop",
      slots: {},
      confidence: 1,
      text: "x",
      origin: "text",
    });
    assert.equal(((await r1.next())!.data as EarshotEvent).t, 6);
    await r1.cancel();

    const resumed = await app.request("/api/events", { headers: { "Last-Event-ID": "9" } });
    const r2 = new SseReader(resumed.body!);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await r2.next())!.id);
    assert.deepEqual(ids, [10, 11, 12, 13]);
    await r2.cancel();
    assert.equal(api.hub.clients, 0);
  } finally {
    api.close();
  }
});

Deno.test("GET /api/events rejects bad parameters with 400; HEAD opens no stream", async () => {
  const { app, api } = makeApp();
  try {
    let res = await app.request("/api/events?types=wake,bogus");
    assert.equal(res.status, 400);
    assert.match(await errorOf(res), /types: unknown event type "bogus" \(known: source, vad/);
    res = await app.request("/api/events?types=");
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await app.request("/api/events?replay=-1");
    assert.equal(res.status, 400);
    assert.match(await errorOf(res), /replay: expected a non-negative integer, got "-1"/);
    res = await app.request("/api/events", { headers: { "Last-Event-ID": "abc" } });
    assert.equal(res.status, 400);
    assert.match(await errorOf(res), /Last-Event-ID: expected a non-negative integer/);
    res = await app.request("/api/events", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(api.hub.clients, 0);
  } finally {
    api.close();
  }
});

Deno.test("GET /api/events answers 503 when the client limit is reached", async () => {
  const { app, api } = makeApp({ sse: { maxClients: 1 } });
  try {
    const first = await app.request("/api/events");
    const res = await app.request("/api/events");
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.match(await errorOf(res), /too many event stream clients \(1\)/);
    await first.body!.cancel();
  } finally {
    api.close();
  }
});

Deno.test("POST /api/command runs the text and returns its events", async () => {
  const seen: string[] = [];
  const { app, api, bus } = makeApp({
    runText: (text) => {
      seen.push(text);
      return Promise.resolve(emitAll(bus, [{
        type: "intent",
        t: 0,
        name: "TurnOn",
        slots: { device: "kitchen_light" },
        confidence: 1,
        text,
        origin: "text",
      }]));
    },
  });
  try {
    const res = await app.request("/api/command", json({ text: "  turn on the kitchen light " }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.text, "turn on the kitchen light");
    assert.equal(body.understood, true);
    assert.deepEqual(body.errors, []);
    assert.equal(body.events.length, 1);
    assert.equal(body.events[0].name, "TurnOn");
    assert.equal(typeof body.wallMs, "number");
    assert.deepEqual(seen, ["turn on the kitchen light"]);
    // Content-Type parameters are fine.
    const res2 = await app.request("/api/command", {
      ...json({ text: "stop" }),
      headers: { ...AUTH, "Content-Type": "application/json; charset=utf-8" },
    });
    assert.equal(res2.status, 200);
    await res2.body?.cancel();
  } finally {
    api.close();
  }
});

Deno.test("POST /api/command without a valid bearer token is 401 and runs nothing", async () => {
  let calls = 0;
  const { app, api } = makeApp({
    runText: () => {
      calls++;
      return Promise.resolve([]);
    },
  });
  try {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /missing bearer token/],
      [{ Authorization: "Bearer wrong-token-0123456789abcdef" }, /^invalid bearer token$/],
      [{ Authorization: `Bearer ${TOKEN}x` }, /^invalid bearer token$/],
      [{ Authorization: `Bearer ${TOKEN.slice(0, -1)}` }, /^invalid bearer token$/],
      [{ Authorization: `Basic ${btoa("a:b")}` }, /malformed Authorization header/],
      [{ Authorization: "Bearer" }, /malformed Authorization header/],
    ];
    for (const [headers, message] of cases) {
      const res = await app.request("/api/command", json({ text: "stop" }, headers));
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get("www-authenticate")!, /^Bearer realm="earshot"/);
      assert.match(await errorOf(res), message);
    }
    // The scheme is case-insensitive.
    const ok = await app.request(
      "/api/command",
      json({ text: "stop" }, {
        Authorization: `bearer ${TOKEN}`,
      }),
    );
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(calls, 1);
  } finally {
    api.close();
  }
});

Deno.test("POST /api/command validates the JSON body with 400/413/415 and clear messages", async () => {
  const { app, api } = makeApp({
    runText: () => Promise.resolve([]),
    limits: { maxJsonBytes: 256, maxTextChars: 40 },
  });
  try {
    const cases: [RequestInit, number, RegExp][] = [
      [json("{not json"), 400, /^invalid JSON body: /],
      [json(""), 400, /^invalid JSON body: the body is empty$/],
      [json({}), 400, /^invalid request: text: required$/],
      [json({ text: 42 }), 400, /^invalid request: text: expected a string$/],
      [json({ text: "   " }), 400, /^invalid request: text: must not be empty$/],
      [json({ text: "x".repeat(41) }), 400, /^invalid request: text: at most 40 characters$/],
      [json({ text: "stop", extra: 1 }), 400, /^invalid request: unknown field: extra$/],
      [json([1, 2]), 400, /^invalid request: .*expected a JSON object/],
      [json("null"), 400, /^invalid request: .*expected a JSON object/],
      [json({ text: "x".repeat(300) }), 413, /^JSON body too large: the limit is 256 bytes$/],
      [
        { ...json({ text: "stop" }), headers: { ...AUTH, "Content-Type": "text/plain" } },
        415,
        /^expected Content-Type: application\/json, got "text\/plain"$/,
      ],
      [{ method: "POST", headers: AUTH, body: new Uint8Array([0x7b, 0x7d]) }, 415, /got none/],
      [{ ...json("x"), body: new Uint8Array([0x7b, 0xff, 0x7d]) }, 400, /not valid UTF-8/],
    ];
    for (const [init, status, message] of cases) {
      const res = await app.request("/api/command", init);
      assert.equal(res.status, status, String(init.body));
      assert.match(await errorOf(res), message);
    }
    // A declared Content-Length over the limit is refused before reading.
    const res = await app.request("/api/command", {
      ...json({ text: "stop" }),
      headers: { ...AUTH, "Content-Type": "application/json", "Content-Length": "100000" },
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  } finally {
    api.close();
  }
});

Deno.test("POST /api/command reports failures as 500/503/504 without stack traces", async () => {
  const noRouter = makeApp();
  try {
    const res = await noRouter.app.request("/api/command", json({ text: "stop" }));
    assert.equal(res.status, 503);
    assert.match(await errorOf(res), /intent router is not running/);
  } finally {
    noRouter.api.close();
  }
  const failing = makeApp({
    runText: () => Promise.reject(new Error("broker mqtt://u:secret@h refused\nmore detail")),
  });
  try {
    const res = await failing.app.request("/api/command", json({ text: "stop" }));
    assert.equal(res.status, 500);
    const message = await errorOf(res);
    assert.equal(message, "command failed: broker mqtt://h refused");
    assert.match(failing.errors.join("\n"), /at /, "the stack goes to the server log");
  } finally {
    failing.api.close();
  }
  let release!: () => void;
  const slow = makeApp({
    runText: () => new Promise((resolve) => (release = () => resolve([]))),
    limits: { commandTimeoutMs: 30 },
  });
  try {
    const res = await slow.app.request("/api/command", json({ text: "stop" }));
    assert.equal(res.status, 504);
    assert.equal(await errorOf(res), "command timed out after 30 ms");
  } finally {
    release();
    slow.api.close();
  }
});

Deno.test("POST /api/audio runs the WAV and returns its events, levels on request", async () => {
  const received: number[] = [];
  const { app, api, bus } = makeApp({
    runAudio: (bytes) => {
      received.push(bytes.length);
      return Promise.resolve(emitAll(bus, utteranceEvents()));
    },
  });
  try {
    const file = toneWav(1.5);
    const res = await app.request("/api/audio", wav(file));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.file, {
      name: "upload",
      sampleRate: 16000,
      channels: 1,
      bitsPerSample: 16,
      encoding: "pcm",
      seconds: 1.5,
    });
    assert.equal(typeof body.wallMs, "number");
    assert.equal(typeof body.realTimeFactor, "number");
    const types = body.events.map((e: EarshotEvent) => e.type);
    assert.ok(!types.includes("level"));
    assert.ok(types.includes("wake") && types.includes("intent"));
    const withLevels = await app.request("/api/audio?levels=1", wav(file));
    const body2 = await withLevels.json();
    assert.equal(body2.events.filter((e: EarshotEvent) => e.type === "level").length, 2);
    assert.deepEqual(received, [file.length, file.length]);
    const metrics = await (await app.request("/metrics")).text();
    assert.match(metrics, /^earshot_upload_realtime_factor_count 2$/m);
    assert.match(metrics, /^earshot_realtime_factor\{source="upload"\} [\d.e-]+$/m);
  } finally {
    api.close();
  }
});

Deno.test("POST /api/audio accepts multipart/form-data with a file field", async () => {
  const { app, api } = makeApp({ runAudio: () => Promise.resolve([]) });
  try {
    const form = new FormData();
    form.append("file", new File([toneWav(0.25)], "clip.wav", { type: "audio/wav" }));
    const res = await app.request("/api/audio", { method: "POST", headers: AUTH, body: form });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.file.name, "clip.wav");
    assert.equal(body.file.seconds, 0.25);
    const noFile = new FormData();
    noFile.append("other", "x");
    const res2 = await app.request("/api/audio", { method: "POST", headers: AUTH, body: noFile });
    assert.equal(res2.status, 400);
    assert.equal(await errorOf(res2), 'multipart body has no file field named "file"');
  } finally {
    api.close();
  }
});

Deno.test("POST /api/audio rejects bad uploads with 400/401/413/415 naming the problem", async () => {
  let calls = 0;
  const { app, api } = makeApp({
    runAudio: () => {
      calls++;
      return Promise.resolve([]);
    },
    limits: { maxAudioBytes: 20000 },
  });
  try {
    const good = toneWav(0.25); // 8044 bytes
    const truncated = good.slice(0, 1000);
    const mp3ish = new TextEncoder().encode(
      "ID3\x04\x00\x00\x00\x00\x00\x00 not a wav file at all",
    );
    const cases: [RequestInit, number, RegExp][] = [
      [wav(good, {}), 401, /missing bearer token/],
      [wav(good, { Authorization: "Bearer nope-nope-nope-nope-nope" }), 401, /invalid bearer/],
      [wav(mp3ish), 400, /^upload: not a WAV file \(starts with "ID3/],
      [wav(truncated), 400, /^upload: truncated: data chunk declares 8000 bytes but only 956/],
      [wav(new Uint8Array(0) as Uint8Array<ArrayBuffer>), 400, /^empty body: expected a WAV file$/],
      [wav(toneWav(1)), 413, /^audio upload too large: the limit is 20000 bytes$/],
      [
        { ...wav(good), headers: { ...AUTH, "Content-Type": "text/plain" } },
        415,
        /expected a WAV body \(Content-Type audio\/wav\)/,
      ],
      [wav(good), 400, /levels: expected 0, 1, true or false, got "maybe"/],
    ];
    for (const [i, [init, status, message]] of cases.entries()) {
      const url = i === cases.length - 1 ? "/api/audio?levels=maybe" : "/api/audio";
      const res = await app.request(url, init);
      assert.equal(res.status, status, `case ${i}`);
      assert.match(await errorOf(res), message);
    }
    assert.equal(calls, 0, "nothing reached the pipeline");
  } finally {
    api.close();
  }
});

Deno.test("POST /api/audio maps pipeline failures to 400/500/504 and allows one upload at a time", async () => {
  let mode: "wav" | "crash" | "hang" = "wav";
  let release!: () => void;
  const { app, api, errors } = makeApp({
    limits: { audioTimeoutMs: 200 },
    runAudio: () => {
      if (mode === "wav") return Promise.reject(new WavError("upload: unsupported codec mu-law"));
      if (mode === "crash") return Promise.reject(new TypeError("x is undefined"));
      return new Promise((resolve) => (release = () => resolve([])));
    },
  });
  try {
    let res = await app.request("/api/audio", wav(toneWav(0.1)));
    assert.equal(res.status, 400);
    assert.equal(await errorOf(res), "upload: unsupported codec mu-law");
    mode = "crash";
    res = await app.request("/api/audio", wav(toneWav(0.1)));
    assert.equal(res.status, 500);
    assert.equal(await errorOf(res), "audio processing failed: x is undefined");
    assert.equal(errors.length, 1);
    mode = "hang";
    const first = app.request("/api/audio", wav(toneWav(0.1)));
    // Let the first request reach the pipeline, then try a second one.
    await new Promise((r) => setTimeout(r, 20));
    const busy = await app.request("/api/audio", wav(toneWav(0.1)));
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get("retry-after"), "2");
    assert.match(await errorOf(busy), /another audio upload is being processed/);
    const timedOut = await first;
    assert.equal(timedOut.status, 504);
    assert.equal(await errorOf(timedOut), "audio processing timed out after 200 ms");
  } finally {
    release?.();
    api.close();
  }
});

Deno.test("POST /api/audio without a pipeline answers 503", async () => {
  const { app, api } = makeApp();
  try {
    const res = await app.request("/api/audio", wav(toneWav(0.1)));
    assert.equal(res.status, 503);
    assert.match(await errorOf(res), /the pipeline is not running/);
  } finally {
    api.close();
  }
});

Deno.test("unknown paths are 404 and wrong methods 405 with Allow", async () => {
  const { app, api } = makeApp({ runText: () => Promise.resolve([]) });
  try {
    let res = await app.request("/nope");
    assert.equal(res.status, 404);
    assert.equal(await errorOf(res), "not found: GET /nope");
    res = await app.request("/api/command");
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST, OPTIONS");
    assert.match(await errorOf(res), /method GET not allowed on \/api\/command/);
    res = await app.request("/health", { method: "POST" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
    await res.body?.cancel();
    res = await app.request("/api/events", { method: "DELETE" });
    assert.equal(res.status, 405);
    await res.body?.cancel();
    res = await app.request("/api/audio", { method: "OPTIONS" });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("allow"), "POST, OPTIONS");
    res = await app.request("/metrics", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
    // Odd methods and paths do not create new metric series.
    res = await app.request("/health", { method: "BREW" });
    assert.equal(res.status, 405);
    await res.body?.cancel();
    for (let i = 0; i < 3; i++) await (await app.request(`/random/${i}`)).body?.cancel();
    const text = await (await app.request("/metrics")).text();
    assert.match(
      text,
      /earshot_http_requests_total\{method="other",route="\/health",status="405"\} 1/,
    );
    assert.match(text, /earshot_http_requests_total\{method="GET",route="other",status="404"\} 4/);
  } finally {
    api.close();
  }
});

Deno.test("every response carries the security headers", async () => {
  const { app, api } = makeApp();
  try {
    for (const path of ["/", "/health", "/api/status", "/metrics", "/nope"]) {
      const res = await app.request(path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("x-frame-options"), "DENY", path);
      assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
      await res.body?.cancel();
    }
  } finally {
    api.close();
  }
});

Deno.test("POST /api/command passes a runner's outcome through: not understood, answer, errors", async () => {
  const { app, api } = makeApp({
    runText: (text) =>
      Promise.resolve(
        text === "is the fan on"
          ? { events: [], understood: true, answer: "the fan is off", errors: [] }
          : {
            events: [],
            understood: false,
            errors: ["not understood"],
            skipped: "no intent matched",
          },
      ),
  });
  try {
    const q = await (await app.request("/api/command", json({ text: "is the fan on" }))).json();
    assert.equal(q.understood, true);
    assert.equal(q.answer, "the fan is off");
    const n = await (await app.request("/api/command", json({ text: "sing" }))).json();
    assert.equal(n.understood, false);
    assert.deepEqual(n.errors, ["not understood"]);
    assert.equal(n.skipped, "no intent matched");
  } finally {
    api.close();
  }
});
