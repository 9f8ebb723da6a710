/**
 * Remote control over MQTT: earshot's Home Assistant listen button, mute switch and wake
 * sensitivity number (discovery checked against Home Assistant's MQTT docs), their commands
 * on a real Mosquitto with the real wake detector and recognizer behind them, the retained
 * state, persistence across a restart, and Hermes hotword toggles / startListening.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent, WakeEvent } from "../../core/events.ts";
import { RemoteControl } from "../../core/remote.ts";
import { VERSION } from "../../core/version.ts";
import { haDiscoveryConfigs, origin } from "../../devices/announce.ts";
import { parseRemoteCommand, RemoteCommandError } from "../../devices/remote_mqtt.ts";
import { startDevices, supportUrl } from "../../devices/runtime.ts";
import { Pipeline } from "../../pipeline/pipeline.ts";
import { createStages, RecognizerSlot } from "../../app/stages.ts";
import { wireRemote } from "../../app/assistant.ts";
import { WakeDetector } from "../../wake/detector.ts";
import { decodeWav } from "../../audio/wav.ts";
import { tempDir } from "../helpers/audio.ts";
import { Mosquitto, until, Watcher } from "./mosquitto.ts";

const EXAMPLE = new URL("../../devices/example.devices.json", import.meta.url).pathname;
const DEMO = new URL("../../assets/demo.wav", import.meta.url).pathname;

const byTopic = (site = "pi") =>
  Object.fromEntries(
    haDiscoveryConfigs("earshot", site, "homeassistant", origin("http://pi.local:8089/")).map(
      (c) => [c.topic, { ...JSON.parse(c.payload), retain: c.retain }],
    ),
  );

Deno.test("discovery: every config carries origin name, sw_version and support_url, and default_entity_id (not object_id)", () => {
  const cfgs = byTopic();
  assert.equal(Object.keys(cfgs).length, 6);
  for (const [topic, c] of Object.entries(cfgs)) {
    // HA MQTT discovery: "It is recommended to add information about the origin of MQTT
    // entities by including the `origin` option (abbreviated as `o`) in the discovery
    // payload." name: "The name of the application that is the origin of the discovered MQTT
    // item. (Required)"; sw_version: "Software version of the application that supplies the
    // discovered MQTT item."; support_url: "Support URL of the application that supplies the
    // discovered MQTT item."
    assert.deepEqual(c.origin, {
      name: "earshot",
      sw_version: VERSION,
      support_url: "http://pi.local:8089/",
    }, topic);
    // HA 2025.10: 'Replace the "object_id": "X" option with "default_entity_id": "sensor.X"'.
    const [, component, , object] = topic.split("/");
    assert.equal(c.default_entity_id, `${component}.earshot_pi_${object}`, topic);
    assert.equal(c.object_id, undefined, topic);
    assert.equal(c.unique_id, `earshot_pi_${object}`, topic);
    assert.equal(c.availability_topic, "earshot/pi/status", topic);
    assert.deepEqual(c.device.identifiers, ["earshot_pi"], topic);
    // "A discovery payload can be sent with a retain flag set."
    assert.equal(c.retain, true, topic);
  }
});

Deno.test("discovery: the listen button, field by field (HA MQTT button docs)", () => {
  const b = byTopic()["homeassistant/button/earshot_pi/listen/config"];
  // command_topic: "The MQTT topic to publish commands to trigger the button."
  assert.equal(b.command_topic, "earshot/pi/listen/set");
  // payload_press: "The payload To send to trigger the button." default: "PRESS"
  assert.equal(b.payload_press, "PRESS");
  assert.equal(b.state_topic, undefined); // a button has no state
  assert.equal(b.name, "Listen");
});

Deno.test("discovery: the mute switch, field by field (HA MQTT switch docs)", () => {
  const s = byTopic()["homeassistant/switch/earshot_pi/mute/config"];
  // command_topic: "The MQTT topic to publish commands to change the switch state."
  assert.equal(s.command_topic, "earshot/pi/mute/set");
  // state_topic: "The MQTT topic subscribed to receive state updates."
  assert.equal(s.state_topic, "earshot/pi/mute");
  // payload_on: "The payload that represents enabled state." default: ON; state_on defaults
  // to payload_on: earshot publishes the same words it takes.
  assert.equal(s.payload_on, "ON");
  assert.equal(s.payload_off, "OFF");
  assert.equal(s.state_on, undefined);
  // optimistic: "Flag that defines if switch works in optimistic mode." default: "`true` if
  // no `state_topic` defined, else `false`." earshot reflects the state back.
  assert.equal(s.optimistic, false);
});

Deno.test("discovery: the sensitivity number, field by field (HA MQTT number docs)", () => {
  const n = byTopic()["homeassistant/number/earshot_pi/sensitivity/config"];
  // command_topic: "The MQTT topic to publish commands to change the number."
  assert.equal(n.command_topic, "earshot/pi/sensitivity/set");
  // state_topic: "The MQTT topic subscribed to receive number values."
  assert.equal(n.state_topic, "earshot/pi/sensitivity");
  // min: "Minimum value." default: 1 -- so 0 must be sent; max: "Maximum value." default: 100.
  assert.equal(n.min, 0);
  assert.equal(n.max, 1);
  // step: "Step value. Smallest value `0.001`." default: 1
  assert.equal(n.step, 0.05);
  assert.ok(n.step >= 0.001);
  // mode: "Can be set to `box` or `slider` to force a display mode."
  assert.equal(n.mode, "slider");
  assert.equal(n.optimistic, false);
  // entity_category: "The category of the entity." -- a setting, not a sensor.
  assert.equal(n.entity_category, "config");
});

Deno.test("support_url: mqtt.supportUrl, else the satellite's dashboard address", () => {
  assert.equal(supportUrl(parseConfig({})), "http://127.0.0.1:8089/");
  assert.equal(supportUrl(parseConfig({ api: { host: "::1", port: 9000 } })), "http://[::1]:9000/");
  assert.equal(
    supportUrl(parseConfig({ mqtt: { supportUrl: "https://help.example/earshot" } })),
    "https://help.example/earshot",
  );
  // api.lan serves the network (README "The status page from a phone"): the host's name.
  for (const api of [{ lan: true }, { lan: true, host: "0.0.0.0" }]) {
    const url = supportUrl(parseConfig({ api }));
    assert.match(url, /^http:\/\/[^/]+:8089\/$/);
    assert.doesNotMatch(url, /0\.0\.0\.0|127\.0\.0\.1/);
  }
  assert.equal(
    supportUrl(parseConfig({ api: { lan: true, host: "192.168.1.20" } })),
    "http://192.168.1.20:8089/",
  );
});

Deno.test("command payloads: PRESS, ON/OFF and numbers are read; anything else is a clear error", () => {
  const T = "earshot/pi/x/set";
  assert.deepEqual(parseRemoteCommand("listen", T, "PRESS"), { kind: "listen" });
  assert.deepEqual(parseRemoteCommand("mute", T, "ON"), { kind: "mute", muted: true });
  assert.deepEqual(parseRemoteCommand("mute", T, "OFF\n"), { kind: "mute", muted: false });
  assert.deepEqual(parseRemoteCommand("sensitivity", T, "0.65"), {
    kind: "sensitivity",
    value: 0.65,
  });
  assert.deepEqual(parseRemoteCommand("sensitivity", T, "1"), { kind: "sensitivity", value: 1 });
  assert.deepEqual(parseRemoteCommand("sensitivity", T, "0"), { kind: "sensitivity", value: 0 });
  const bad: Array<[Parameters<typeof parseRemoteCommand>[0], string, RegExp]> = [
    ["listen", "press", /earshot\/pi\/x\/set: unknown payload "press" \(expected "PRESS"\)/],
    ["listen", "", /unknown payload "" \(expected "PRESS"\)/],
    ["mute", "TOGGLE", /unknown payload "TOGGLE" \(expected "ON" or "OFF"\)/],
    ["mute", "on", /unknown payload "on"/],
    ["sensitivity", "high", /"high" is not a number \(expected 0 to 1/],
    ["sensitivity", "", /"" is not a number/],
    ["sensitivity", "0x1", /"0x1" is not a number/],
    ["sensitivity", "NaN", /"NaN" is not a number/],
    ["sensitivity", "Infinity", /"Infinity" is not a number/],
    ["sensitivity", "1.5", /1\.5 is out of range \(expected 0 to 1\)/],
    ["sensitivity", "-0.1", /-0\.1 is out of range/],
    ["sensitivity", "x".repeat(500), /"x{40}\.\.\." is not a number/],
  ];
  for (const [kind, payload, re] of bad) {
    assert.throws(() => parseRemoteCommand(kind, T, payload), (err: Error) => {
      assert.ok(err instanceof RemoteCommandError, `${kind} ${payload}`);
      assert.match(err.message, re);
      return true;
    });
  }
});

/** The live pieces: real wake detector and recognizer on a pipeline, wired to the remote. */
async function livePipeline(
  config: ReturnType<typeof parseConfig>,
  bus: EventBus,
  remote: RemoteControl,
) {
  const stages = await createStages(config, bus, {});
  const pipeline = await Pipeline.create(config, bus, { stages });
  const release = wireRemote(remote, pipeline, config);
  const detector = stages.find((s): s is WakeDetector => s instanceof WakeDetector)!;
  const slot = stages.find((s): s is RecognizerSlot => s instanceof RecognizerSlot)!;
  return {
    pipeline,
    detector,
    slot,
    async close() {
      release();
      await pipeline.close();
    },
  };
}

