/**
 * Wake sessions of one satellite: each `wake` starts a session that is arbitrated
 * against the other satellites (claims on `<prefix>/arbitration/claim`); the winner
 * listens (retained `listening` ON until the transcript or `listenTimeoutMs`), a loser or
 * a muted wake word silences that session's transcript, and the transcript of a live
 * session goes to the {@link TextHandler}. A wake with a `source` (listening asked for
 * remotely, core/remote.ts) is not announced as a hotword, not arbitrated (it is this
 * satellite's) and never muted here (the remote control already refused what mute forbids).
 * @module
 */
import type { TranscriptEvent, WakeEvent } from "../core/events.ts";
import type { RemoteControl } from "../core/remote.ts";
import { Arbiter, type Decision, parseClaim } from "./arbitration.ts";
import {
  type HermesDialogue,
  hotwordDetected,
  intentNotRecognized,
  textCaptured,
} from "./hermes.ts";
import type { DevicesStatus } from "./status_snapshot.ts";
import type { Site } from "./site.ts";
import type { TextHandler } from "./text_handler.ts";

interface Session {
  id: string;
  wakewordId?: string;
  /** Why this session's transcript is ignored (lost arbitration, muted). */
  suppressed?: string;
  decided: Promise<Decision>;
}

/**
 * Wake -> arbitration -> listening -> transcript, for one satellite.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import type { EarshotEvent } from "../core/events.ts";
 * import { loadRegistry } from "../home/registry.ts";
 * import { siteTopics } from "./announce.ts";
 * import { startEmbeddedBroker } from "./broker.ts";
 * import { MqttLink } from "./mqtt.ts";
 * import { Router } from "./router.ts";
 * import { Site } from "./site.ts";
 * import { TextHandler } from "./text_handler.ts";
 * const broker = await startEmbeddedBroker("127.0.0.1", 0);
 * const link = await MqttLink.connect({ url: broker.url });
 * await link.waitConnected();
 * const site = new Site(new EventBus(), "kitchen", siteTopics("earshot", "kitchen"), false);
 * site.attach(link);
 * const registry = await loadRegistry("devices/example.devices.json");
 * const emit = (e: EarshotEvent) => site.emit(e);
 * const router = new Router(registry, link, { confirmTimeoutMs: 50, brightnessStep: 25, emit });
 * const texts = new TextHandler(site, registry, router, { area: "kitchen", minConfidence: 0.75 });
 * const sessions = new WakeSessions(site, texts, {
 *   topicPrefix: "earshot",
 *   arbitrationMs: 0, // a lone satellite: no other claims to wait for
 *   listenTimeoutMs: 8000,
 * });
 * // The wake opens a session; once its arbitration is won the satellite listens.
 * sessions.onWake({
 *   type: "wake",
 *   t: 1,
 *   model: "hey_computer",
 *   phrase: "hey computer",
 *   score: 0.9,
 *   sample: 16000,
 * });
 * await sessions.onTranscript({
 *   type: "transcript",
 *   t: 2.5,
 *   text: "turn on the kitchen light",
 *   confidence: 0.9,
 *   start: 1.3,
 *   end: 2.4,
 *   decodeMs: 4,
 *   alternatives: [],
 *   rejected: false,
 * });
 * assert.equal(texts.lastCommand?.intent, "TurnOn");
 * assert.equal(site.listening, false);
 * sessions.close();
 * await new Promise((resolve) => setTimeout(resolve, 100)); // the confirm times out
 * router.close();
 * await link.close();
 * await broker.close();
 * ```
 */
export class WakeSessions {
  lastArbitration: DevicesStatus["lastArbitration"];
  #session?: Session;
  #arbiter: Arbiter;
  #listenTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubClaims: () => void;

