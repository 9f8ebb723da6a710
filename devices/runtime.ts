/**
 * The devices stage at run time: registry + grammar + MQTT (external broker
 * or embedded aedes) + router + imports + Hermes + arbitration + Home
 * Assistant discovery of earshot itself, with its remote controls (listen button, mute
 * switch, sensitivity number: devices/remote_mqtt.ts). It listens on the bus for `wake` and
 * `transcript` events and emits `intent`, `publish`, `confirm` and `error`;
 * typed text comes in through {@link DeviceRuntime.handleText}.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import { apiBindHost, type Config } from "../core/config.ts";
import type { CommandGrammar } from "../intent/grammar.ts";
import { SAMPLE_RATE } from "../core/units.ts";
import { RemoteControl, RemoteError } from "../core/remote.ts";
import { haDiscoveryConfigs, origin, siteTopics } from "./announce.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./broker.ts";
import { HermesDialogue } from "./hermes.ts";
import { startImport } from "./import.ts";
import { MqttLink } from "./mqtt.ts";
import type { Registry } from "../home/registry.ts";
import { GrammarWatch, openRegistry } from "./registry_store.ts";
import { RemoteMqtt } from "./remote_mqtt.ts";
import { Router } from "./router.ts";
import { Site } from "./site.ts";
import { type DevicesStatus, devicesStatus } from "./status_snapshot.ts";
import { type HandleResult, TextHandler } from "./text_handler.ts";
import { WakeSessions } from "./wake_sessions.ts";
import { replyFor, SILENT, type Voice } from "./answers.ts";

export type { HandleResult } from "./text_handler.ts";
export type { DevicesStatus } from "./status_snapshot.ts";

/** The running devices stage. */
export interface DeviceRuntime {
  readonly registry: Registry;
  /** URL of the broker in use (the embedded one when mqtt.url is unset). */
  readonly brokerUrl: string;
  /** Parse and carry out typed text (`origin` "text") or a transcript (`origin` "asr"). */
  handleText(
    text: string,
    opts?: { origin?: "text" | "asr"; t?: number; confidence?: number; sessionId?: string },
  ): Promise<HandleResult>;
  /** The current command grammar (rebuilt when imports change the registry). */
  grammar(): CommandGrammar;
  /**
   * Call `listener` with the new grammar after the registry changed (imports),
   * at most every 250 ms, so the ASR decoder can rebuild its graph. Returns the unsubscribe.
   */
  onGrammarChange(listener: (grammar: CommandGrammar) => void): () => void;
  status(): DevicesStatus;
  /**
   * Wait for the first connection attempt: true when connected, false when the
   * broker is unreachable (commands queue and go out after reconnecting) or
   * the timeout passed. Never rejects, so a broker that is down at start does
   * not stop earshot.
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Wait until connected; rejects after `timeoutMs` (tests). */
  connected(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options for tests and embedding. */
export interface StartOptions {
  /** Use this registry instead of loading config.devices.file. */
  registry?: Registry;
  /** Wall clock (ms). */
  now?: () => number;
  /** Start-up and shutdown notes (offline queue restored or saved); default stderr. */
  warn?: (message: string) => void;
  /**
   * The satellite's remote control (mute, sensitivity, listening without the wake word);
   * default: one in memory at `wake.sensitivity` that listens at the stream time of the bus.
   */
  remote?: RemoteControl;
  /**
   * The satellite's voice (app/voice.ts): sounds and spoken replies for the live microphone's
   * commands and for Hermes text. Absent: silent.
   */
  voice?: Voice;
  /** Longest spoken reply in characters (answers.maxChars). */
  maxChars?: number;
}

/**
 * `origin.support_url`: `mqtt.supportUrl`, else this satellite's dashboard at the address it
 * is served on (`api.lan` binds a wildcard, which is replaced by the host name).
 */
export function supportUrl(config: Config): string {
  if (config.mqtt.supportUrl) return config.mqtt.supportUrl;
  let host = apiBindHost(config.api);
  if (host === "0.0.0.0" || host === "::") {
    try {
      host = Deno.hostname();
    } catch {
      host = "127.0.0.1";
    }
  }
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.api.port}/`;
}

/**
 * Connect the satellite's MQTT link (to mqtt.url, or to an embedded broker started here):
 * link errors become `mqtt` error events (each once in a row); `onConnected` runs on
 * every (re)connection. Closes the embedded broker when the link cannot be made.
 */
async function connectLink(
  config: Config,
  site: Site,
  options: StartOptions,
  onConnected: () => void,
): Promise<{ link: MqttLink; url: string; broker?: EmbeddedBroker }> {
  const m = config.mqtt;
  const broker = m.url ? undefined : await startEmbeddedBroker(m.embeddedHost, m.embeddedPort);
  const url = m.url || broker!.url;
  let lastError: string | undefined;
  try {
    const link = await MqttLink.connect({
      url,
      username: m.username,
      password: m.password,
      clientId: m.clientId ?? `earshot_${m.siteId}_${crypto.randomUUID().slice(0, 6)}`,
      ca: m.ca,
      cert: m.cert,
      key: m.key,
      rejectUnauthorized: m.rejectUnauthorized,
      availabilityTopic: site.topics.availability,
      queueExpiryMs: m.queueExpiryMs,
      queueMax: m.queueMax,
      queueRetryMs: m.queueRetryMs,
      queueFile: m.queueFile || undefined,
      siteId: m.siteId,
      log: options.warn ?? ((msg) => console.error(`earshot: ${msg}`)),
      backoffMinMs: m.backoffMinMs,
      backoffMaxMs: m.backoffMaxMs,
      now: options.now,
      onState: (state, err) => {
        if (err && err !== lastError) {
          lastError = err;
          site.error("mqtt", `${url}: ${err}`);
        }
        if (state === "connected") {
          lastError = undefined;
          onConnected();
        }
      },
    });
    return { link, url, broker };
  } catch (err) {
    await broker?.close();
    throw err;
  }
}

/**
 * The Hermes dialogue of Hermes apps: endSession/continueSession text (spoken when the voice
 * can speak), hermes/tts/say for this site (spoken, then sayFinished), startListening (the
 * wake chirp, then a wake without the wake word for this site, through the remote control:
 * source "hermes"), hotword toggleOff/On (the remote control's mute).
 */
function hermesDialogue(
  site: Site,
  remote: RemoteControl,
  voice: Voice,
  maxChars?: number,
): HermesDialogue {
  const dialogue: HermesDialogue = new HermesDialogue(
    site.siteId,
    site.link,
    (msg) => site.send(msg),
    {
      ...(voice.canSpeak
        ? { say: (text: string) => voice.play(replyFor({ kind: "say", text }, maxChars)) }
        : {}),
      listen: (sessionId, wakewordId) => {
        // The chirp first: the recognizer listens from the wake on and must not hear it.
        voice.play(replyFor({ kind: "listening" })).then(() => {
          try {
            remote.listen({ source: "hermes", sessionId, wakewordId });
          } catch (err) {
            // After the chirp nothing is left to throw to: every failure is reported.
            const why = err instanceof RemoteError
              ? err.message
              : `failed: ${(err as Error).message}`;
            site.error("hermes", `hermes/asr/startListening: ${why}`, sessionId);
            dialogue.end(sessionId, "error");
          }
        });
      },
      mute: (muted) => remote.setMuted(muted, "hermes"),
    },
    (msg) => site.error("hermes", msg),
  );
  return dialogue;
}

/**
 * Start the devices stage. Throws (refusing to start) on an invalid registry,
 * an unknown devices.area, bad templates, an unusable mqtt.url or TLS file,
 * or an embedded broker port that is taken.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import { parseConfig } from "../core/config.ts";
 * const config = parseConfig({
 *   devices: { file: "devices/example.devices.json", confirmTimeoutMs: 100 },
 *   mqtt: { embeddedPort: 0 }, // an embedded broker on a free port
 * });
 * const devices = await startDevices(config, new EventBus());
 * await devices.ready();
 * const r = await devices.handleText("turn on the kitchen light");
 * assert.deepEqual(r.actions.map((a) => a.device), ["kitchen_light"]);
 * const [confirm] = await r.confirmations; // no device answers on this broker
 * assert.equal(confirm.confirmed, false);
 * await devices.close();
 * ```
 */
export async function startDevices(
  config: Config,
  bus: EventBus,
  options: StartOptions = {},
): Promise<DeviceRuntime> {
  const now = options.now ?? Date.now;
  const { registry, area } = await openRegistry(config, options.registry);
  const m = config.mqtt;
  const site = new Site(bus, m.siteId, siteTopics(m.topicPrefix, m.siteId), m.hermes);
  // The connection hook acts once the router and imports are wired (below).
  const hook = { connected: () => {} };
  const { link, url, broker } = await connectLink(
    config,
    site,
    { ...options, now },
    () => hook.connected(),
  );
  site.attach(link);
  const remote = options.remote ?? new RemoteControl(bus, {
    muted: false,
    sensitivity: config.wake.sensitivity,
  });
  if (!options.remote) remote.attach({ sample: () => Math.round(site.streamT * SAMPLE_RATE) });
  const remoteMqtt = new RemoteMqtt(site, remote);
  remoteMqtt.start();
  const router = new Router(registry, link, {
    confirmTimeoutMs: config.devices.confirmTimeoutMs,
    coverConfirmTimeoutMs: config.devices.coverConfirmTimeoutMs,
    brightnessStep: config.devices.brightnessStep,
    emit: (e) => site.emit(e),
    now,
  });
  router.watchStates();
  const watch = new GrammarWatch(
    registry,
    () => router.watchStates(),
    (msg) => site.error("intent", msg),
  );
  const stopImport = startImport(registry, link, (msg) => site.error("import", msg));
  let refreshed = false;
  hook.connected = () => {
    // Ask devices for their state once; after reconnects their own reports keep it current
    // (a read of every Zigbee device on each broker blip would load the Zigbee network).
    if (!refreshed) router.refreshAll();
    refreshed = true;
    if (m.haDiscovery) {
      const from = origin(supportUrl(config));
      for (const c of haDiscoveryConfigs(m.topicPrefix, m.siteId, m.haPrefix, from)) {
        site.send(c);
      }
    }
    site.publishListening();
    remoteMqtt.publishState();
  };

  const voice = options.voice ?? SILENT;
  const dialogue = m.hermes ? hermesDialogue(site, remote, voice, options.maxChars) : undefined;
  dialogue?.start();
  const texts = new TextHandler(site, registry, router, {
    area,
    minConfidence: config.devices.minIntentConfidence,
    dialogue,
    voice,
    maxChars: options.maxChars,
  }, now);
  const sessions = new WakeSessions(site, texts, {
    topicPrefix: m.topicPrefix,
    arbitrationMs: m.arbitrationMs,
    listenTimeoutMs: config.asr.listenTimeoutMs,
    dialogue,
    remote,
    now,
    voice,
  });

  const unsubs = followBus(bus, site, router, sessions);

  return {
    registry,
    brokerUrl: url,
    handleText: (text, opts) =>
      Promise.resolve(texts.handle(text, { ...opts, wakewordId: sessions.wakewordId })),
    grammar: () => watch.grammar(),
    onGrammarChange: (listener) => watch.listen(listener),
    ready: (timeoutMs = 5000) => link.settled(timeoutMs),
    connected: (timeoutMs = 5000) => link.waitConnected(timeoutMs),
    status: () =>
      devicesStatus({
        siteId: m.siteId,
        area,
        link,
        embedded: !!broker,
        listening: site.listening,
        registry,
        router,
        lastCommand: texts.lastCommand,
        lastArbitration: sessions.lastArbitration,
      }),
    async close() {
      if (site.closed) return;
      site.closed = true;
      sessions.close();
      remoteMqtt.close();
      watch.close();
      for (const u of unsubs) u();
      dialogue?.close();
      stopImport();
      router.close();
      if (link.state === "connected") site.setListening(false);
      await link.close();
      await broker?.close();
    },
  };
}

/**
 * The live pipeline's events the runtime acts on: stream time (for the site and the router),
 * wake, VAD and transcripts (to the wake sessions). Returns the unsubscribers.
 */
function followBus(
  bus: EventBus,
  site: Site,
  router: Router,
  sessions: WakeSessions,
): Array<() => void> {
  return [
    bus.on((e) => {
      // The live source's stream time: an upload's events count on their own timeline.
      if (e.stream !== "upload" && e.t > site.streamT) site.streamT = e.t;
      router.streamTime = site.streamT;
    }),
    bus.onType("wake", (e) => sessions.onWake(e)),
    bus.onType("vad", (e) => sessions.onVad(e)),
    bus.onType("transcript", (e) => {
      sessions.onTranscript(e).catch((err) =>
        site.error("devices", `transcript handling failed: ${(err as Error).message}`)
      );
    }),
  ];
}
