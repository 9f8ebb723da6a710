/**
 * Seeded fuzzers for earshot's parsers and handlers (issue 13). Each target
 * makes one case from a seeded random source, feeds it to the real code and
 * checks the contract: a result of the right shape, or the module's own error
 * class with a message naming the input; never another exception, a hang, a
 * NaN sample or a 500. tests/fuzz/fuzz_test.ts runs a small seeded share in
 * CI; `deno run -A scripts/fuzz.ts` runs 100,000 cases per target.
 * @module
 */
import { decodeWav, openWavStream, parseWavHeader, WavError } from "../../audio/wav.ts";
import { ConfigError, configSchema, parseConfig } from "../../core/config.ts";
import { parseRegistryText, RegistryError } from "../../home/registry.ts";
import { parseTemplate, TemplateError } from "../../intent/template.ts";
import {
  adapterFor,
  decodeState,
  type DeviceState,
  StatePayloadError,
} from "../../devices/adapters/index.ts";
import type { Device } from "../../home/registry.ts";
import { createApp } from "../../api/app.ts";
import { EventBus } from "../../core/bus.ts";

/** A small fast seeded PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A contract violation found by a fuzzer. */
export class FuzzFailure extends Error {
  override name = "FuzzFailure";
}

function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new FuzzFailure(msg);
}

/** An unexpected exception is a failure; the module's own error must name the input. */
function expectOwnError(err: unknown, cls: new (...a: never[]) => Error, name: string) {
  if (err instanceof FuzzFailure) throw err;
  check(
    err instanceof cls,
    `threw ${(err as Error)?.name}: ${String((err as Error)?.message).slice(0, 200)}`,
  );
  check(
    (err as Error).message.includes(name),
    `error does not name ${name}: ${(err as Error).message.slice(0, 200)}`,
  );
  check(!/\n\s+at /.test((err as Error).message), "error message carries a stack");
}

// ---- byte and JSON mutators -------------------------------------------------------------

const INTERESTING = [0, 1, 2, 3, 4, 8, 16, 24, 32, 64, 0x7f, 0x80, 0xff, 0xfe];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 16000, 44100, 65535, 65536];

/** Mutate bytes: flips, interesting values, inserts, deletes, truncation, splices. */
export function mutateBytes(rng: Rng, input: Uint8Array, maxLen = 1 << 16): Uint8Array {
  let b = new Uint8Array(input);
  const rounds = 1 + rng.int(rng.chance(0.1) ? 32 : 4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(8)) {
      case 0:
        if (b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[at] = rng.pick(INTERESTING);
        break;
      case 2:
        if (b.length >= 4) {
          const v = rng.pick(INTERESTING32);
          const p = Math.min(at, b.length - 4);
          new DataView(b.buffer).setUint32(p, v, true);
        }
        break;
      case 3: {
        const n = 1 + rng.int(16);
        const ins = new Uint8Array(n).map(() => rng.int(256));
        const c = new Uint8Array(b.length + n);
        c.set(b.subarray(0, at));
        c.set(ins, at);
        c.set(b.subarray(at), at + n);
        b = c;
        break;
      }
      case 4: {
        const n = 1 + rng.int(16);
        b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + n)]);
        break;
      }
      case 5:
        b = b.subarray(0, rng.int(b.length + 1)).slice();
        break;
      case 6: {
        // Copy a block elsewhere (repeated chunks).
        const n = rng.int(64);
        const from = rng.int(Math.max(1, b.length));
        const block = b.slice(from, from + n);
        const c = new Uint8Array(b.length + block.length);
        c.set(b.subarray(0, at));
        c.set(block, at);
        c.set(b.subarray(at), at + block.length);
        b = c;
        break;
      }
      default:
        if (b.length) b.fill(rng.int(256), at, at + rng.int(32));
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53,
  0.5,
  -0,
  "",
  " ",
  "0",
  "NaN",
  "\u0000",
  "\uFEFF",
  "x".repeat(5000),
  "../../etc/passwd",
  "mqtt://u:SECRET@h",
  [],
  [1, 2],
  {},
  { a: 1 },
  "on",
  "ON",
  "OFF",
  "TOGGLE",
];