  constructor(
    readonly site: Site,
    readonly texts: TextHandler,
    readonly opts: {
      topicPrefix: string;
      arbitrationMs: number;
      listenTimeoutMs: number;
      dialogue?: HermesDialogue;
      /** Its mute silences wake words (those of uploads too). */
      remote?: RemoteControl;
      now?: () => number;
    },
  ) {
    const claimTopic = `${opts.topicPrefix}/arbitration/claim`;
    this.#arbiter = new Arbiter(
      site.siteId,
      opts.arbitrationMs,
      (c) => site.link.publish(claimTopic, JSON.stringify(c), { qos: 0, queue: false }),
    );
    this.#unsubClaims = site.link.subscribe(claimTopic, (_t, payload) => {
      const c = parseClaim(payload);
      if (c) this.#arbiter.receive(c);
      else {
        site.error(
          "arbitration",
          `${claimTopic}: malformed claim ${JSON.stringify(payload.slice(0, 80))}`,
        );
      }
    });
  }

  /** The wake word of the latest session (what a transcript now would belong to). */
  get wakewordId(): string | undefined {
    return this.#session?.wakewordId;
  }

  /** A wake: a new session, arbitrated; the winner begins listening. */
  onWake(e: WakeEvent): void {
    const { site, opts } = this;
    // An upload's wake carries the upload's id: its transcript then finds this session.
    const id = e.session ?? crypto.randomUUID();
    const requested = e.source !== undefined;
    if (opts.remote?.muted && !requested) {
      // Muted (the mute switch, hermes/hotword/toggleOff): the wake is ignored and so is what
      // follows it.
      const never = new Promise<Decision>(() => {});
      const suppressed = "the wake word is muted";
      this.#session = { id, suppressed, decided: never };
      return;
    }
    if (site.hermes && !requested) {
      site.send(
        hotwordDetected({
          wakewordId: e.model,
          siteId: site.siteId,
          sessionId: id,
          score: e.score,
        }),
      );
    }
    site.send({ topic: site.topics.wake, payload: "ON" });
    // Listening asked for this satellite is not arbitrated: no other satellite heard it.
    const own = { siteId: site.siteId, sessionId: id, score: e.score };
    const decided = requested
      ? Promise.resolve<Decision>({ sessionId: id, won: true, winner: own, claims: [own] })
      : this.#arbiter.wake(id, e.score);
    const s: Session = { id, wakewordId: e.model, decided };
    this.#session = s;
    decided.then((d) => this.#decided(s, d, e.score, !requested));
  }

  #decided(s: Session, d: Decision, score: number, arbitrated: boolean): void {
    const { site, opts } = this;
    if (arbitrated) {
      this.lastArbitration = {
        sessionId: s.id,
        won: d.won,
        winner: d.winner.siteId,
        claims: d.claims.length,
        at: new Date((opts.now ?? Date.now)()).toISOString(),
      };
    }
    if (!d.won) {
      s.suppressed = `site "${d.winner.siteId}" heard it better (${d.winner.score.toFixed(3)} > ${
        score.toFixed(3)
      })`;
      return;
    }
    if (this.#session !== s) return;
    opts.dialogue?.begin(s.id);
    site.setListening(true);
    clearTimeout(this.#listenTimer);
    this.#listenTimer = setTimeout(() => {
      if (this.#session === s && site.listening) {
        site.setListening(false);
        opts.dialogue?.end(s.id, "timeout");
      }
    }, opts.listenTimeoutMs);
  }

  /** A transcript: after its session's arbitration, to the text handler (unless silenced). */
  async onTranscript(e: TranscriptEvent): Promise<void> {
    const { site, opts } = this;
    const current = this.#session;
    // A transcript of one upload belongs to that upload's session (never to a live wake).
    const s = e.session === undefined || current?.id === e.session ? current : undefined;
    if (s && !s.suppressed) await s.decided;
    const sessionId = e.session ?? s?.id ?? crypto.randomUUID();
    if (s?.suppressed) return;
    if (e.rejected) {
      if (site.hermes) {
        site.send(intentNotRecognized({ input: e.text, siteId: site.siteId, sessionId }));
      }
      opts.dialogue?.end(sessionId, "intentNotRecognized");
      if (site.listening) site.setListening(false);
      return;
    }
    if (site.hermes) {
      site.send(textCaptured({
        text: e.text,
        likelihood: e.confidence,
        seconds: e.end - e.start,
        siteId: site.siteId,
        sessionId,
        wakewordId: s?.wakewordId,
      }));
    }
    if (site.closed) return;
    this.texts.handle(e.text, {
      origin: "asr",
      t: e.end,
      confidence: e.confidence,
      sessionId,
      wakewordId: this.wakewordId,
      decoded: e.intent,
    });
  }

  close(): void {
    clearTimeout(this.#listenTimer);
    this.#unsubClaims();
  }
}
