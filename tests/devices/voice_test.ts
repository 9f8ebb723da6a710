/**
 * The voice back on a real Mosquitto with the real player (aplay on ALSA's null device,
 * espeak-ng): Hermes `tts/say` answered with `tts/sayFinished`, continueSession listening only
 * after its question was spoken, endSession text, the live microphone's chirp, answers,
 * "I didn't catch that" and "did not respond", remote listens (chirp once, muted wakes silent);
 * silence for arbitration losers, typed commands and uploads.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { DEFAULTS, parseConfig } from "../../core/config.ts";
import type { TranscriptEvent, WakeEvent } from "../../core/events.ts";
import { detectEngine, loadSounds, Player } from "../../audio/player.ts";
import type { Reply, Voice } from "../../devices/answers.ts";
import { startDevices } from "../../devices/runtime.ts";
import { RemoteControl } from "../../core/remote.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;

/** The real player, and a log of what it was asked to play with when each play began and ended. */
async function recordedVoice(sounds = true) {
  const config = { ...DEFAULTS.answers, device: "null", sounds };
  const { engine } = await detectEngine(config);
  assert.equal(engine, "espeak-ng");
  const player = new Player({ config, engine, sounds: await loadSounds(config.soundsDir) });
  const log: { reply: Reply; start: number; end: number }[] = [];
  const voice: Voice = {
    canSpeak: player.canSpeak,
    async play(reply) {
      const entry = { reply, start: performance.now(), end: Infinity };
      log.push(entry);
      await player.play(reply);
      entry.end = performance.now();
    },
  };
  return { voice, log, player };
}

const transcript = (text: string, over: Partial<TranscriptEvent> = {}): TranscriptEvent => ({
  type: "transcript",
  t: 2,
  text,
  confidence: 0.9,
  start: 1,
  end: 2,
  decodeMs: 10,
  alternatives: [],
  rejected: false,
  ...over,
});
const wake = (over: Partial<WakeEvent> = {}): WakeEvent => ({
  type: "wake",
  t: 1,
  model: "hey_computer",
  phrase: "hey computer",
  score: 0.8,
  sample: 16000,
  phraseEnd: 16000,
  ...over,
});