/** A random JSON-ish value. */
export function randomValue(rng: Rng, depth = 0): unknown {
  const k = rng.int(depth > 2 ? 6 : 8);
  switch (k) {
    case 0:
      return structuredClone(rng.pick(WEIRD_VALUES));
    case 1:
      return (rng.next() - 0.5) * 10 ** rng.int(12);
    case 2:
      return rng.int(3) - 1 + rng.int(70000);
    case 3:
      return String.fromCharCode(...Array.from({ length: rng.int(12) }, () => 32 + rng.int(95)));
    case 4:
      return rng.chance(0.5);
    case 5:
      return rng.pick(["ON", "OFF", "on", "off", "toggle", "online", "offline", "open", "closed"]);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) put(o, randomKey(rng), randomValue(rng, depth + 1));
      return o;
    }
  }
}

/** Set an own property, as JSON.parse makes them ("__proto__" included, never the prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown) {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function randomKey(rng: Rng): string {
  return rng.pick([
    "state",
    "brightness",
    "color_temp",
    "position",
    "speed",
    "available",
    "POWER",
    "Dimmer",
    "CT",
    "__proto__",
    "constructor",
    "x",
    "",
  ]);
}

/** Mutate a JSON value in place-ish (returns a new one): set, delete, retype, add keys. */
export function mutateJson(rng: Rng, value: unknown, rounds = 1 + rng.int(4)): unknown {
  let v = structuredClone(value);
  for (let r = 0; r < rounds; r++) v = mutateOnce(rng, v, 0);
  return v;
}

function mutateOnce(rng: Rng, v: unknown, depth: number): unknown {
  if (v === null || typeof v !== "object" || depth > 6 || rng.chance(0.15)) {
    return rng.chance(0.7) ? randomValue(rng) : v;
  }
  if (Array.isArray(v)) {
    if (!v.length || rng.chance(0.2)) return rng.chance(0.5) ? [] : [...v, randomValue(rng)];
    const i = rng.int(v.length);
    if (rng.chance(0.2)) v.splice(i, 1);
    else v[i] = mutateOnce(rng, v[i], depth + 1);
    return v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const roll = rng.int(10);
  if (!keys.length || roll === 0) {
    put(o, rng.chance(0.5) ? randomKey(rng) : `extra${rng.int(5)}`, randomValue(rng));
  } else if (roll === 1) delete o[rng.pick(keys)];
  else {
    const k = rng.pick(keys);
    put(o, k, mutateOnce(rng, o[k], depth + 1));
  }
  return o;
}

/** Mutate JSON text at the character level (unbalanced, truncated, doubled). */
export function mutateText(rng: Rng, text: string): string {
  const chars = [...text];
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(chars.length + 1);
    switch (rng.int(5)) {
      case 0:
        chars.splice(at, 1 + rng.int(8));
        break;
      case 1:
        chars.splice(
          at,
          0,
          rng.pick(['"', "{", "}", "[", "]", ",", ":", "\\", "\u0000", "é", "\uD800"]),
        );
        break;
      case 2:
        chars.length = at;
        break;
      case 3:
        chars.splice(at, 0, ...chars.slice(rng.int(chars.length), rng.int(chars.length)));
        break;
      default:
        chars[at] = String.fromCharCode(rng.int(128));
    }
  }
  return chars.join("");
}

// ---- targets -----------------------------------------------------------------------------

/** A target: `run(rng)` makes and checks one case (async where the code under test is). */
export interface Target {
  name: string;
  /** Makes and checks one case; returns what became of it ("accepted", a status, ...). */
  run(rng: Rng): string | Promise<string>;
}

