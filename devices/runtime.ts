/**
 * The devices stage at run time: registry + grammar + MQTT (external broker
 * or embedded aedes) + router + imports + Hermes + arbitration + Home
 * Assistant discovery of earshot itself. It listens on the bus for `wake` and
 * `transcript` events and emits `intent`, `publish`, `confirm` and `error`;
 * typed text comes in through {@link DeviceRuntime.handleText}.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import type { Config } from "../core/config.ts";
import type { ConfirmEvent, EarshotEvent, IntentEvent, TranscriptEvent } from "../core/events.ts";
import { buildCommandGrammar, type CommandGrammar, countSentences } from "../intent/grammar.ts";
import { type ParsedIntent, parseIntent } from "../intent/parser.ts";
import { TemplateError } from "../intent/template.ts";
import { grammarWords } from "../core/grammar.ts";
import type { OutMessage } from "./adapters/types.ts";
import { haDiscoveryConfigs, siteTopics } from "./announce.ts";
import { Arbiter, type Decision, parseClaim } from "./arbitration.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./broker.ts";
import {
  HermesDialogue,
  hotwordDetected,
  intentNotRecognized,
  intentRecognized,
  rawValues,
  textCaptured,
  ttsSay,
} from "./hermes.ts";
import { SAMPLE_RATE } from "../core/units.ts";
import { startImport } from "./import.ts";
import { type LinkStatus, MqttLink } from "./mqtt.ts";
import { loadRegistry, Registry, RegistryError } from "../home/registry.ts";
import { Router, type RouteResult } from "./router.ts";
import type { TrackedState } from "./state.ts";

/** What became of one typed or transcribed command. */
export interface HandleResult {
  /** The text as given. */
  text: string;
  /** The command's correlation id: every event it caused carries it as `session`. */
  session: string;
  /** The recognized intent (null: not understood). */
  intent: ParsedIntent | null;
  /** Devices commanded (topics, queued flag, per-device errors). */
  actions: RouteResult["actions"];
  /** Problems ("no lights in the garage", "which room?"). */
  errors: string[];
  /** Answer for queries/cancel ("yes, the kitchen light is on"). */
  answer?: string;
  /** Set when nothing was done on purpose (lost arbitration, low confidence). */
  skipped?: string;
  /** Resolves with the confirm events once every device confirmed or timed out. */
  confirmations: Promise<ConfirmEvent[]>;
}

/** Devices status for the status API. */
export interface DevicesStatus {
  siteId: string;
  area?: string;
  mqtt: LinkStatus & { embedded: boolean };
  listening: boolean;
  devices: Array<{
    id: string;
    name: string;
    type: string;
    area?: string;
    source: string;
    adapter: string;
    state: TrackedState;
  }>;
  areas: Array<{ id: string; name: string }>;
  grammar: { states: number; words: number; sentences: number };
  lastCommand?: { text: string; intent: string | null; at: string; errors: string[] };
  lastArbitration?: { sessionId: string; won: boolean; winner: string; claims: number; at: string };
}

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
}

/**
 * Start the devices stage. Throws (refusing to start) on an invalid registry,
 * an unknown devices.area, bad templates, an unusable mqtt.url or TLS file,
 * or an embedded broker port that is taken.
 */
