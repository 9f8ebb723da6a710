/**
 * Wake sessions of one satellite: each `wake` starts a session that is arbitrated
 * against the other satellites (claims on `<prefix>/arbitration/claim`); the winner
 * listens (retained `listening` ON until the transcript or `listenTimeoutMs`), a loser or
 * a muted wake word silences that session's transcript, and the transcript of a live
 * session goes to the {@link TextHandler}. A wake with a `source` (listening asked for
 * remotely, core/remote.ts) is not announced as a hotword, not arbitrated (it is this
 * satellite's) and never muted here (the remote control already refused what mute forbids).
 *
 * Out loud (sessions of the live microphone, remote listens included, with a `voice`): the
 * winner's wake chirp (never a loser's), "I didn't catch that" for a rejected transcript or a
 * listen timeout. The chirp waits for the end of the wake phrase's speech: a command said in the
 * same breath is decoded from the audio already heard, and the chirp then plays once its
 * transcript came ({@link wakeChirp}), so it never lands in the middle of the command. A Hermes
 * listen (startListening, continueSession) had its chirp before the wake (devices/runtime.ts).
 * @module
 */
import type { TranscriptEvent, VadEvent, WakeEvent } from "../core/events.ts";
import type { RemoteControl } from "../core/remote.ts";
import { type AnswerEvent, replyFor, type Voice, wakeChirp } from "./answers.ts";
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
  /** A session of the live microphone (answered out loud), not of an upload. */
  live: boolean;
  /** Where the wake phrase ended (stream sample). */
  phraseEnd: number;
  /** The wake chirp: waiting for the phrase's speech to end / for the transcript / played. */
  chirp?: "speechEnd" | "transcript" | "played";
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
  /** Whether the live microphone's VAD hears speech now. */
  #speaking = false;

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
      /** Plays the chirp and the error replies of live sessions; absent: silent. */
      voice?: Voice;
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
    // An upload's wake carries its upload id; the live microphone's none (a remote listen's
    // is its own, on the live pipeline).
    const live = e.session === undefined || requested;
    const phraseEnd = e.phraseEnd ?? e.sample;
    if (opts.remote?.muted && !requested) {
      // Muted (the mute switch, hermes/hotword/toggleOff): the wake is ignored and so is what
      // follows it.
      const never = new Promise<Decision>(() => {});
      const suppressed = "the wake word is muted";
      this.#session = { id, suppressed, decided: never, live, phraseEnd };
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
    // A Hermes request to listen had its chirp before the wake (devices/runtime.ts).
    const s: Session = {
      id,
      wakewordId: e.model,
      decided,
      live,
      phraseEnd,
      chirp: e.source === "hermes" ? "played" : undefined,
    };
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
    if (s.live && !s.chirp) {
      s.chirp = this.#speaking ? "speechEnd" : "played";
      if (s.chirp === "played") this.#answer({ kind: "listening" });
    }
    clearTimeout(this.#listenTimer);
    this.#listenTimer = setTimeout(() => {
      if (this.#session === s && site.listening) {
        site.setListening(false);
        opts.dialogue?.end(s.id, "timeout");
        if (s.live) this.#answer({ kind: "notHeard" });
      }
    }, opts.listenTimeoutMs);
  }

  #answer(e: AnswerEvent): void {
    this.opts.voice?.play(replyFor(e));
  }

  /**
   * The live microphone's speech starts and ends (VAD events without a session): a chirp
   * waiting for the wake phrase's speech to end plays now, or after the transcript when the
   * speech ran on into a command ({@link wakeChirp}).
   */
  onVad(e: VadEvent): void {
    if (e.session !== undefined) return;
    this.#speaking = e.state === "start";
    const s = this.#session;
    if (e.state !== "end" || s?.chirp !== "speechEnd") return;
    s.chirp = wakeChirp(s.phraseEnd, e.sample) === "now" ? "played" : "transcript";
    if (s.chirp === "played") this.#answer({ kind: "listening" });
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
    const live = s?.live ?? e.session === undefined;
    if (s && s.chirp !== "played" && s.live) {
      // The command was said in the wake phrase's breath: its audio is decoded; chirp now.
      s.chirp = "played";
      this.#answer({ kind: "listening" });
    }
    if (e.rejected) {
      if (live) this.#answer({ kind: "notHeard" });
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
      voice: live,
    });
  }

  close(): void {
    clearTimeout(this.#listenTimer);
    this.#unsubClaims();
  }
}