/** A valid WAV: PCM 8/16/24/32 or float 32/64, 1-3 channels, maybe extensible, extra chunks. */
function validWav(rng: Rng): Uint8Array {
  const rate = rng.pick([8000, 16000, 22050, 44100, 48000]);
  const channels = 1 + rng.int(3);
  const frames = rng.int(600);
  const [bits, float] = rng.pick(
    [[8, false], [16, false], [24, false], [32, false], [32, true], [
      64,
      true,
    ]] as const,
  );
  const extensible = rng.chance(0.2);
  const block = channels * bits / 8;
  const data = new Uint8Array(frames * block);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < frames * channels; i++) {
    const x = rng.next() * 2 - 1;
    const at = i * bits / 8;
    if (float && bits === 32) dv.setFloat32(at, x, true);
    else if (float) dv.setFloat64(at, x, true);
    else if (bits === 8) dv.setUint8(at, Math.round((x + 1) * 127.5));
    else if (bits === 16) dv.setInt16(at, Math.round(x * 32767), true);
    else if (bits === 24) {
      const v = Math.round(x * 8388607);
      dv.setUint8(at, v & 0xff);
      dv.setUint8(at + 1, (v >> 8) & 0xff);
      dv.setInt8(at + 2, v >> 16);
    } else dv.setInt32(at, Math.round(x * 2147483647), true);
  }
  const chunks: Uint8Array[] = [];
  const chunk = (id: string, body: Uint8Array) => {
    const h = new Uint8Array(8 + body.length + (body.length & 1));
    for (let i = 0; i < 4; i++) h[i] = id.charCodeAt(i);
    new DataView(h.buffer).setUint32(4, body.length, true);
    h.set(body, 8);
    chunks.push(h);
  };
  const fmt = new Uint8Array(extensible ? 40 : 16);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, extensible ? 0xfffe : float ? 3 : 1, true);
  f.setUint16(2, channels, true);
  f.setUint32(4, rate, true);
  f.setUint32(8, rate * block, true);
  f.setUint16(12, block, true);
  f.setUint16(14, bits, true);
  if (extensible) {
    f.setUint16(16, 22, true);
    f.setUint16(18, bits, true);
    f.setUint16(24, float ? 3 : 1, true);
    fmt.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 28);
  }
  if (rng.chance(0.2)) chunk("LIST", Uint8Array.from({ length: rng.int(9) }, () => 65));
  chunk("fmt ", fmt);
  if (rng.chance(0.2)) chunk("fact", new Uint8Array(4));
  chunk("data", data);
  const total = chunks.reduce((n, c) => n + c.length, 4);
  const out = new Uint8Array(8 + total);
  out.set([0x52, 0x49, 0x46, 0x46]);
  new DataView(out.buffer).setUint32(4, total, true);
  out.set([0x57, 0x41, 0x56, 0x45], 8);
  let at = 12;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The WAV reader: header and samples. */
export const wavTarget: Target = {
  name: "wav",
  run(rng) {
    const bytes = rng.chance(0.05)
      ? Uint8Array.from({ length: rng.int(200) }, () => rng.int(256))
      : mutateBytes(rng, validWav(rng));
    const name = "fuzz.wav";
    let outcome = "rejected";
    try {
      const h = parseWavHeader(bytes, name);
      check(h.format.sampleRate > 0 && Number.isFinite(h.format.sampleRate), "bad sample rate");
      check(h.format.channels >= 1, "no channels");
      check(h.dataStart >= 12 && h.dataStart <= bytes.length, "data start outside the file");
    } catch (err) {
      expectOwnError(err, WavError, name);
    }
    try {
      const w = decodeWav(bytes, { name, maxSeconds: 600 });
      check(w.sampleRate > 0, "decoded without a rate");
      checkSamples(w.samples);
      outcome = "decoded";
    } catch (err) {
      expectOwnError(err, WavError, name);
    }
    return outcome;
  },
};

function checkSamples(x: Float32Array) {
  for (let i = 0; i < x.length; i++) {
    check(Number.isFinite(x[i]) && Math.abs(x[i]) <= 1.0001, `sample ${i} = ${x[i]}`);
  }
}

let streamDir: string | undefined;

/** The streaming WAV reader (`--input`): the same mutated files read from disk in chunks. */
export const wavStreamTarget: Target = {
  name: "wav-stream",
  async run(rng) {
    streamDir ??= Deno.makeTempDirSync({ prefix: "earshot-fuzz-" });
    const path = `${streamDir}/fuzz.wav`;
    await Deno.writeFile(path, mutateBytes(rng, validWav(rng)));
    try {
      const w = await openWavStream(path, { chunkFrames: 1 + rng.int(512), maxSeconds: 600 });
      check(w !== null, "no stream without an abort");
      try {
        for await (const chunk of w!.chunks()) checkSamples(chunk);
      } finally {
        w!.close();
      }
      return "decoded";
    } catch (err) {
      expectOwnError(err, WavError, path);
      return "rejected";
    }
  },
};

const DEFAULT_CONFIG = configSchema.parse({});

