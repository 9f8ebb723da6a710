import assert from "node:assert/strict";
import {
  hotwordDetected,
  intentNotRecognized,
  intentRecognized,
  parseHermes,
  sessionEnded,
  textCaptured,
  ttsSay,
} from "../../devices/hermes.ts";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { WakeEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";
import { haDiscoveryConfigs, siteTopics } from "../../devices/announce.ts";

Deno.test("Hermes payloads have the Rhasspy field names", () => {
  const h = hotwordDetected({
    wakewordId: "hey_computer",
    siteId: "kitchen",
    sessionId: "s1",
    score: 0.91234,
  });
  assert.equal(h.topic, "hermes/hotword/hey_computer/detected");
  assert.deepEqual(JSON.parse(h.payload), {
    modelId: "hey_computer",
    modelVersion: "",
    modelType: "personal",
    currentSensitivity: 0.912,
    siteId: "kitchen",
    sessionId: "s1",
    sendAudioCaptured: null,
    lang: null,
    customEntities: null,
  });
  const t = textCaptured({
    text: "turn on the light",
    likelihood: 0.8,
    seconds: 1.25,
    siteId: "kitchen",
    sessionId: "s1",
  });
  assert.equal(t.topic, "hermes/asr/textCaptured");
  assert.deepEqual(JSON.parse(t.payload), {
    text: "turn on the light",
    likelihood: 0.8,
    seconds: 1.25,
    siteId: "kitchen",
    sessionId: "s1",
    wakewordId: null,
    asrTokens: null,
    lang: null,
  });
  const i = intentRecognized({
    intent: {
      name: "SetBrightness",
      slots: { device: "kitchen_light", value: 50 },
      confidence: 1,
      text: "set the kitchen light to fifty percent",
    },
    input: "Set the kitchen light to 50%",
    siteId: "kitchen",
    sessionId: "s1",
  });
  assert.equal(i.topic, "hermes/intent/SetBrightness");
  const p = JSON.parse(i.payload);
  assert.deepEqual(p.intent, { intentName: "SetBrightness", confidenceScore: 1 });
  assert.equal(p.input, "set the kitchen light to fifty percent");
  assert.equal(p.rawInput, "Set the kitchen light to 50%");
  assert.deepEqual(p.slots, [
    {
      entity: "device",
      slotName: "device",
      rawValue: "kitchen_light",
      value: { kind: "Unknown", value: "kitchen_light" },
      confidence: 1,
    },
    {
      entity: "value",
      slotName: "value",
      rawValue: "50",
      value: { kind: "Number", value: 50 },
      confidence: 1,
    },
  ]);
  const n = intentNotRecognized({ input: "sing", siteId: "kitchen", sessionId: "s2" });
  assert.equal(n.topic, "hermes/nlu/intentNotRecognized");
  assert.deepEqual(JSON.parse(n.payload), {
    input: "sing",
    siteId: "kitchen",
    sessionId: "s2",
    id: null,
    customData: null,
  });
});

Deno.test("earshot's own Home Assistant discovery configs", () => {
  const t = siteTopics("earshot", "pi");
  assert.equal(t.availability, "earshot/pi/status");
  const cfgs = haDiscoveryConfigs("earshot", "pi");
  assert.deepEqual(cfgs.map((c) => c.topic), [
    "homeassistant/binary_sensor/earshot_pi/wake/config",
    "homeassistant/binary_sensor/earshot_pi/listening/config",
    "homeassistant/sensor/earshot_pi/last_command/config",
    "homeassistant/button/earshot_pi/listen/config",
    "homeassistant/switch/earshot_pi/mute/config",
    "homeassistant/number/earshot_pi/sensitivity/config",
  ]);
  assert.ok(cfgs.every((c) => c.retain));
  const wake = JSON.parse(cfgs[0].payload);
  assert.equal(wake.state_topic, "earshot/pi/wake");
  assert.equal(wake.availability_topic, "earshot/pi/status");
  assert.equal(wake.unique_id, "earshot_pi_wake");
  assert.deepEqual(wake.device.identifiers, ["earshot_pi"]);
  // HA: 'Replace the "object_id": "X" option with "default_entity_id": "sensor.X" in your
  // published discovery configuration ... This will stop working in Home Assistant Core 2026.4'.
  assert.equal(wake.object_id, undefined);
  assert.equal(wake.default_entity_id, "binary_sensor.earshot_pi_wake");
  assert.equal(JSON.parse(cfgs[2].payload).default_entity_id, "sensor.earshot_pi_last_command");
  assert.equal(wake.origin.name, "earshot"); // the remote controls: tests/devices/remote_test.ts
  const odd = haDiscoveryConfigs("earshot", "site/with+odd#chars");
  assert.ok(odd.every((c) => !/[+#]/.test(c.topic.split("/").slice(1, 3).join("/"))));
});

Deno.test("hermes/tts/say carries the answer", () => {
  const m = ttsSay({ text: "yes, the lamp is on", siteId: "pi", sessionId: "s" });
  assert.equal(m.topic, "hermes/tts/say");
  assert.deepEqual(JSON.parse(m.payload), {
    text: "yes, the lamp is on",
    siteId: "pi",
    sessionId: "s",
    lang: null,
    id: null,
  });
});

Deno.test("parseHermes reads rhasspy-hermes' DialogueEndSession, ContinueSession, AsrStartListening, HotwordToggle*", () => {
  assert.deepEqual(
    parseHermes(
      "hermes/dialogueManager/endSession",
      '{"sessionId":"s1","text":"the heating is on","customData":null}',
    ),
    { kind: "endSession", sessionId: "s1", text: "the heating is on", customData: undefined },
  );
  assert.deepEqual(
    parseHermes(
      "hermes/dialogueManager/continueSession",
      '{"sessionId":"s1","customData":"","text":"which room?","intentFilter":["TurnOn"],"sendIntentNotRecognized":false,"slot":""}',
    ),
    {
      kind: "continueSession",
      sessionId: "s1",
      text: "which room?",
      intentFilter: ["TurnOn"],
      customData: "",
    },
  );
  // AsrStartListening(siteId="default", sessionId=None, stopOnSilence=True, wakewordId=None, ...)
  assert.deepEqual(
    parseHermes(
      "hermes/asr/startListening",
      '{"siteId":"pi","sessionId":null,"lang":null,"stopOnSilence":true,"sendAudioCaptured":false,"wakewordId":null,"intentFilter":null}',
    ),
    { kind: "startListening", siteId: "pi", sessionId: undefined, wakewordId: undefined },
  );
  assert.deepEqual(parseHermes("hermes/hotword/toggleOff", '{"siteId":"pi","reason":"ttsSay"}'), {
    kind: "hotword",
    on: false,
    siteId: "pi",
    reason: "ttsSay",
  });
  assert.equal(parseHermes("hermes/intent/TurnOn", "{}"), null);
  assert.throws(
    () => parseHermes("hermes/dialogueManager/endSession", "{"),
    /endSession: payload is not JSON/,
  );
  assert.throws(
    () => parseHermes("hermes/dialogueManager/endSession", "{}"),
    /endSession: sessionId: missing/,
  );
  assert.throws(
    () =>
      parseHermes("hermes/dialogueManager/continueSession", '{"sessionId":"s","intentFilter":"x"}'),
    /intentFilter: expected a list/,
  );
  assert.throws(
    () => parseHermes("hermes/hotword/toggleOn", '{"siteId":5}'),
    /siteId: expected a string/,
  );
  const ended = JSON.parse(
    sessionEnded({ sessionId: "s", siteId: "pi", reason: "intentNotRecognized" }).payload,
  );
  assert.deepEqual(ended, {
    termination: { reason: "intentNotRecognized" },
    sessionId: "s",
    siteId: "pi",
    customData: null,
    lang: null,
  });
});

Deno.test(
  "Hermes dialogue on a real Mosquitto: startListening, sessionStarted/Ended, rawValue = words said, endSession text, toggleOff, typed commands without a wakewordId",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["hermes/#"]);
    const bus = new EventBus();
    const wakes: WakeEvent[] = [];
    bus.onType("wake", (e) => wakes.push(e));
    const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;
    const rt = await startDevices(
      parseConfig({
        devices: { file: example, area: "kitchen", confirmTimeoutMs: 300 },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 0, backoffMinMs: 50 },
      }),
      bus,
    );
    try {
      assert.equal(await rt.ready(), true);
      await new Promise((r) => setTimeout(r, 200));
      // hermes/asr/startListening for another site does nothing; for ours it wakes without the
      // wake word (no hotword/detected) and starts a session.
      await w.publish("hermes/asr/startListening", '{"siteId":"garage-pi","sessionId":"x"}');
      await w.publish(
        "hermes/asr/startListening",
        '{"siteId":"kitchen-pi","sessionId":"s-listen"}',
      );
      await until(() => wakes.length === 1, 3000, "a wake from startListening");
      assert.equal(wakes[0].session, "s-listen");
      const started = JSON.parse(
        (await w.waitFor("hermes/dialogueManager/sessionStarted")).payload,
      );
      assert.deepEqual(started, {
        sessionId: "s-listen",
        siteId: "kitchen-pi",
        customData: null,
        lang: null,
      });
      assert.deepEqual(w.messages.filter((x) => /hotword\/.*\/detected/.test(x.topic)), []);
      // The transcript of that session: rawValue holds the words said, not the device id.
      bus.emit({
        type: "transcript",
        t: 2,
        text: "set the counter lights to thirty percent",
        confidence: 0.9,
        start: 0.5,
        end: 2,
        decodeMs: 10,
        alternatives: [],
        rejected: false,
        session: "s-listen",
      });
      const intent = JSON.parse((await w.waitFor(/^hermes\/intent\//)).payload);
      assert.equal(intent.sessionId, "s-listen");
      const raw = Object.fromEntries(
        intent.slots.map((s: { slotName: string; rawValue: string }) => [s.slotName, s.rawValue]),
      );
      assert.equal(raw.device, "counter lights");
      assert.equal(raw.value, "thirty");
      const ended = JSON.parse((await w.waitFor("hermes/dialogueManager/sessionEnded")).payload);
      assert.deepEqual([ended.sessionId, ended.termination], ["s-listen", { reason: "nominal" }]);
      // A Hermes app answers with endSession text: earshot says it (hermes/tts/say).
      await w.publish(
        "hermes/dialogueManager/endSession",
        '{"sessionId":"s-listen","text":"done, the counter is dimmed"}',
      );
      const say = JSON.parse(
        (await w.waitFor("hermes/tts/say", (p) => p.includes("counter is dimmed"))).payload,
      );
      assert.deepEqual([say.sessionId, say.siteId], ["s-listen", "kitchen-pi"]);
      // endSession for a session of another satellite is ignored.
      await w.publish("hermes/dialogueManager/endSession", '{"sessionId":"elsewhere","text":"no"}');
      // A malformed request is an error event naming the topic, never a crash.
      const errors: string[] = [];
      bus.onType("error", (e) => errors.push(e.message));
      await w.publish("hermes/dialogueManager/continueSession", "{}");
      await until(
        () => errors.some((e) => /continueSession: sessionId: missing/.test(e)),
        3000,
        "error",
      );
      // toggleOff: a wake is ignored and so is its transcript; toggleOn restores it.
      await w.publish("hermes/hotword/toggleOff", '{"siteId":"kitchen-pi","reason":""}');
      await new Promise((r) => setTimeout(r, 300));
      const before = w.messages.length;
      bus.emit({
        type: "wake",
        t: 3,
        model: "hey_computer",
        phrase: "hey computer",
        score: 0.9,
        sample: 48000,
      });
      bus.emit({
        type: "transcript",
        t: 4,
        text: "turn on the coffee machine",
        confidence: 0.9,
        start: 3,
        end: 4,
        decodeMs: 10,
        alternatives: [],
        rejected: false,
      });
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(w.messages.slice(before).map((x) => x.topic), []);
      await w.publish("hermes/hotword/toggleOn", '{"siteId":"kitchen-pi","reason":""}');
      await new Promise((r) => setTimeout(r, 300));
      bus.emit({
        type: "wake",
        t: 5,
        model: "hey_computer",
        phrase: "hey computer",
        score: 0.9,
        sample: 80000,
      });
      await w.waitFor("hermes/hotword/hey_computer/detected");
      // A typed command carries no wakewordId (not the last wake's).
      const n = w.on("hermes/intent/TurnOn").length;
      await rt.handleText("turn on the coffee machine");
      await until(() => w.on("hermes/intent/TurnOn").length === n + 1, 3000, "typed intent");
      const typed = JSON.parse(w.on("hermes/intent/TurnOn").at(-1)!);
      assert.equal(typed.wakewordId, null);
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);
