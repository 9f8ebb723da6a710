import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { parseIntent } from "../../intent/index.ts";
import { startEmbeddedBroker } from "../../devices/broker.ts";
import { MqttLink } from "../../devices/mqtt.ts";
import { loadRegistry } from "../../home/registry.ts";
import { Router } from "../../devices/router.ts";
import { Mosquitto, until } from "./mosquitto.ts";
import { Simulator } from "../../devices/simulator.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;

async function setup(kind: "mosquitto" | "aedes") {
  let url: string;
  let stopBroker: () => Promise<void>;
  if (kind === "mosquitto") {
    const m = await Mosquitto.start();
    url = m.url;
    stopBroker = () => m.stop();
  } else {
    const b = await startEmbeddedBroker("127.0.0.1", 0);
    url = b.url;
    stopBroker = () => b.close();
  }
  const registry = await loadRegistry(example);
  const link = await MqttLink.connect({ url });
  await link.waitConnected();
  const bus = new EventBus();
  const events: EarshotEvent[] = [];
  bus.on((e) => events.push(e));
  const router = new Router(registry, link, {
    confirmTimeoutMs: 400,
    brightnessStep: 25,
    emit: (e) => bus.emit(e),
  });
  router.watchStates();
  const sim = await Simulator.start(url);
  await new Promise((r) => setTimeout(r, 150)); // subscriptions settle
  const say = (text: string, area = "kitchen") => {
    const intent = parseIntent(text, registry, { area });
    assert.ok(intent, text);
    return router.route(intent, 1.5);
  };
  return {
    registry,
    router,
    sim,
    events,
    say,
    async close() {
      router.close();
      await sim.close();
      await link.close();
      await stopBroker();
    },
  };
}

for (const kind of ["mosquitto", "aedes"] as const) {
  Deno.test(`${kind}: closed loop for every adapter in the example registry`, opts, async () => {
    const s = await setup(kind);
    try {
      const cases: Array<[string, string, string, string]> = [
        [
          "turn on the kitchen light",
          "kitchen_light",
          "zigbee2mqtt/kitchen/ceiling/set",
          '{"state":"ON"}',
        ],
        [
          "set the kitchen light to 50 percent",
          "kitchen_light",
          "zigbee2mqtt/kitchen/ceiling/set",
          '{"state":"ON","brightness":127}',
        ],
        [
          "set the kitchen light to 2700 kelvin",
          "kitchen_light",
          "zigbee2mqtt/kitchen/ceiling/set",
          '{"color_temp":370}',
        ],
        ["turn on the coffee machine", "coffee_machine", "cmnd/coffee/POWER1", "ON"],
        [
          "set the counter lights to 30 percent",
          "counter_lights",
          "cmnd/counter_strip/Dimmer",
          "30",
        ],
        ["close the garage door", "garage_door", "cmnd/garage_door/ShutterClose1", ""],
        ["set the ceiling fan to high", "ceiling_fan", "bedroom/fan/speed/set", "100"],
        ["turn on the bedside lamp", "bedside_lamp", "homie/bedside/lamp/on/set", "true"],
        ["turn on the desk lamp", "desk_lamp", "office/desk/cmd", "1"],
        [
          "open the living room blinds",
          "living_room_blinds",
          "zigbee2mqtt/living_blinds/set",
          '{"state":"OPEN"}',
        ],
        [
          "set the thermostat to 21 degrees",
          "thermostat",
          "zigbee2mqtt/living_trv/set",
          '{"occupied_heating_setpoint":21}',
        ],
      ];
      for (const [text, device, topic, payload] of cases) {
        const before = s.events.length;
        const r = s.say(text);
        assert.deepEqual(r.errors, [], text);
        const confirms = await r.confirmations;
        const published = s.events.slice(before).filter((e) => e.type === "publish");
        assert.deepEqual(
          published.map((e) =>
            e.type === "publish" && [e.device, e.topic, e.payload, e.qos, e.queued]
          ),
          [[device, topic, payload, 1, false]],
          text,
        );
        assert.equal(confirms.length, 1);
        assert.equal(confirms[0].confirmed, true, `${text}: ${confirms[0].reason}`);
        assert.ok(confirms[0].latencyMs < 400);
        assert.ok(s.events.includes(confirms[0]), "confirm event emitted on the bus");
      }
      assert.equal(s.router.states.get("kitchen_light").on, true);
      assert.equal(s.router.states.get("kitchen_light").colorTemp, 2700);
      assert.equal(s.router.states.get("garage_door").position, 0);
      assert.equal(s.router.states.get("thermostat").temperature, 21);
    } finally {
      await s.close();
    }
  });
}