/** The configuration schema: defaults mutated. */
export const configTarget: Target = {
  name: "config",
  run(rng) {
    const input = rng.chance(0.1)
      ? randomValue(rng)
      : mutateJson(rng, DEFAULT_CONFIG, 1 + rng.int(6));
    let accepted = false;
    try {
      const c = parseConfig(input, "fuzz.json");
      accepted = true;
      // Accepted: the cross-checks hold.
      check(c.vad.negThreshold <= c.vad.threshold, "vad thresholds reversed");
      check(c.audio.restartMinMs <= c.audio.restartMaxMs, "restart range reversed");
      check(c.mqtt.backoffMinMs <= c.mqtt.backoffMaxMs, "backoff range reversed");
      for (const v of [c.api.commandTimeoutMs, c.devices.confirmTimeoutMs, c.mqtt.queueExpiryMs]) {
        check(Number.isFinite(v) && v >= 0 && v <= 2 ** 31 - 1, `timer ${v} out of range`);
      }
    } catch (err) {
      expectOwnError(err, ConfigError, "fuzz.json");
    }
    return accepted ? "accepted" : "rejected";
  },
};

const EXAMPLE_TEXT = Deno.readTextFileSync(
  new URL("../../devices/example.devices.json", import.meta.url),
);
const EXAMPLE = JSON.parse(EXAMPLE_TEXT);

/** The device registry: the example registry mutated as JSON and as text. */
export const registryTarget: Target = {
  name: "registry",
  run(rng) {
    const text = rng.chance(0.3)
      ? mutateText(rng, EXAMPLE_TEXT)
      : JSON.stringify(mutateJson(rng, EXAMPLE, 1 + rng.int(5)));
    try {
      const r = parseRegistryText(text, "fuzz.devices.json");
      const ids = new Set<string>();
      for (const d of r.devices) {
        check(typeof d.id === "string" && d.id.length > 0, "device without id");
        check(!ids.has(d.id), `duplicate id ${d.id}`);
        ids.add(d.id);
      }
      return "accepted";
    } catch (err) {
      if (err instanceof TemplateError) expectOwnError(err, TemplateError, "fuzz.devices.json");
      else expectOwnError(err, RegistryError, "fuzz.devices.json");
      return "rejected";
    }
  },
};

const TEMPLATE_PARTS = [
  "turn",
  " ",
  "on",
  "the",
  "(",
  ")",
  "|",
  "[",
  "]",
  "{",
  "}",
  "{name}",
  "{area}",
  "<",
  ">",
  "<rule>",
  "percent",
  "\t",
  "é",
  "\\",
  "'",
  ":",
  "=",
  "0",
  "42",
  "\u0000",
];

/** The sentence template parser. */
export const templateTarget: Target = {
  name: "template",
  run(rng) {
    let text: string;
    if (rng.chance(0.02)) {
      // Deep nesting.
      const n = 1 + rng.int(3000);
      text = "(".repeat(n) + "a" + ")".repeat(rng.chance(0.5) ? n : rng.int(n));
    } else {
      text = Array.from({ length: rng.int(24) }, () => rng.pick(TEMPLATE_PARTS)).join("");
      if (rng.chance(0.3)) text = mutateText(rng, "turn (on|off) [the] {name} [in {area}]");
    }
    try {
      const node = parseTemplate(text, "fuzz template");
      check(node !== undefined && node !== null, "no node");
      return "accepted";
    } catch (err) {
      expectOwnError(err, TemplateError, "fuzz template");
      return "rejected";
    }
  },
};

const DEVICES: Device[] = parseRegistryText(EXAMPLE_TEXT, "example").devices;

