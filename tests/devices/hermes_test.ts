import assert from "node:assert/strict";
import {
  hotwordDetected,
  intentNotRecognized,
  intentRecognized,
  textCaptured,
  ttsSay,
} from "../../devices/hermes.ts";
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
  assert.deepEqual(wake.origin, { name: "earshot" });
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