export async function startDevices(
  config: Config,
  bus: EventBus,
  options: StartOptions = {},
): Promise<DeviceRuntime> {
  const now = options.now ?? Date.now;
  const registry = options.registry ??
    (config.devices.file ? await loadRegistry(config.devices.file) : new Registry());
  const source = config.devices.file ?? "registry";
  if (config.devices.area !== undefined && !registry.area(config.devices.area)) {
    throw new RegistryError(
      `devices.area: unknown area "${config.devices.area}" (areas in ${source}: ${
        registry.areas.map((a) => a.id).join(", ") || "none"
      })`,
    );
  }
  const area = config.devices.area !== undefined
    ? registry.area(config.devices.area)!.id
    : undefined;
  try {
    buildCommandGrammar(registry);
  } catch (err) {
    if (err instanceof TemplateError) {
      throw new TemplateError(`${source}: templates: ${err.message}`);
    }
    throw err;
  }

  const m = config.mqtt;
  const siteId = m.siteId;
  const topics = siteTopics(m.topicPrefix, siteId);
  let broker: EmbeddedBroker | undefined;
  let url = m.url;
  if (!url) {
    broker = await startEmbeddedBroker(m.embeddedHost, m.embeddedPort);
    url = broker.url;
  }
  let streamT = 0;
  let closed = false;
  const emit = (e: EarshotEvent) => bus.emit(e);
  const error = (stage: string, message: string, session?: string) =>
    emit({ type: "error", t: streamT, stage, message, ...(session ? { session } : {}) });

  let lastError: string | undefined;
  const onConnected: Array<() => void> = [];
  let link: MqttLink;
  try {
    link = await MqttLink.connect({
      url,
      username: m.username,
      password: m.password,
      clientId: m.clientId ?? `earshot_${siteId}_${crypto.randomUUID().slice(0, 6)}`,
      ca: m.ca,
      cert: m.cert,
      key: m.key,
      rejectUnauthorized: m.rejectUnauthorized,
      availabilityTopic: topics.availability,
      queueExpiryMs: m.queueExpiryMs,
      queueMax: m.queueMax,
      queueRetryMs: m.queueRetryMs,
      queueFile: m.queueFile || undefined,
      siteId,
      log: options.warn ?? ((msg) => console.error(`earshot: ${msg}`)),
      backoffMinMs: m.backoffMinMs,
      backoffMaxMs: m.backoffMaxMs,
      now,
      onState: (state, err) => {
        if (err && err !== lastError) {
          lastError = err;
          error("mqtt", `${url}: ${err}`);
        }
        if (state === "connected") {
          lastError = undefined;
          for (const f of onConnected) f();
        }
      },
    });
  } catch (err) {
    await broker?.close();
    throw err;
  }
  const send = (msg: OutMessage, queue = false) =>
    link.publish(msg.topic, msg.payload, { qos: 1, retain: msg.retain, queue });

  const router = new Router(registry, link, {
    confirmTimeoutMs: config.devices.confirmTimeoutMs,
    coverConfirmTimeoutMs: config.devices.coverConfirmTimeoutMs,
    brightnessStep: config.devices.brightnessStep,
    emit,
    now,
  });
  router.watchStates();
  const grammarListeners = new Set<(g: CommandGrammar) => void>();
  let grammarTimer: ReturnType<typeof setTimeout> | undefined;
  const unsubRegistry = registry.onChange(() => {
    router.watchStates();
    if (grammarTimer || !grammarListeners.size) return;
    grammarTimer = setTimeout(() => {
      grammarTimer = undefined;
      let g: CommandGrammar;
      try {
        g = buildCommandGrammar(registry);
      } catch (err) {
        error("intent", `grammar rebuild failed: ${(err as Error).message}`);
        return;
      }
      for (const l of grammarListeners) l(g);
    }, 250);
  });
  const stopImport = startImport(registry, link, (msg) => error("import", msg));

  let listening = false;
  const setListening = (on: boolean) => {
    listening = on;
    send({ topic: topics.listening, payload: on ? "ON" : "OFF", retain: true });
  };
  let refreshed = false;
  onConnected.push(() => {
    // Ask devices for their state once; after reconnects their own reports keep it current
    // (a read of every Zigbee device on each broker blip would load the Zigbee network).
    if (!refreshed) router.refreshAll();
    refreshed = true;
    if (m.haDiscovery) {
      for (const c of haDiscoveryConfigs(m.topicPrefix, siteId, m.haPrefix)) send(c);
    }
    send({ topic: topics.listening, payload: listening ? "ON" : "OFF", retain: true });
  });

  // Arbitration between satellites.
  const claimTopic = `${m.topicPrefix}/arbitration/claim`;
  const arbiter = new Arbiter(
    siteId,
    m.arbitrationMs,
    (c) => link.publish(claimTopic, JSON.stringify(c), { qos: 0, queue: false }),
  );
  const unsubClaims = link.subscribe(claimTopic, (_t, payload) => {
    const c = parseClaim(payload);
    if (c) arbiter.receive(c);
    else {error(
        "arbitration",
        `${claimTopic}: malformed claim ${JSON.stringify(payload.slice(0, 80))}`,
      );}
  });

  // Sessions: one per wake; a lost arbitration silences that session's transcript.
  let session:
    | { id: string; wakewordId?: string; suppressed?: string; decided: Promise<Decision> }
    | undefined;
  let lastArbitration: DevicesStatus["lastArbitration"];
  let listenTimer: ReturnType<typeof setTimeout> | undefined;
  let lastCommand: DevicesStatus["lastCommand"];

  // Hermes apps: endSession/continueSession text, startListening (a wake without the wake
  // word, for this site), hotword toggleOff/On (wakes are ignored while muted).
  const hermesListens = new Set<string>();
  const dialogue = m.hermes
    ? new HermesDialogue(siteId, link, (msg) => send(msg), {
      listen: (sessionId, wakewordId) => {
        hermesListens.add(sessionId);
        emit({
          type: "wake",
          t: streamT,
          model: wakewordId ?? "hermes",
          phrase: "",
          score: 1,
          sample: Math.round(streamT * SAMPLE_RATE),
          session: sessionId,
        });
      },
      mute: () => {},
    }, (msg) => error("hermes", msg))
    : undefined;
  dialogue?.start();
  const names = {
    device: (id: string) => registry.devices.find((d) => d.id === id),
    area: (id: string) => registry.areas.find((a) => a.id === id),
  };

  const unsubBus = bus.on((e) => {
    if (e.t > streamT) streamT = e.t;
    router.streamTime = streamT;
  });
  const unsubWake = bus.onType("wake", (e) => {
    // An upload's wake carries the upload's id: its transcript then finds this session.
    const id = e.session ?? crypto.randomUUID();
    const requested = hermesListens.delete(id);
    if (dialogue?.muted && !requested) {
      // hermes/hotword/toggleOff: the wake is ignored and so is what follows it.
      const never = new Promise<Decision>(() => {});
      session = {
        id,
        suppressed: "the wake word is muted (hermes/hotword/toggleOff)",
        decided: never,
      };
      return;
    }
    if (m.hermes && !requested) {
      send(hotwordDetected({ wakewordId: e.model, siteId, sessionId: id, score: e.score }));
    }
    send({ topic: topics.wake, payload: "ON" });
    const decided = arbiter.wake(id, e.score);
    const s: NonNullable<typeof session> = { id, wakewordId: e.model, decided };
    session = s;
    decided.then((d) => {
      lastArbitration = {
        sessionId: id,
        won: d.won,
        winner: d.winner.siteId,
        claims: d.claims.length,
        at: new Date(now()).toISOString(),
      };
      if (!d.won) {
        s.suppressed = `site "${d.winner.siteId}" heard it better (${d.winner.score.toFixed(3)} > ${
          e.score.toFixed(3)
        })`;
        return;
      }
      if (session !== s) return;
      dialogue?.begin(id);
      setListening(true);
      clearTimeout(listenTimer);
      listenTimer = setTimeout(() => {
        if (session === s && listening) {
          setListening(false);
          dialogue?.end(id, "timeout");
        }
      }, config.asr.listenTimeoutMs);
    });
  });
  const unsubTranscript = bus.onType("transcript", (e) => {
    onTranscript(e).catch((err) =>
      error("devices", `transcript handling failed: ${(err as Error).message}`)
    );
  });
  async function onTranscript(e: TranscriptEvent): Promise<void> {
    // A transcript of one upload belongs to that upload's session (never to a live wake).
    const s = e.session === undefined || session?.id === e.session ? session : undefined;
    if (s && !s.suppressed) await s.decided;
    const sessionId = e.session ?? s?.id ?? crypto.randomUUID();
    if (s?.suppressed) return;
    if (e.rejected) {
      if (m.hermes) send(intentNotRecognized({ input: e.text, siteId, sessionId }));
      dialogue?.end(sessionId, "intentNotRecognized");
      if (listening) setListening(false);
      return;
    }
    if (m.hermes) {
      send(textCaptured({
        text: e.text,
        likelihood: e.confidence,
        seconds: e.end - e.start,
        siteId,
        sessionId,
        wakewordId: s?.wakewordId,
      }));
    }
    if (closed) return;
    handle(e.text, { origin: "asr", t: e.end, confidence: e.confidence, sessionId });
  }

  function handle(
    text: string,
    opts: { origin?: "text" | "asr"; t?: number; confidence?: number; sessionId?: string } = {},
  ): HandleResult {
    const t = opts.t ?? streamT;
    const origin = opts.origin ?? "text";
    const sessionId = opts.sessionId ?? crypto.randomUUID();
    const none = Promise.resolve([] as ConfirmEvent[]);
    if (typeof text !== "string" || text.length > 1000) {
      return {
        session: sessionId,
        text: String(text).slice(0, 100),
        intent: null,
        actions: [],
        errors: ["text must be a string of at most 1000 characters"],
        confirmations: none,
      };
    }
    const intent = parseIntent(text, registry, {
      area,
      minConfidence: config.devices.minIntentConfidence,
    });
    if (listening) setListening(false);
    if (!intent) {
      if (m.hermes) send(intentNotRecognized({ input: text, siteId, sessionId }));
      dialogue?.end(sessionId, "intentNotRecognized");
      lastCommand = {
        text,
        intent: null,
        at: new Date(now()).toISOString(),
        errors: ["not understood"],
      };
      send({ topic: topics.lastCommand, payload: text, retain: true });
      return {
        session: sessionId,
        text,
        intent: null,
        actions: [],
        errors: ["not understood"],
        skipped: "no intent matched",
        confirmations: none,
      };
    }
    const ev: IntentEvent = {
      type: "intent",
      t,
      name: intent.name,
      slots: intent.slots,
      confidence: intent.confidence,
      text: intent.text,
      origin,
      session: sessionId,
    };
    if (intent.problem) ev.reason = intent.problem;
    emit(ev);
    if (m.hermes) {
      send(intentRecognized({
        intent,
        input: text,
        siteId,
        sessionId,
        // A typed command has no wake word (never the last wake's).
        wakewordId: origin === "asr" ? session?.wakewordId : undefined,
        asrConfidence: opts.confidence,
        raw: rawValues(intent, names),
      }));
    }
    const r = router.route(intent, t, sessionId);
    lastCommand = {
      text,
      intent: intent.name,
      at: new Date(now()).toISOString(),
      errors: r.errors,
    };
    send({ topic: topics.lastCommand, payload: intent.text, retain: true });
    send({
      topic: topics.lastCommandAttributes,
      payload: JSON.stringify({
        intent: intent.name,
        slots: intent.slots,
        confidence: intent.confidence,
        origin,
        errors: r.errors,
        answer: r.answer,
      }),
      retain: true,
    });
    for (const e of r.errors) error("router", e, sessionId);
    if (m.hermes && r.answer) send(ttsSay({ text: r.answer, siteId, sessionId }));
    dialogue?.end(sessionId, "nominal");
    return {
      session: sessionId,
      text,
      intent,
      actions: r.actions,
      errors: r.errors,
      answer: r.answer,
      confirmations: r.confirmations,
    };
  }

  return {
    registry,
    brokerUrl: url,
    handleText: (text, opts) => Promise.resolve(handle(text, opts)),
    grammar: () => buildCommandGrammar(registry),
    onGrammarChange(listener) {
      grammarListeners.add(listener);
      return () => grammarListeners.delete(listener);
    },
    ready: (timeoutMs = 5000) => link.settled(timeoutMs),
    connected: (timeoutMs = 5000) => link.waitConnected(timeoutMs),
    status(): DevicesStatus {
      const g = buildCommandGrammar(registry);
      const states = router.states.snapshot();
      return {
        siteId,
        area,
        mqtt: { ...link.status(), embedded: !!broker },
        listening,
        devices: registry.devices.map((d) => ({
          id: d.id,
          name: d.name,
          type: d.type,
          area: d.area,
          source: d.source,
          adapter: d.adapter.type,
          state: states[d.id] ?? {},
        })),
        areas: registry.areas.map((a) => ({ id: a.id, name: a.name })),
        grammar: {
          states: g.arcs.length,
          words: grammarWords(g).size,
          sentences: countSentences(g),
        },
        lastCommand,
        lastArbitration,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(listenTimer);
      clearTimeout(grammarTimer);
      unsubBus();
      unsubWake();
      unsubTranscript();
      dialogue?.close();
      unsubClaims();
      unsubRegistry();
      stopImport();
      router.close();
      if (link.state === "connected") setListening(false);
      await link.close();
      await broker?.close();
    },
  };
}