function shapedPayload(rng: Rng, d: Device): string {
  const type = d.adapter.type;
  if (rng.chance(0.15)) return String(randomValue(rng));
  if (type === "zigbee2mqtt" || type === "homeassistant" || rng.chance(0.3)) {
    const o: Record<string, unknown> = {};
    const keys = [
      "state",
      "brightness",
      "color_temp",
      "position",
      "occupied_heating_setpoint",
      "local_temperature",
      "speed",
      "percentage",
      "availability",
    ];
    for (let i = 1 + rng.int(4); i > 0; i--) put(o, rng.pick(keys), randomValue(rng));
    const s = JSON.stringify(rng.chance(0.5) ? o : mutateJson(rng, o));
    return rng.chance(0.2) ? mutateText(rng, s) : s;
  }
  if (type === "tasmota") {
    const o: Record<string, unknown> = {
      POWER: rng.pick(["ON", "OFF", "on", 1, null]),
      Dimmer: randomValue(rng),
      CT: randomValue(rng),
      // Colour bulbs (RGB, RGBW, RGBCCT): Color hex, "h,s,b", white channel, channel percentages.
      Color: rng.pick(["FF8000", "326598CC", "255,128,0", "", randomValue(rng)]),
      HSBColor: rng.pick(["30,100,40", "0,0,0", "400,1,1", "1,2", randomValue(rng)]),
      White: randomValue(rng),
      Channel: rng.pick([[100, 50, 0], [20, 40, 60, 80], [], randomValue(rng)]),
    };
    const s = rng.chance(0.3) ? rng.pick(["ON", "OFF", "Online", "Offline", ""]) : JSON.stringify(
      mutateJson(rng, o),
    );
    return rng.chance(0.2) ? mutateText(rng, s) : s;
  }
  return rng.chance(0.5)
    ? rng.pick(["true", "false", "ON", "OFF", "50", "-1", "1e400", "open", ""])
    : mutateText(rng, String(randomValue(rng)));
}

function checkState(s: DeviceState) {
  const num = (v: number | undefined, lo: number, hi: number, name: string) =>
    check(v === undefined || (Number.isFinite(v) && v >= lo && v <= hi), `${name} = ${v}`);
  check(s.on === undefined || typeof s.on === "boolean", `on = ${s.on}`);
  check(
    s.available === undefined || typeof s.available === "boolean",
    `available = ${s.available}`,
  );
  num(s.brightness, 0, 100, "brightness");
  num(s.position, 0, 100, "position");
  num(s.speed, 0, 100, "speed");
  num(s.colorTemp, 1000, 40000, "colorTemp");
  num(s.temperature, -50, 100, "temperature");
  num(s.currentTemperature, -50, 100, "currentTemperature");
}

/** MQTT state payloads in Zigbee2MQTT, Tasmota, Home Assistant, Homie and generic shapes. */
export const statePayloadTarget: Target = {
  name: "mqtt-state",
  run(rng) {
    const d = rng.pick(DEVICES);
    const a = adapterFor(d);
    const topics = a.stateTopics(d);
    if (!topics.length) return "no state topic";
    const topic = rng.pick(topics);
    const payload = shapedPayload(rng, d);
    try {
      const s = decodeState(a, d, topic, payload);
      if (s === null) return "ignored";
      checkState(s);
      return "accepted";
    } catch (err) {
      expectOwnError(err, StatePayloadError, topic);
      return "rejected";
    }
  },
};

const TOKEN = "fuzz-token-0123456789abcdef";
const PATHS = [
  "/",
  "/static/dashboard.js",
  "/static/../index.html",
  "/static/%2e%2e/x",
  "/health",
  "/health/live",
  "/api/status",
  "/metrics",
  "/api/events?types=wake",
  "/api/events?replay=abc",
  "/api/events?types=",
  "/api/command",
  "/api/audio",
  "/api/audio?levels=2",
  "/nope",
  "//api//command",
  "/api/command/",
  "/%00",
];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"];
const TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "audio/wav",
  "multipart/form-data; boundary=x",
  "multipart/form-data",
  "application/octet-stream",
  "",
  "\u00ff",
];

let app: ReturnType<typeof createApp> | undefined;

function fuzzApp() {
  app ??= createApp({
    bus: new EventBus(),
    token: TOKEN,
    runText: (text) =>
      Promise.resolve({ events: [], understood: text.includes("light"), errors: [] }),
    runAudio: () => Promise.resolve([]),
    limits: { maxAudioBytes: 64 * 1024, bodyTimeoutMs: 2000, commandTimeoutMs: 2000 },
    logError: () => {},
  });
  return app;
}

