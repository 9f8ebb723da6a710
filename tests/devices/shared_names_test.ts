/**
 * A home with a "ceiling fan" in the study and another in the guest room, run
 * end to end (embedded broker, the devices runtime): the room picks the fan;
 * without one, an intent event with a reason and nothing published.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import type { EarshotEvent } from "../../core/events.ts";
import { startDevices } from "../../devices/runtime.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const home = new URL("../fixtures/phrasing/home.devices.json", import.meta.url).pathname;

Deno.test(
  "same-name devices: the room said or the satellite's picks one; else a reason, no publish",
  opts,
  async () => {
    const bus = new EventBus();
    const events: EarshotEvent[] = [];
    bus.on((e) => events.push(e));
    const rt = await startDevices(
      parseConfig({
        devices: { file: home, area: "kitchen", confirmTimeoutMs: 200 },
        mqtt: { embeddedPort: 0, backoffMinMs: 50, backoffMaxMs: 200 },
      }),
      bus,
    );
    try {
      assert.equal(await rt.ready(), true);
      const study = await rt.handleText("turn off the ceiling fan in the study");
      assert.deepEqual(study.actions.map((a) => a.device), ["study_ceiling_fan"]);
      assert.deepEqual(
        events.filter((e) => e.type === "publish").map((e) => e.type === "publish" && e.topic),
        ["homie/study-fan/fan/on/set"],
      );
      await study.confirmations;
      // The kitchen has a ceiling light of its own: that one.
      const light = await rt.handleText("switch the ceiling light on");
      assert.deepEqual(light.actions.map((a) => a.device), ["kitchen_ceiling_light"]);
      await light.confirmations;
      const before = events.filter((e) => e.type === "publish").length;
      const which = await rt.handleText("turn on the ceiling fan");
      assert.equal(which.intent?.name, "TurnOn");
      assert.deepEqual(which.actions, []);
      assert.match(
        which.errors[0],
        /^which ceiling fan\? there is one in the study and one in the guest room/,
      );
      const ev = events.filter((e) => e.type === "intent").at(-1);
      assert.ok(ev && ev.type === "intent");
      assert.deepEqual(ev.slots, { name: "ceiling fan" });
      assert.match(ev.reason ?? "", /^which ceiling fan\?/);
      assert.equal(events.filter((e) => e.type === "publish").length, before, "nothing published");
    } finally {
      await rt.close();
    }
  },
);