const silence = (seconds: number) => new Float32Array(Math.round(seconds * 16000));

Deno.test(
  "on a real Mosquitto: pressing Listen opens the recognizer, the switch mutes the wake detector, the number moves its threshold, state retained",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using dir = await tempDir();
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["earshot/#", "hermes/#"]);
    const bus = new EventBus();
    const events: EarshotEvent[] = [];
    bus.on((e) => e.type !== "level" && events.push(e));
    const config = parseConfig({
      devices: { file: EXAMPLE, area: "kitchen" },
      mqtt: { url: m.url, siteId: "pi", arbitrationMs: 0, backoffMinMs: 50 },
      remote: { stateFile: `${dir.path}/state/remote.json` },
    });
    const remote = await RemoteControl.open(bus, {
      sensitivity: config.wake.sensitivity,
      stateFile: config.remote.stateFile,
    });
    const live = await livePipeline(config, bus, remote);
    const rt = await startDevices(config, bus, { remote });
    try {
      assert.equal(await rt.ready(), true);
      // The state is published retained at connection: unmuted, sensitivity 0.5.
      assert.equal((await w.waitFor("earshot/pi/mute")).payload, "OFF");
      assert.equal((await w.waitFor("earshot/pi/sensitivity")).payload, "0.5");
      await live.pipeline.push(silence(1));

      // The button: a wake event with source "homeassistant" at the pipeline's sample; the
      // recognizer listens after the next frames, as after a spoken wake word.
      assert.equal(live.slot.recognizer.listening, false);
      await w.publish("earshot/pi/listen/set", "PRESS");
      await until(() => events.some((e) => e.type === "wake"), 3000, "wake from the button");
      const wake = events.find((e): e is WakeEvent => e.type === "wake")!;
      assert.equal(wake.source, "homeassistant");
      assert.equal(wake.sample, 16000);
      assert.equal(wake.score, 1);
      await live.pipeline.push(silence(0.1));
      assert.equal(live.slot.recognizer.listening, true);
      assert.equal((await w.waitFor("earshot/pi/listening", (p) => p === "ON")).payload, "ON");
      // No hotword was heard: nothing on hermes/hotword/+/detected, but a session started.
      await w.waitFor("hermes/dialogueManager/sessionStarted");
      assert.deepEqual(w.messages.filter((x) => /^hermes\/hotword\//.test(x.topic)), []);
      assert.equal(remote.listens.homeassistant, 1);
      // Not arbitrated: it was asked of this satellite, no claim went out.
      assert.deepEqual(w.on("earshot/arbitration/claim"), []);

      // The number: sensitivity 0.75 halves the way from the model's threshold to minThreshold.
      const base = live.detector.thresholds.hey_computer;
      await w.publish("earshot/pi/sensitivity/set", "0.75");
      await until(() => remote.sensitivity === 0.75, 3000, "sensitivity 0.75");
      const expected = Math.round((base - 0.5 * (base - config.wake.minThreshold)) * 1e6) / 1e6;
      assert.equal(live.detector.thresholds.hey_computer, expected);
      assert.ok(expected < base);
      await w.waitFor("earshot/pi/sensitivity", (p) => p === "0.75");

      // Bad payloads: an error event naming topic and payload, the state published again,
      // nothing changed, nothing crashed.
      const errors = () =>
        events.filter((e) => e.type === "error" && e.stage === "remote").map((e) =>
          (e as { message: string }).message
        );
      const nSens = w.on("earshot/pi/sensitivity").length;
      await w.publish("earshot/pi/sensitivity/set", "loud");
      await w.publish("earshot/pi/sensitivity/set", "7");
      await w.publish("earshot/pi/mute/set", "MAYBE");
      await w.publish("earshot/pi/listen/set", "CLICK");
      await until(() => errors().length === 4, 3000, "four remote errors");
      assert.match(errors()[0], /earshot\/pi\/sensitivity\/set: "loud" is not a number/);
      assert.match(
        errors()[1],
        /earshot\/pi\/sensitivity\/set: 7 is out of range \(expected 0 to 1\)/,
      );
      assert.match(errors()[2], /earshot\/pi\/mute\/set: unknown payload "MAYBE"/);
      assert.match(errors()[3], /earshot\/pi\/listen\/set: unknown payload "CLICK"/);
      await until(() => w.on("earshot/pi/sensitivity").length >= nSens + 3, 3000, "state again");
      assert.equal(w.on("earshot/pi/sensitivity").at(-1), "0.75");
      assert.equal(remote.sensitivity, 0.75);
      assert.equal(remote.muted, false);

      // Back to the model's own threshold for the recording below.
      await w.publish("earshot/pi/sensitivity/set", "0.5");
      await until(() => live.detector.thresholds.hey_computer === base, 3000, "threshold back");

      // The switch: muted, the detector hears the demo's wake word but emits nothing (counted).
      await w.publish("earshot/pi/mute/set", "ON");
      await until(() => remote.muted, 3000, "muted");
      assert.equal(live.detector.muted, true);
      await w.waitFor("earshot/pi/mute", (p) => p === "ON");
      const wakesBefore = events.filter((e) => e.type === "wake").length;
      const demo = decodeWav(await Deno.readFile(DEMO), { name: "demo.wav" });
      assert.equal(demo.sampleRate, 16000);
      for (let i = 0; i < demo.samples.length; i += 1600) {
        await live.pipeline.push(demo.samples.subarray(i, i + 1600));
      }
      assert.equal(events.filter((e) => e.type === "wake").length, wakesBefore);
      assert.equal(live.detector.stats.muted, 1);
      assert.equal(remote.status().suppressedWakes, 1);
      // While muted the button is refused (an error event), nothing listens.
      await w.publish("earshot/pi/listen/set", "PRESS");
      await until(() => errors().some((e) => /listen\/set: the wake word is muted/.test(e)));
      assert.equal(events.filter((e) => e.type === "wake").length, wakesBefore);

      // Unmuted: the same recording wakes it.
      await w.publish("earshot/pi/mute/set", "OFF");
      await until(() => !remote.muted, 3000, "unmuted");
      for (let i = 0; i < demo.samples.length; i += 1600) {
        await live.pipeline.push(demo.samples.subarray(i, i + 1600));
      }
      const spoken = events.filter((e): e is WakeEvent => e.type === "wake").slice(wakesBefore);
      assert.equal(spoken.length, 1);
      assert.equal(spoken[0].model, "hey_computer");
      assert.equal(spoken[0].source, undefined);
      // A spoken wake is arbitrated (its claim went out).
      await until(() => w.on("earshot/arbitration/claim").length === 1, 3000, "a claim");

      // A fresh subscriber gets the retained state.
      const late = await Watcher.connect(m.url, ["earshot/pi/mute", "earshot/pi/sensitivity"]);
      try {
        const mute = await late.waitFor("earshot/pi/mute");
        const sens = await late.waitFor("earshot/pi/sensitivity");
        assert.deepEqual([mute.payload, mute.retain, sens.payload, sens.retain], [
          "OFF",
          true,
          "0.5",
          true,
        ]);
      } finally {
        await late.close();
      }
    } finally {
      await rt.close();
      await live.close();
      await remote.flush();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "mute and sensitivity survive a restart: the state file is read at start, published retained and applied to the detector",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using dir = await tempDir();
    const m = await Mosquitto.start();
    const file = `${dir.path}/remote.json`;
    const config = parseConfig({
      devices: { file: EXAMPLE },
      mqtt: { url: m.url, siteId: "pi", arbitrationMs: 0, backoffMinMs: 50 },
      remote: { stateFile: file },
    });
    const run = async (fn: (r: RemoteControl, d: WakeDetector) => Promise<void>) => {
      const bus = new EventBus();
      const remote = await RemoteControl.open(bus, {
        sensitivity: config.wake.sensitivity,
        stateFile: file,
      });
      const live = await livePipeline(config, bus, remote);
      const rt = await startDevices(config, bus, { remote });
      try {
        assert.equal(await rt.ready(), true);
        await fn(remote, live.detector);
      } finally {
        await rt.close();
        await live.close();
        await remote.flush();
      }
    };
    const w = await Watcher.connect(m.url, ["earshot/pi/#"]);
    let base = 0;
    try {
      await run(async (remote, detector) => {
        base = detector.thresholds.hey_computer;
        // Its state on the broker: the runtime's subscriptions are in place by then.
        await w.waitFor("earshot/pi/sensitivity", (p) => p === "0.5");
        await w.publish("earshot/pi/sensitivity/set", "0.25");
        await w.publish("earshot/pi/mute/set", "ON");
        await until(() => remote.muted && remote.sensitivity === 0.25, 3000, "state set");
      });
      assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), {
        muted: true,
        sensitivity: 0.25,
      });
      // Someone clears the retained state on the broker: the restart publishes it again.
      await w.publish("earshot/pi/mute", "", true);
      await w.publish("earshot/pi/sensitivity", "", true);
      await run(async (remote, detector) => {
        assert.deepEqual(remote.state, { muted: true, sensitivity: 0.25 });
        assert.equal(detector.muted, true);
        const expected = Math.round((base + 0.5 * (config.wake.maxThreshold - base)) * 1e6) / 1e6;
        assert.equal(detector.thresholds.hey_computer, expected);
        const late = await Watcher.connect(m.url, ["earshot/pi/mute", "earshot/pi/sensitivity"]);
        try {
          assert.equal((await late.waitFor("earshot/pi/mute")).payload, "ON");
          assert.equal((await late.waitFor("earshot/pi/sensitivity")).payload, "0.25");
        } finally {
          await late.close();
        }
      });
    } finally {
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "Hermes: toggleOff/On and startListening act for this siteId only; toggles drive the mute switch",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["earshot/#", "hermes/#"]);
    const bus = new EventBus();
    const wakes: WakeEvent[] = [];
    bus.onType("wake", (e) => wakes.push(e));
    const remote = new RemoteControl(bus, { muted: false, sensitivity: 0.5 });
    let sample = 32000;
    remote.attach({ sample: () => sample });
    const rt = await startDevices(
      parseConfig({
        devices: { file: EXAMPLE },
        mqtt: { url: m.url, siteId: "kitchen-pi", arbitrationMs: 0, backoffMinMs: 50 },
      }),
      bus,
      { remote },
    );
    try {
      assert.equal(await rt.ready(), true);
      await w.waitFor("earshot/kitchen-pi/mute", (p) => p === "OFF");
      // rhasspy-hermes HotwordToggleOff(siteId="default", reason=...): another site's does nothing.
      await w.publish(
        "hermes/hotword/toggleOff",
        '{"siteId":"garage-pi","reason":"dialogueSession"}',
      );
      await w.publish(
        "hermes/hotword/toggleOff",
        '{"siteId":"kitchen-pi","reason":"dialogueSession"}',
      );
      await until(() => remote.muted, 3000, "muted by Hermes");
      await w.waitFor("earshot/kitchen-pi/mute", (p) => p === "ON"); // the HA switch follows
      assert.equal(remote.status().lastChange?.by, "hermes");
      // AsrStartListening for another site: nothing. For ours: a wake with source "hermes", even
      // while the hotword is off (Rhasspy's dialogue manager turns it off, then asks to listen).
      await w.publish("hermes/asr/startListening", '{"siteId":"garage-pi","sessionId":"g1"}');
      await w.publish(
        "hermes/asr/startListening",
        '{"siteId":"kitchen-pi","sessionId":"k1","wakewordId":"hey_computer"}',
      );
      await until(() => wakes.length === 1, 3000, "wake from startListening");
      assert.deepEqual(
        [wakes[0].source, wakes[0].session, wakes[0].model, wakes[0].sample],
        ["hermes", "k1", "hey_computer", 32000],
      );
      await w.waitFor(
        "hermes/dialogueManager/sessionStarted",
        (p) => JSON.parse(p).sessionId === "k1",
      );
      // toggleOn for another site leaves it muted; ours unmutes.
      await w.publish("hermes/hotword/toggleOn", '{"siteId":"garage-pi","reason":""}');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(remote.muted, true);
      await w.publish("hermes/hotword/toggleOn", '{"siteId":"kitchen-pi","reason":""}');
      await until(() => !remote.muted, 3000, "unmuted by Hermes");
      await w.waitFor("earshot/kitchen-pi/mute", (p) => p === "OFF");
      // No live pipeline: startListening is an error event naming the topic, the session ends.
      remote.attach(undefined);
      const errors: string[] = [];
      bus.onType("error", (e) => errors.push(e.message));
      await w.publish("hermes/asr/startListening", '{"siteId":"kitchen-pi","sessionId":"k2"}');
      await until(() => errors.length === 1, 3000, "error");
      assert.match(errors[0], /hermes\/asr\/startListening: no live audio pipeline/);
      const ended = await w.waitFor(
        "hermes/dialogueManager/sessionEnded",
        (p) => JSON.parse(p).sessionId === "k2",
      );
      assert.deepEqual(JSON.parse(ended.payload).termination, { reason: "error" });
      assert.equal(wakes.length, 1);
      sample = 0;
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
    }
  },
);
