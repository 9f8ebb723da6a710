/**
 * A fuzzer finding (tests/fuzz, mqtt-state): state payloads with numbers
 * outside a field's range (Zigbee2MQTT brightness 6622, a cover at 7187 %,
 * color_temp 0 mired = infinite kelvin) were taken as the device's state.
 * decodeState refuses them with the topic and field named, and the router
 * reports them as error events, keeping the last good state.
 */
import assert from "node:assert/strict";
import { adapterFor, decodeState, StatePayloadError } from "../../devices/adapters/index.ts";
import { loadRegistry } from "../../home/registry.ts";
import { Router } from "../../devices/router.ts";
import type { EarshotEvent } from "../../core/events.ts";

const example = new URL("../../devices/example.devices.json", import.meta.url).pathname;

Deno.test("decodeState refuses out-of-range state values, naming topic and field", async () => {
  const registry = await loadRegistry(example);
  const lamp = registry.device("floor_lamp")!;
  const a = adapterFor(lamp);
  const topic = a.stateTopics(lamp)[0];
  assert.deepEqual(decodeState(a, lamp, topic, '{"state":"ON","brightness":127}'), {
    on: true,
    brightness: 50,
  });
  for (
    const [payload, field] of [
      ['{"brightness":6622}', "brightness"],
      ['{"brightness":-1576}', "brightness"],
      ['{"color_temp":1}', "colorTemp"],
    ] as const
  ) {
    assert.throws(
      () => decodeState(a, lamp, topic, payload),
      (err: Error) =>
        err instanceof StatePayloadError && err.message.startsWith(`${topic}: ${field}: `) &&
        /is outside/.test(err.message),
      payload,
    );
  }
});

Deno.test("the router keeps the last good state and emits an error for an out-of-range report", async () => {
  const registry = await loadRegistry(example);
  const events: EarshotEvent[] = [];
  const link = { publish: () => ({ queued: false }), subscribe: () => () => {} };
  const router = new Router(registry, link, {
    confirmTimeoutMs: 100,
    brightnessStep: 25,
    emit: (e) => events.push(e),
  });
  router.watchStates();
  const lamp = registry.device("floor_lamp")!;
  const topic = adapterFor(lamp).stateTopics(lamp)[0];
  router.onStateMessage(topic, '{"state":"ON","brightness":254}');
  router.onStateMessage(topic, '{"state":"OFF","brightness":6622}');
  assert.equal(router.states.get("floor_lamp").brightness, 100);
  assert.equal(router.states.get("floor_lamp").on, true);
  const err = events.find((e) => e.type === "error");
  assert.ok(
    err && err.type === "error" &&
      /floor_lamp: .*brightness: 2607 is outside 0\.\.100 .*6622/.test(err.message),
  );
  router.close();
});