Deno.test(
  "a device that does not answer is reported unconfirmed after the timeout",
  opts,
  async () => {
    const s = await setup("aedes");
    try {
      s.sim.muted.add("kitchen/ceiling");
      const [c] = await s.say("turn off the kitchen light").confirmations;
      assert.equal(c.confirmed, false);
      assert.match(c.reason!, /no state report for off within 400 ms/);
      assert.ok(c.latencyMs >= 390);
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  "area-aware group command fans out to every light in the satellite's area",
  opts,
  async () => {
    const s = await setup("aedes");
    try {
      const r = s.say("turn off the lights", "kitchen");
      assert.deepEqual(r.actions.map((a) => a.device), ["kitchen_light", "counter_lights"]);
      const confirms = await r.confirmations;
      assert.deepEqual(confirms.map((c) => [c.device, c.confirmed]), [["kitchen_light", true], [
        "counter_lights",
        true,
      ]]);
      const none = s.say("turn on the lights", "garage");
      assert.deepEqual(none.errors, ["no lights in the garage"]);
      const noArea = s.router.route(parseIntent("turn on the lights", s.registry)!);
      assert.match(noArea.errors[0], /which room/);
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  "malformed state payloads become error events and leave the state alone",
  opts,
  async () => {
    const s = await setup("mosquitto");
    try {
      await s.say("turn on the kitchen light").confirmations;
      await s.sim.send("zigbee2mqtt/kitchen/ceiling", "{not json");
      await s.sim.send("zigbee2mqtt/kitchen/ceiling", '{"state":"SIDEWAYS"}');
      await s.sim.send("stat/coffee/POWER1", "");
      await until(
        () => s.events.filter((e) => e.type === "error").length === 3,
        2000,
        "3 error events",
      );
      const errors = s.events.filter((e) => e.type === "error").map((e) =>
        e.type === "error" && e.message
      );
      assert.match(
        errors[0] as string,
        /^kitchen_light: zigbee2mqtt\/kitchen\/ceiling: payload is not JSON/,
      );
      assert.match(errors[1] as string, /state: expected "ON" or "OFF", got "SIDEWAYS"/);
      assert.match(
        errors[2] as string,
        /^coffee_machine: stat\/coffee\/POWER1: POWER1: expected "ON" or "OFF"/,
      );
      assert.equal(s.router.states.get("kitchen_light").on, true);
      // Still works after the junk.
      const [c] = await s.say("turn off the kitchen light").confirmations;
      assert.equal(c.confirmed, true);
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  "queries are answered from reported state; toggle without native toggle uses it",
  opts,
  async () => {
    const s = await setup("aedes");
    try {
      assert.equal(
        s.say("is the bedside lamp on").answer,
        "I don't know the state of the bedside lamp yet",
      );
      const t = s.say("toggle the bedside lamp");
      assert.match(t.errors[0], /bedside_lamp: cannot toggle: its state is unknown/);
      await s.say("turn on the bedside lamp").confirmations;
      assert.equal(s.say("is the bedside lamp on").answer, "yes, the bedside lamp is on");
      assert.equal(s.say("is the bedside lamp off").answer, "no, the bedside lamp is on");
      const [c] = await s.say("toggle the bedside lamp").confirmations;
      assert.equal(c.confirmed, true);
      assert.equal(s.router.states.get("bedside_lamp").on, false);
      await s.say("turn on the kitchen light").confirmations;
      assert.match(
        s.say("are the lights on", "kitchen").answer!,
        /^1 of 2 lights in the kitchen is on: kitchen light/,
      );
      await s.say("set the thermostat to 19 degrees").confirmations;
      assert.equal(
        s.say("what is the thermostat set to").answer,
        "the thermostat is set to 19 degrees",
      );
      assert.equal(s.say("cancel").answer, "cancelled");
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  "values outside a device's range are clamped and reported; scenes confirm as unobservable",
  opts,
  async () => {
    const s = await setup("aedes");
    try {
      const r = s.say("set the thermostat to 35 degrees");
      assert.deepEqual(r.errors, ["thermostat: 35 degrees is outside 10..28; using 28"]);
      const [c] = await r.confirmations;
      assert.equal(c.confirmed, true);
      const scene = s.say("activate movie time");
      const [sc] = await scene.confirmations;
      assert.equal(sc.confirmed, false);
      assert.match(sc.reason!, /activate has no observable state/);
      await until(
        () => s.sim.commands.some((c) => c.topic.includes("living_group")),
        2000,
        "scene",
      );
      assert.deepEqual(s.sim.commands.at(-1), {
        topic: "zigbee2mqtt/living_group/set",
        payload: '{"scene_recall":1}',
      });
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  "relative brightness: dim and brighten step from each light's reported level",
  opts,
  async () => {
    const s = await setup("aedes");
    const level = () => s.router.states.get("kitchen_light").brightness;
    const step = async (text: string) => {
      const r = s.say(text);
      assert.deepEqual(r.errors, [], text);
      const [c] = await r.confirmations;
      assert.equal(c.confirmed, true, `${text}: ${c.reason}`);
      return level();
    };
    try {
      // Unknown level: nothing is guessed.
      s.sim.muted.add("kitchen/ceiling");
      const unknown = s.say("dim the kitchen light");
      assert.deepEqual(unknown.errors, ["kitchen_light: cannot dim: its brightness is unknown"]);
      assert.deepEqual(unknown.actions.map((a) => a.topics), [[]]);
      s.sim.muted.delete("kitchen/ceiling");
      await s.say("set the kitchen light to 50 percent").confirmations;
      assert.equal(level(), 50);
      assert.equal(await step("dim the kitchen light"), 25);
      assert.equal(await step("turn the kitchen light up a bit"), 35);
      assert.equal(await step("make the kitchen light a lot brighter"), 75);
      assert.equal(await step("brighten the kitchen light"), 100, "kept at 100");
      assert.equal(await step("turn down the kitchen light"), 75);
      // Never below 1 (dimming does not switch it off).
      await s.say("set the kitchen light to 5 percent").confirmations;
      assert.equal(await step("make the kitchen light darker"), 1);
      // Off: brightening turns it on low; dimming does nothing and says why.
      await s.say("turn off the kitchen light").confirmations;
      const dimOff = s.say("dim the kitchen light");
      assert.deepEqual(dimOff.errors, ["kitchen_light: cannot dim: it is off"]);
      assert.equal(await step("brighten the kitchen light"), 25);
      assert.equal(s.router.states.get("kitchen_light").on, true);
    } finally {
      await s.close();
    }
  },
);

Deno.test("route dispatches on the intent name: cancel and problems say why, names without a handler are errors, none publish", async () => {
  const registry = await loadRegistry(example);
  const published: string[] = [];
  const router = new Router(registry, {
    publish: (topic) => (published.push(topic), { queued: false }),
    subscribe: () => () => {},
  }, { confirmTimeoutMs: 50, brightnessStep: 25, emit: () => {} });
  const cancel = router.route({ name: "Cancel", slots: {}, confidence: 1, text: "" });
  assert.equal(cancel.answer, "cancelled");
  const custom = router.route({ name: "OrderPizza", slots: {}, confidence: 1, text: "" });
  assert.deepEqual(custom.errors, ['intent "OrderPizza" has no device action']);
  const vague = router.route(
    { name: "TurnOn", slots: {}, confidence: 1, text: "", problem: "which lamp?" },
  );
  assert.deepEqual([vague.errors, vague.answer], [["which lamp?"], "which lamp?"]);
  assert.deepEqual(published, []);
  router.close();
});
