import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { ConfigError, parseConfig } from "../../core/config.ts";
import type { EarshotEvent, TranscriptEvent, WakeEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";
import { grammarAccepts } from "../../core/grammar.ts";
import { sentenceCommand } from "../../core/grammar_path.ts";
import { freePort, Mosquitto, until, Watcher } from "./mosquitto.ts";
import { Simulator } from "../../devices/simulator.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;

function config(over: Record<string, unknown> = {}, mqtt: Record<string, unknown> = {}) {
  return parseConfig({
    devices: { file: example, area: "kitchen", confirmTimeoutMs: 500, ...over },
    mqtt: { embeddedPort: 0, backoffMinMs: 50, backoffMaxMs: 200, ...mqtt },
  });
}

function recorder(bus: EventBus) {
  const events: EarshotEvent[] = [];
  bus.on((e) => events.push(e));
  return {
    events,
    of<T extends EarshotEvent["type"]>(type: T) {
      return events.filter((e) => e.type === type) as Extract<EarshotEvent, { type: T }>[];
    },
  };
}

const wake = (t: number, score: number): WakeEvent => ({
  type: "wake",
  t,
  model: "hey_computer",
  phrase: "hey computer",
  score,
  sample: Math.round(t * 16000),
});
const transcript = (text: string, t: number, rejected = false): TranscriptEvent => ({
  type: "transcript",
  t,
  text,
  confidence: rejected ? 0.2 : 0.9,
  start: t - 1.2,
  end: t,
  decodeMs: 12,
  alternatives: [],
  rejected,
});

Deno.test(
  "embedded broker: typed text -> intent, publish, confirm; mosquitto_sub can watch",
  opts,
  async () => {
    const bus = new EventBus();
    const rec = recorder(bus);
    const rt = await startDevices(config(), bus);
    const port = new URL(rt.brokerUrl).port;
    const sub = new Deno.Command("mosquitto_sub", {
      args: [
        "-h",
        "127.0.0.1",
        "-p",
        port,
        "-t",
        "zigbee2mqtt/kitchen/ceiling/set",
        "-v",
        "-C",
        "1",
        "-W",
        "5",
      ],
      stdout: "piped",
    }).spawn();
    try {
      assert.equal(await rt.ready(), true);
      const sim = await Simulator.start(rt.brokerUrl);
      await new Promise((r) => setTimeout(r, 200));
      const r = await rt.handleText("Turn on the kitchen light, please");
      assert.equal(r.intent?.name, "TurnOn");
      const [c] = await r.confirmations;
      assert.equal(c.confirmed, true);
      assert.deepEqual(rec.of("intent").map((e) => [e.name, e.slots, e.origin]), [["TurnOn", {
        device: "kitchen_light",
      }, "text"]]);
      assert.deepEqual(rec.of("publish").map((e) => [e.topic, e.payload, e.queued]), [[
        "zigbee2mqtt/kitchen/ceiling/set",
        '{"state":"ON"}',
        false,
      ]]);
      assert.equal(rec.of("confirm").length, 1);
      const out = new TextDecoder().decode((await sub.output()).stdout);
      assert.match(out, /zigbee2mqtt\/kitchen\/ceiling\/set \{"state":"ON"\}/);
      const st = rt.status();
      assert.equal(st.mqtt.embedded, true);
      assert.equal(st.mqtt.state, "connected");
      assert.equal(st.devices.find((d) => d.id === "kitchen_light")?.state.on, true);
      assert.equal(st.lastCommand?.intent, "TurnOn");
      assert.ok(st.grammar.sentences > 1000);
      // Area-aware: the satellite is in the kitchen.
      const g = await rt.handleText("turn off the lights");
      assert.deepEqual(g.actions.map((a) => a.device), ["kitchen_light", "counter_lights"]);
      await g.confirmations;
      const nope = await rt.handleText("what's the weather like");
      assert.equal(nope.intent, null);
      assert.deepEqual(nope.errors, ["not understood"]);
      const junk = await rt.handleText("x".repeat(5000));
      assert.match(junk.errors[0], /at most 1000 characters/);
      await sim.close();
    } finally {
      try {
        sub.kill();
      } catch { /* exited */ }
      await rt.close();
    }
  },
);

Deno.test(
  "mosquitto: Hermes events with siteId and sessionId, HA discovery, availability",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["hermes/#", "homeassistant/#", "earshot/#"]);
    const bus = new EventBus();
    const rt = await startDevices(
      config({}, { url: m.url, siteId: "kitchen-pi", arbitrationMs: 0 }),
      bus,
    );
    try {
      assert.equal(await rt.ready(), true);
      const status = await w.waitFor("earshot/kitchen-pi/status", (p) => p === "online");
      assert.equal(status.retain, false); // live delivery; the retained copy is checked below
      const cfg = await w.waitFor("homeassistant/binary_sensor/earshot_kitchen-pi/wake/config");
      const c = JSON.parse(cfg.payload);
      assert.equal(c.state_topic, "earshot/kitchen-pi/wake");
      assert.equal(c.availability_topic, "earshot/kitchen-pi/status");
      assert.equal(c.unique_id, "earshot_kitchen-pi_wake");
      await w.waitFor("homeassistant/sensor/earshot_kitchen-pi/last_command/config");
      await w.waitFor("homeassistant/binary_sensor/earshot_kitchen-pi/listening/config");

      bus.emit(wake(3.2, 0.91));
      const hot = JSON.parse((await w.waitFor("hermes/hotword/hey_computer/detected")).payload);
      assert.equal(hot.siteId, "kitchen-pi");
      assert.equal(hot.modelId, "hey_computer");
      assert.equal(typeof hot.sessionId, "string");
      await w.waitFor("earshot/kitchen-pi/listening", (p) => p === "ON");
      bus.emit(transcript("turn on the kitchen light", 4.6));
      const tc = JSON.parse((await w.waitFor("hermes/asr/textCaptured")).payload);
      assert.deepEqual([tc.text, tc.siteId, tc.sessionId], [
        "turn on the kitchen light",
        "kitchen-pi",
        hot.sessionId,
      ]);
      const it = JSON.parse((await w.waitFor("hermes/intent/TurnOn")).payload);
      assert.deepEqual(it.intent, { intentName: "TurnOn", confidenceScore: 1 });
      assert.equal(it.sessionId, hot.sessionId);
      assert.equal(it.siteId, "kitchen-pi");
      assert.deepEqual(it.slots, [{
        entity: "device",
        slotName: "device",
        rawValue: "kitchen light", // the words said (issue 12), the id is in value
        value: { kind: "Unknown", value: "kitchen_light" },
        confidence: 1,
      }]);
      await w.waitFor("earshot/kitchen-pi/last_command", (p) => p === "turn on the kitchen light");
      await w.waitFor("earshot/kitchen-pi/listening", (p) => p === "OFF");

      bus.emit(wake(8, 0.8));
      bus.emit(transcript("play some jazz", 9.5, true));
      const nr = JSON.parse((await w.waitFor("hermes/nlu/intentNotRecognized")).payload);
      assert.equal(nr.input, "play some jazz");
      assert.equal(nr.siteId, "kitchen-pi");
      await rt.handleText("is the kitchen light on");
      const say = JSON.parse((await w.waitFor("hermes/tts/say")).payload);
      assert.deepEqual([say.text, say.siteId], [
        "I don't know the state of the kitchen light yet",
        "kitchen-pi",
      ]);
      await rt.handleText("open the pod bay doors");
      await until(
        () => w.on("hermes/nlu/intentNotRecognized").length === 2,
        2000,
        "second not-recognized",
      );
    } finally {
      await rt.close();
    }
    await w.waitFor("earshot/kitchen-pi/status", (p) => p === "offline");
    // Retained availability: a late subscriber sees "offline".
    const late = await Watcher.connect(m.url, ["earshot/kitchen-pi/status"]);
    const ret = await late.waitFor("earshot/kitchen-pi/status");
    assert.deepEqual([ret.payload, ret.retain], ["offline", true]);
    await late.close();
    await w.close();
    await m.stop();
  },
);

