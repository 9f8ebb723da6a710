/**
 * What the assistant hands the status API (app/api_services.ts), built from
 * real parts: the Silero VAD, the model stages createStages loads, the live
 * pipeline, the remote control and (when asked for) the devices runtime on
 * its embedded Mosquitto-compatible broker with the example registry.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import { RemoteControl } from "../../core/remote.ts";
import { Pipeline } from "../../pipeline/pipeline.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { startDevices } from "../../devices/runtime.ts";
import { StatusCollector } from "../../api/status.ts";
import { createStages } from "../../app/stages.ts";
import {
  assistantApiServices,
  assistantInfo,
  type AssistantParts,
  assistantProbes,
} from "../../app/api_services.ts";

const EXAMPLE_DEVICES = new URL("../../devices/example.devices.json", import.meta.url).pathname;
const MQTT_TEST = { sanitizeOps: false, sanitizeResources: false };

async function parts(withDevices: boolean): Promise<AssistantParts & { close(): Promise<void> }> {
  const config = parseConfig({
    devices: { file: EXAMPLE_DEVICES, area: "kitchen", confirmTimeoutMs: 1000 },
    mqtt: { embeddedPort: 0, url: undefined },
    answers: { enabled: false },
  });
  const bus = new EventBus();
  const status = new StatusCollector(bus);
  const vad = await SileroModel.load(config.vad.model);
  const remote = await RemoteControl.open(bus, { sensitivity: config.wake.sensitivity });
  const devices = withDevices ? await startDevices(config, bus, { remote }) : undefined;
  await devices?.connected();
  const stages = await createStages(config, bus, { grammar: devices?.grammar() });
  const pipeline = await Pipeline.create(config, bus, { stages, vad });
  return {
    config,
    bus,
    status,
    vad,
    stages,
    pipeline,
    remote,
    devices,
    voice: null,
    async close() {
      await pipeline.close();
      await devices?.close();
    },
  };
}

Deno.test("without devices: probes are audio and models only, /status info has no mqtt or devices", async () => {
  const p = await parts(false);
  try {
    const probes = assistantProbes(p);
    assert.deepEqual(Object.keys(probes).sort(), ["audio", "models"]);
    assert.deepEqual(await probes.models(), {
      ok: true,
      detail: `vad + ${p.stages.length} model stages loaded`,
    });
    const info = await assistantInfo(p) as Record<string, unknown>;
    assert.deepEqual(info.audio, { kind: p.config.audio.source, device: p.config.audio.micDevice });
    assert.ok(info.models, "the models are described");
    assert.equal("mqtt" in info, false);
    assert.equal("devices" in info, false);
    assert.equal("answers" in info, false, "no spoken answers, no answers section");
    assert.deepEqual(info.remote, p.remote.status());
    const services = assistantApiServices(p);
    assert.equal(services.runText, undefined, "typed commands need the devices runtime");
    assert.equal(services.mqtt, undefined);
    assert.equal(services.realTimeFactor!(), p.pipeline.realTimeFactor);
    assert.equal(services.liveAudioSeconds!(), p.pipeline.seconds);
  } finally {
    await p.close();
  }
});

Deno.test(
  "with devices: the mqtt probe and /status info report the connected embedded broker",
  MQTT_TEST,
  async () => {
    const p = await parts(true);
    try {
      const probes = assistantProbes(p);
      const mqtt = await probes.mqtt() as { ok: boolean; detail: string };
      assert.equal(mqtt.ok, true);
      assert.match(mqtt.detail, /^connected mqtt:\/\//);
      const info = await assistantInfo(p) as Record<string, unknown>;
      const m = info.mqtt as { connected: boolean; url: string; queued: number };
      assert.equal(m.connected, true);
      assert.equal(m.queued, 0);
      const devices = info.devices as Record<string, { name: string; area: string }>;
      const registry = p.devices!.registry.devices;
      assert.deepEqual(Object.keys(devices).sort(), registry.map((d) => d.id).sort());
      assert.equal(devices[registry[0].id].name, registry[0].name);
      const services = assistantApiServices(p);
      assert.equal(typeof services.runText, "function");
      assert.equal(services.mqtt!().state, "connected");
    } finally {
      await p.close();
    }
  },
);