/** The HTTP handlers (Hono app.request): methods, paths, headers and bodies. */
export const httpTarget: Target = {
  name: "http",
  async run(rng) {
    const { app } = fuzzApp();
    // Most cases go to the command and upload handlers, the rest anywhere.
    const deep = rng.chance(0.5);
    const method = deep ? "POST" : rng.pick(METHODS);
    let path = deep
      ? rng.pick(["/api/command", "/api/audio", "/api/audio?levels=1"])
      : rng.pick(PATHS);
    if (rng.chance(0.2)) path = mutateText(rng, path).replace(/^[^/]/, "/");
    if (!path.startsWith("/")) path = "/" + path;
    const headers = new Headers();
    const host = rng.chance(0.9)
      ? "127.0.0.1:8089"
      : rng.pick(["evil.example", "localhost", "[::1]", "x"]);
    const auth = rng.chance(0.6) ? `Bearer ${TOKEN}` : rng.pick([
      `Bearer ${TOKEN}`,
      `Bearer ${TOKEN}`,
      "Bearer wrong",
      "Basic abc",
      "",
      `bearer  ${TOKEN} `,
      "Bearer " + "x".repeat(3000),
    ]);
    if (auth) headers.set("authorization", auth);
    const type = rng.pick(TYPES);
    if (type) {
      try {
        headers.set("content-type", type);
      } catch { /* not a valid header value */ }
    }
    let body: BodyInit | undefined;
    if (method !== "GET" && method !== "HEAD") {
      const k = rng.int(4);
      if (k === 0) body = JSON.stringify(mutateJson(rng, { text: "turn on the kitchen light" }));
      else if (k === 1) body = mutateText(rng, '{"text":"turn on the light"}');
      else if (k === 2) body = mutateBytes(rng, validWav(rng)) as Uint8Array<ArrayBuffer>;
      else body = Uint8Array.from({ length: rng.int(3000) }, () => rng.int(256));
    }
    let url: URL;
    try {
      url = new URL(`http://${host}${path}`);
    } catch {
      return "not a URL";
    }
    let res: Response;
    try {
      res = await app.request(url.toString(), { method, headers, body });
    } catch (err) {
      throw new FuzzFailure(`${method} ${path} threw ${(err as Error).message}`);
    }
    check(res.status !== 500, `${method} ${path}: 500`);
    check(res.status >= 200 && res.status < 600, `${method} ${path}: status ${res.status}`);
    if (path.startsWith("/api/events") && res.status === 200) {
      await res.body?.cancel();
      return "200";
    }
    const text = await res.text();
    if (res.status >= 400 && method !== "HEAD") {
      let j: { error?: unknown };
      try {
        j = JSON.parse(text);
      } catch {
        throw new FuzzFailure(
          `${method} ${path}: ${res.status} body is not JSON: ${text.slice(0, 80)}`,
        );
      }
      check(typeof j.error === "string" && j.error.length > 0, `${method} ${path}: no error text`);
      check(!/\n\s+at /.test(j.error as string), "stack in an answer");
    }
    return String(res.status);
  },
};

/** Every target. */
export const TARGETS: Target[] = [
  wavTarget,
  wavStreamTarget,
  configTarget,
  registryTarget,
  templateTarget,
  statePayloadTarget,
  httpTarget,
];

/** Result of {@link runTarget}. */
export interface FuzzResult {
  target: string;
  seed: number;
  cases: number;
  /** What became of the cases ("decoded", "rejected", HTTP statuses, "failed"). */
  outcomes: Record<string, number>;
  failures: Array<{ caseIndex: number; message: string }>;
  ms: number;
}

/**
 * Run `cases` cases of a target; case k uses seed `seed + k` so any failure
 * reproduces alone (`scripts/fuzz.ts --target T --seed S --cases 1`).
 */
export async function runTarget(t: Target, seed: number, cases: number): Promise<FuzzResult> {
  const failures: FuzzResult["failures"] = [];
  const outcomes: Record<string, number> = {};
  const t0 = performance.now();
  for (let k = 0; k < cases; k++) {
    try {
      const o = await t.run(new Rng(seed + k));
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    } catch (err) {
      outcomes.failed = (outcomes.failed ?? 0) + 1;
      if (failures.length < 20) {
        failures.push({ caseIndex: k, message: (err as Error).message.slice(0, 300) });
      }
    }
  }
  return { target: t.name, seed, cases, outcomes, failures, ms: performance.now() - t0 };
}

/** Close what the HTTP target opened (its app's SSE hub and collectors). */
export function closeFuzzers(): void {
  app?.close();
  app = undefined;
  if (streamDir) Deno.removeSync(streamDir, { recursive: true });
  streamDir = undefined;
}