Deno.test(
  "last will: a satellite killed without goodbye is marked offline by the broker",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const w = await Watcher.connect(m.url, ["earshot/+/status"]);
    const script = new URL("./fixtures/satellite.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, m.url, "doomed"],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      await w.waitFor("earshot/doomed/status", (p) => p === "online", 15000);
      child.kill("SIGKILL");
      await child.status;
      await w.waitFor("earshot/doomed/status", (p) => p === "offline", 5000);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.stdout.cancel();
      await w.close();
      await m.stop();
    }
  },
);

Deno.test(
  "three satellites on one broker: only the best-scoring one acts on a shared utterance",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const sim = await Simulator.start(m.url);
    const sats = await Promise.all(["a", "b", "c"].map(async (siteId) => {
      const bus = new EventBus();
      const rec = recorder(bus);
      const rt = await startDevices(config({}, { url: m.url, siteId, arbitrationMs: 150 }), bus);
      assert.equal(await rt.ready(), true);
      return { siteId, bus, rec, rt };
    }));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const scores = [0.71, 0.93, 0.85];
      sats.forEach((s, i) => setTimeout(() => s.bus.emit(wake(2, scores[i])), i * 40)); // within 150 ms
      await new Promise((r) => setTimeout(r, 120));
      for (const s of sats) s.bus.emit(transcript("turn on the kitchen light", 3));
      await until(() => sats.every((s) => s.rt.status().lastArbitration), 3000, "decisions");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sats.map((s) => s.rt.status().lastArbitration?.won), [false, true, false]);
      assert.deepEqual(sats.map((s) => s.rt.status().lastArbitration?.winner), ["b", "b", "b"]);
      assert.deepEqual(sats.map((s) => s.rec.of("publish").length), [0, 1, 0]);
      assert.equal(
        sim.commands.filter((c) => c.topic === "zigbee2mqtt/kitchen/ceiling/set").length,
        1,
      );

      // Wakes far apart are separate utterances: each satellite handles its own.
      sats[0].bus.emit(wake(10, 0.6));
      await new Promise((r) => setTimeout(r, 400));
      sats[0].bus.emit(transcript("turn off the kitchen light", 11));
      await until(() => sats[0].rec.of("publish").length === 1, 2000, "a acts alone");
    } finally {
      await Promise.all(sats.map((s) => s.rt.close()));
      await sim.close();
      await m.stop();
    }
  },
);