Deno.test(
  "Hermes: tts/say is spoken and answered by tts/sayFinished with its id and siteId; startListening chirps before listening",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["hermes/#"]);
    const bus = new EventBus();
    const wakes: { e: WakeEvent; at: number }[] = [];
    bus.onType("wake", (e) => wakes.push({ e, at: performance.now() }));
    const { voice, log } = await recordedVoice();
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 0, backoffMinMs: 50 },
      }),
      bus,
      { voice },
    );
    const texts = () => log.map((l) => l.reply.text).filter(Boolean);
    try {
      assert.equal(await rt.ready(), true);
      await new Promise((r) => setTimeout(r, 200));
      // rhasspy-hermes TtsSay: "id - A request identifier. If provided, it will be passed back in
      // the response message TtsSayFinished"; TtsSayFinished: "site_id ... id ... session_id".
      await w.publish(
        "hermes/tts/say",
        '{"text":"the oven is hot","siteId":"kitchen-pi","lang":null,"id":"req-1","sessionId":null}',
      );
      const finished = await w.waitFor("hermes/tts/sayFinished");
      assert.deepEqual(JSON.parse(finished.payload), {
        siteId: "kitchen-pi",
        id: "req-1",
        sessionId: null,
      });
      assert.deepEqual(texts(), ["the oven is hot"]);
      assert.ok(log[0].end < Infinity, "spoken before sayFinished");
      // Another site's say is not ours: not spoken, no sayFinished (rhasspy-hermes' own example
      // payload, '{"text": "Ciao!", "lang": "it_IT"}', is for siteId "default").
      await w.publish("hermes/tts/say", '{"text": "Ciao!", "lang": "it_IT"}');
      await w.publish("hermes/tts/say", '{"text":"garage","siteId":"garage-pi","id":"req-2"}');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(w.on("hermes/tts/sayFinished").length, 1);
      assert.deepEqual(texts(), ["the oven is hot"]);
      // A bad say is an error event naming topic and field.
      const errors: string[] = [];
      bus.onType("error", (e) => errors.push(e.message));
      await w.publish("hermes/tts/say", '{"siteId":"kitchen-pi"}');
      await until(() => errors.some((e) => e === "hermes/tts/say: text: missing"), 3000, "error");

      // startListening: the chirp first, then the wake: the recognizer never hears the chirp.
      await w.publish("hermes/asr/startListening", '{"siteId":"kitchen-pi","sessionId":"s1"}');
      await until(() => wakes.length === 1, 3000, "wake of startListening");
      const chirp = log.find((l) => l.reply.sound === "wake")!;
      assert.ok(chirp.end <= wakes[0].at, "the chirp ended before listening began");
      // The answer to a query of that session is spoken once (its own hermes/tts/say comes
      // back from the broker and is not spoken again).
      bus.emit(transcript("is the kitchen light on", { session: "s1" }));
      await w.waitFor("hermes/tts/say", (p) => p.includes("kitchen light"));
      await until(() => texts().some((t) => /kitchen light/.test(t!)), 3000, "answer");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(texts().slice(1), ["I don't know the state of the kitchen light yet"]);
      const own = JSON.parse(w.on("hermes/tts/say").at(-1)!);
      assert.equal(typeof own.id, "string");
      assert.ok(!w.on("hermes/tts/sayFinished").some((p) => JSON.parse(p).id === own.id));
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "Hermes continueSession: listening starts only once its question was spoken; endSession text is spoken",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["hermes/#"]);
    const bus = new EventBus();
    const wakes: { e: WakeEvent; at: number }[] = [];
    bus.onType("wake", (e) => wakes.push({ e, at: performance.now() }));
    // Without sounds no chirp stands between the question and the listening: the wait is
    // continueSession's own.
    const { voice, log } = await recordedVoice(false);
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 0, backoffMinMs: 50 },
      }),
      bus,
      { voice },
    );
    const texts = () => log.map((l) => l.reply.text).filter(Boolean);
    try {
      assert.equal(await rt.ready(), true);
      await new Promise((r) => setTimeout(r, 200));
      await w.publish("hermes/asr/startListening", '{"siteId":"kitchen-pi","sessionId":"s1"}');
      await until(() => wakes.length === 1, 3000, "wake of startListening");
      bus.emit(transcript("turn on the coffee machine", { session: "s1" }));
      // continueSession: the question is spoken, then (only then) listening starts again.
      await w.waitFor("hermes/dialogueManager/sessionEnded");
      const before = wakes.length;
      await w.publish(
        "hermes/dialogueManager/continueSession",
        '{"sessionId":"s1","text":"which room do you mean, the kitchen or the garage"}',
      );
      await until(() => wakes.length === before + 1, 5000, "listening again");
      const question = log.find((l) => /which room/.test(l.reply.text ?? ""))!;
      assert.ok(question.end <= wakes.at(-1)!.at, "listening began after the question was spoken");
      assert.equal(wakes.at(-1)!.e.session, "s1");
      // endSession text is spoken.
      await w.publish("hermes/dialogueManager/endSession", '{"sessionId":"s1","text":"goodbye"}');
      await until(() => texts().includes("goodbye"), 3000, "goodbye");
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "remote listens out loud: the Listen button and POST /api/listen chirp once, a Hermes listen's chirp comes before its wake only; muted, a spoken wake is silent",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["hermes/#"]);
    const bus = new EventBus();
    const wakes: { e: WakeEvent; at: number }[] = [];
    bus.onType("wake", (e) => wakes.push({ e, at: performance.now() }));
    const { voice, log } = await recordedVoice();
    const remote = new RemoteControl(bus, { muted: false, sensitivity: 0.5 });
    let sample = 16000;
    remote.attach({ sample: () => sample });
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 300, backoffMinMs: 50 },
      }),
      bus,
      { voice, remote },
    );
    const replies = () => log.map((l) => l.reply);
    try {
      assert.equal(await rt.ready(), true);
      await new Promise((r) => setTimeout(r, 200));
      // The Listen button (and POST /api/listen, the same call): a live session, not
      // arbitrated, so the chirp plays; what follows is answered out loud.
      remote.listen({ source: "homeassistant" });
      await until(() => replies().length === 1, 3000, "chirp of the button's listen");
      assert.deepEqual(replies(), [{ sound: "wake" }]);
      assert.equal(rt.status().lastArbitration, undefined, "a remote listen is not arbitrated");
      bus.emit(transcript("turn on the", { t: 2, start: 1, end: 2, rejected: true }));
      await until(() => replies().length === 2, 3000, "not heard");
      assert.deepEqual(replies()[1], { sound: "error", text: "I didn't catch that" });
      // Hermes startListening: the chirp, then the wake (through the remote control, source
      // "hermes"), and no second chirp for that session.
      sample = 64000;
      await w.publish("hermes/asr/startListening", '{"siteId":"kitchen-pi","sessionId":"h1"}');
      await until(() => wakes.length === 2, 3000, "wake of startListening");
      assert.deepEqual([wakes[1].e.source, wakes[1].e.session], ["hermes", "h1"]);
      assert.ok(log[2].end <= wakes[1].at, "the chirp ended before listening began");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(replies().slice(2), [{ sound: "wake" }]);
      // Muted (the Mute switch): a spoken wake is ignored, no chirp, nothing said after it.
      remote.setMuted(true, "homeassistant");
      bus.emit(wake({ t: 8, sample: 128000, phraseEnd: 128000 }));
      await new Promise((r) => setTimeout(r, 500));
      bus.emit(transcript("is the kitchen light on", { t: 9, start: 8, end: 9 }));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(replies().length, 3, JSON.stringify(replies().slice(3)));
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "live microphone: chirp for the winner only, the query answer, I didn't catch that, did not respond; typed and uploads silent",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["earshot/#"]);
    const bus = new EventBus();
    const { voice, log } = await recordedVoice();
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 300, backoffMinMs: 50 },
      }),
      bus,
      { voice },
    );
    const replies = () => log.map((l) => l.reply);
    const settle = () => new Promise((r) => setTimeout(r, 400));
    try {
      assert.equal(await rt.ready(), true);
      await new Promise((r) => setTimeout(r, 200));
      // A wake this satellite wins (no other claims): the chirp; the command goes to a device
      // that never reports: "the coffee machine did not respond".
      bus.emit(wake());
      await until(() => replies().length === 1, 3000, "chirp");
      assert.deepEqual(replies(), [{ sound: "wake" }]);
      bus.emit(transcript("turn on the coffee machine"));
      await until(() => replies().length === 2, 3000, "the failure");
      assert.deepEqual(replies()[1], {
        sound: "error",
        text: "the coffee machine did not respond",
      });
      // A rejected transcript: "I didn't catch that".
      bus.emit(wake({ t: 5, sample: 80000, phraseEnd: 80000 }));
      await until(() => replies().length === 3, 3000, "chirp 2");
      bus.emit(
        transcript("turn on the", { t: 6, start: 5, end: 6, rejected: true, confidence: 0.2 }),
      );
      await until(() => replies().length === 4, 3000, "not heard");
      assert.deepEqual(replies()[3], { sound: "error", text: "I didn't catch that" });
      // A wake another satellite heard better: no chirp, nothing said for its transcript.
      bus.emit(wake({ t: 9, sample: 144000, phraseEnd: 144000, score: 0.7 }));
      await w.publish(
        "earshot/arbitration/claim",
        JSON.stringify({ siteId: "garage-pi", sessionId: "theirs", score: 0.95 }),
      );
      await settle();
      bus.emit(transcript("is the kitchen light on", { t: 10, start: 9, end: 10 }));
      await settle();
      assert.equal(replies().length, 4, JSON.stringify(replies().slice(4)));
      assert.equal(rt.status().lastArbitration?.won, false);
      // Typed commands answer in their reply, not out loud; an upload's wake and transcript too.
      await rt.handleText("is the kitchen light on");
      bus.emit(wake({ t: 12, sample: 192000, session: "upload-1" }));
      bus.emit(transcript("is the kitchen light on", { t: 13, session: "upload-1" }));
      await settle();
      assert.equal(replies().length, 4, JSON.stringify(replies().slice(4)));
      // The query of a won live wake: the answer, spoken.
      bus.emit(wake({ t: 20, sample: 320000, phraseEnd: 320000 }));
      await until(() => replies().length === 5, 3000, "chirp 3");
      bus.emit(transcript("is the kitchen light on", { t: 21, start: 20, end: 21 }));
      await until(() => replies().length === 6, 3000, "answer");
      assert.deepEqual(replies()[5], {
        sound: "done",
        text: "I don't know the state of the kitchen light yet",
      });
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "the wake chirp waits for a command said in the same breath: it plays after the transcript, not into the command",
  opts,
  async () => {
    const bus = new EventBus();
    const { voice, log } = await recordedVoice();
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { embeddedPort: 0, arbitrationMs: 0, backoffMinMs: 50 },
      }),
      bus,
      { voice },
    );
    try {
      assert.equal(await rt.ready(), true);
      // One breath: speech from 0.5 s runs on 1.8 s past the phrase end (32000).
      bus.emit({ type: "vad", t: 0.5, state: "start", sample: 8000, probability: 0.9 });
      bus.emit(wake({ t: 2, sample: 32000, phraseEnd: 32000 }));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(log.length, 0, "no chirp while the command is being said");
      bus.emit({ type: "vad", t: 3.9, state: "end", sample: 60800, probability: 0.1 });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(log.length, 0, "no chirp while the recognizer decodes the command");
      bus.emit(transcript("is the kitchen light on", { t: 4, start: 2, end: 3.9 }));
      await until(() => log.length === 2, 3000, "chirp and answer");
      assert.deepEqual(log.map((l) => l.reply.sound), ["wake", "done"]);
      // A pause after the wake phrase: the chirp as soon as its speech ended.
      bus.emit({ type: "vad", t: 9.5, state: "start", sample: 152000, probability: 0.9 });
      bus.emit(wake({ t: 10.5, sample: 168000, phraseEnd: 166400 }));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(log.length, 2);
      bus.emit({ type: "vad", t: 10.6, state: "end", sample: 169600, probability: 0.1 });
      await until(() => log.length === 3, 3000, "chirp at the speech end");
      assert.deepEqual(log[2].reply, { sound: "wake" });
    } finally {
      await rt.close();
    }
  },
);