/** A satellite in its own process (tests/devices/fixtures/satellite.ts). */
class SatelliteProcess {
  lines: string[] = [];
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  private constructor(readonly child: Deno.ChildProcess) {
    this.#writer = child.stdin.getWriter();
    (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        const parts = buf.split("\n");
        buf = parts.pop()!;
        this.lines.push(...parts);
      }
    })();
  }
  static spawn(url: string, siteId: string): SatelliteProcess {
    const script = new URL("./fixtures/satellite.ts", import.meta.url).pathname;
    return new SatelliteProcess(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, url, siteId],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn(),
    );
  }
  async send(cmd: object) {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
  }
  events(type: string) {
    return this.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) =>
      e.type === type
    );
  }
  async kill() {
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
  }
}

Deno.test(
  "three satellite processes on one broker: one command, from the best-scoring one",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const sim = await Simulator.start(m.url);
    const sats = ["p1", "p2", "p3"].map((id) => SatelliteProcess.spawn(m.url, id));
    try {
      await until(() => sats.every((s) => s.lines.includes("ready")), 30000, "3 satellites ready");
      const scores = [0.82, 0.74, 0.97];
      await Promise.all(sats.map((s, i) => s.send({ wake: scores[i] })));
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all(sats.map((s) => s.send({ transcript: "turn on the kitchen light" })));
      await until(() => sats[2].events("confirm").length === 1, 5000, "winner's confirm");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sats.map((s) => s.events("publish").length), [0, 0, 1]);
      assert.deepEqual(sats.map((s) => s.events("intent").length), [0, 0, 1]);
      assert.equal(sats[2].events("confirm")[0].confirmed, true);
      assert.equal(
        sim.commands.filter((c) => c.topic === "zigbee2mqtt/kitchen/ceiling/set").length,
        1,
      );
    } finally {
      await Promise.all(sats.map((s) => s.kill()));
      await sim.close();
      await m.stop();
    }
  },
);

Deno.test(
  "broker down at start: command queued, delivered once when it comes up, then confirmed",
  opts,
  async () => {
    const m = await Mosquitto.start();
    // The simulated devices hold a persistent session, as Zigbee2MQTT would when it reconnects.
    const sim = await Simulator.start(m.url, "sim-down-at-start");
    await m.kill("SIGTERM");
    const bus = new EventBus();
    const rec = recorder(bus);
    const rt = await startDevices(
      config({ confirmTimeoutMs: 3000 }, { url: m.url, queueExpiryMs: 10000 }),
      bus,
    );
    try {
      assert.equal(await rt.ready(), false, "broker down: ready() says so instead of throwing");
      assert.notEqual(rt.status().mqtt.state, "connected");
      const r = await rt.handleText("turn on the kitchen light");
      assert.equal(r.actions[0].queued, true);
      assert.equal(rec.of("publish")[0].queued, true);
      assert.equal(rt.status().mqtt.queued, 1);
      await until(() => rec.of("error").some((e) => e.stage === "mqtt"), 3000, "mqtt error event");
      await m.resume();
      const [c] = await r.confirmations;
      assert.equal(c.confirmed, true, c.reason ?? "");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(
        sim.commands.filter((x) => x.topic === "zigbee2mqtt/kitchen/ceiling/set").length,
        1,
      );
    } finally {
      await sim.close();
      await rt.close();
      await m.stop();
    }
  },
);

Deno.test(
  "broker killed mid-run: a stale queued command is dropped and reported, never sent",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const bus = new EventBus();
    const rec = recorder(bus);
    const rt = await startDevices(config({}, { url: m.url, queueExpiryMs: 300 }), bus);
    try {
      assert.equal(await rt.ready(), true);
      await m.kill();
      await until(() => rt.status().mqtt.state !== "connected", 3000, "offline");
      const r = await rt.handleText("turn on the kitchen light");
      assert.equal(r.actions[0].queued, true);
      const [c] = await r.confirmations; // expiry timer reports it while still offline
      assert.equal(c.confirmed, false);
      assert.match(c.reason!, /expired in the offline queue/);
      await m.resume();
      const w = await Watcher.connect(m.url, ["zigbee2mqtt/#"]);
      await rt.connected(3000);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(w.on("zigbee2mqtt/kitchen/ceiling/set"), []);
      assert.equal(rt.status().mqtt.dropped, 1);
      assert.equal(rec.of("confirm").length, 1);
      await w.close();
    } finally {
      await rt.close();
      await m.stop();
    }
  },
);

Deno.test(
  "imports: Home Assistant discovery and Zigbee2MQTT bridge/devices add commandable devices",
  opts,
  async () => {
    const m = await Mosquitto.start();
    const dir = await Deno.makeTempDir();
    const file = `${dir}/devices.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        areas: [{ name: "porch" }, { name: "hall" }],
        devices: [],
        import: { homeassistant: true, zigbee2mqtt: true, defaultArea: "hall" },
      }),
    );
    const w = await Watcher.connect(m.url, ["porch/#", "zigbee2mqtt/+/set"]);
    await w.publish(
      "homeassistant/light/porch_light/config",
      JSON.stringify({
        name: "Porch Light",
        uniq_id: "porch1",
        "~": "porch/light",
        cmd_t: "~/set",
        stat_t: "~/state",
        dev: { ids: ["p1"], name: "Porch", sa: "Porch" },
      }),
      true,
    );
    await w.publish("homeassistant/switch/broken/config", "{nope", true);
    await w.publish(
      "zigbee2mqtt/bridge/devices",
      JSON.stringify([
        { friendly_name: "Coordinator", type: "Coordinator" },
        {
          friendly_name: "hall_lamp",
          type: "Router",
          definition: {
            exposes: [{
              type: "light",
              features: [{ name: "state", property: "state" }, {
                name: "brightness",
                property: "brightness",
              }],
            }],
          },
        },
        {
          friendly_name: "motion_sensor",
          type: "EndDevice",
          definition: { exposes: [{ type: "binary", property: "occupancy" }] },
        },
      ]),
      true,
    );
    const bus = new EventBus();
    const rec = recorder(bus);
    const rt = await startDevices(
      parseConfig({ devices: { file, area: "hall" }, mqtt: { url: m.url } }),
      bus,
    );
    const grammars: number[] = [];
    rt.onGrammarChange((g) => grammars.push(g.version));
    try {
      assert.equal(await rt.ready(), true);
      await until(() => rt.registry.devices.length === 2, 3000, "2 imported devices");
      await until(() => grammars.length > 0, 2000, "grammar change notice");
      assert.ok(grammarAccepts(rt.grammar(), "turn on the porch light"));
      const porch = rt.registry.device("porch light")!;
      assert.deepEqual([porch.id, porch.area, porch.source, porch.type], [
        "ha_porch1",
        "porch",
        "homeassistant",
        "light",
      ]);
      const lamp = rt.registry.device("hall lamp")!;
      assert.deepEqual([lamp.id, lamp.area, lamp.source, lamp.features], [
        "z2m_hall_lamp",
        "hall",
        "zigbee2mqtt",
        ["onoff", "brightness"],
      ]);
      assert.ok(
        rec.of("error").some((e) =>
          e.stage === "import" && /broken\/config: discovery payload is not JSON/.test(e.message)
        ),
      );
      const r = await rt.handleText("turn on the porch light");
      await w.waitFor("porch/light/set", (p) => p === "ON");
      await w.publish("porch/light/state", "ON");
      const [c] = await r.confirmations;
      assert.equal(c.confirmed, true);
      await rt.handleText("set the lamp to 40 percent"); // area group in the hall
      const set = await w.waitFor("zigbee2mqtt/hall_lamp/set");
      assert.equal(set.payload, '{"state":"ON","brightness":102}');
      // Removal: an empty retained discovery config removes the entity.
      await w.publish("homeassistant/light/porch_light/config", "", true);
      await until(() => !rt.registry.device("porch light"), 3000, "removal");
      const after = await rt.handleText("turn on the porch light"); // now only an area group
      assert.deepEqual([after.actions, after.errors], [[], ["no lights in the porch"]]);
    } finally {
      await rt.close();
      await w.close();
      await m.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "refuses to start on bad config: unknown area, invalid registry, taken port",
  opts,
  async () => {
    const bus = new EventBus();
    await assert.rejects(
      startDevices(config({ area: "attic" }), bus),
      /devices\.area: unknown area "attic" \(areas in .*example\.devices\.json: kitchen, living_room/,
    );
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      JSON.stringify({ devices: [{ name: "x", type: "light", adapter: { type: "zigbee" } }] }),
    );
    await assert.rejects(
      startDevices(config({ file: `${dir}/bad.json`, area: undefined }), bus),
      /bad\.json: devices\[0\]\.adapter: unknown "zigbee"/,
    );
    await Deno.writeTextFile(
      `${dir}/tpl.json`,
      JSON.stringify({ templates: { intents: { X: ["turn (on"] } } }),
    );
    await assert.rejects(
      startDevices(config({ file: `${dir}/tpl.json`, area: undefined }), bus),
      /tpl\.json: templates: intents\.X\[0\]: "turn \(on": column 6: missing "\)"/,
    );
    const port = await freePort();
    const blocker = Deno.listen({ hostname: "127.0.0.1", port });
    await assert.rejects(
      startDevices(config({}, { embeddedPort: port }), bus),
      new RegExp(
        `mqtt\\.embeddedPort: the embedded MQTT broker cannot listen on 127\\.0\\.0\\.1:${port}`,
      ),
    );
    blocker.close();
    await assert.rejects(
      startDevices(config({}, { url: "mqtt://127.0.0.1:1", ca: `${dir}/missing.pem` }), bus),
      /mqtt\.ca: cannot read/,
    );
    // Broker problems are configuration errors (main.ts prints them without a stack).
    await assert.rejects(
      startDevices(config({}, { url: "http://127.0.0.1:1" }), bus),
      (e: Error) =>
        e instanceof ConfigError && /mqtt\.url: unsupported protocol "http:"/.test(e.message),
    );
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  "a transcript's decoded intent is carried out as it is: its text is not parsed again",
  opts,
  async () => {
    const bus = new EventBus();
    const rec = recorder(bus);
    const rt = await startDevices(config(), bus);
    try {
      assert.equal(await rt.ready(), true);
      // The recognizer reads the command off the path it decoded; this one names another device
      // than the text, so what the runtime acts on shows which of the two it used.
      const decoded = sentenceCommand(rt.grammar(), "turn off the floor lamp".split(" "));
      assert.deepEqual(decoded, { name: "TurnOff", slots: { device: "floor_lamp" } });
      bus.emit({ ...transcript("turn on the kitchen light", 4), intent: decoded });
      await until(() => rec.of("publish").length === 1, 2000, "the publish");
      const [intent] = rec.of("intent");
      assert.deepEqual([intent.name, intent.slots, intent.origin, intent.confidence], [
        "TurnOff",
        { device: "floor_lamp" },
        "asr",
        1,
      ]);
      assert.equal(rec.of("publish")[0].device, "floor_lamp");
      // Without a decoded intent (an older recognizer, a client's event) the text is parsed.
      bus.emit(transcript("turn on the kitchen light", 6));
      await until(() => rec.of("intent").length === 2, 2000, "the second intent");
      assert.deepEqual(rec.of("intent")[1].slots, { device: "kitchen_light" });
      // Decoded before an import removed its device: the text is parsed on the current registry.
      assert.equal(rt.registry.remove("floor_lamp"), true);
      bus.emit({ ...transcript("turn on the kitchen light", 8), intent: decoded });
      await until(() => rec.of("intent").length === 3, 2000, "the third intent");
      assert.deepEqual([rec.of("intent")[2].name, rec.of("intent")[2].slots], [
        "TurnOn",
        { device: "kitchen_light" },
      ]);
    } finally {
      await rt.close();
    }
  },
);
