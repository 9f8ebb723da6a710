/**
 * Wires the API to the real parts for the integration and browser tests, the
 * way main.ts does: `runAudio` is the real pipeline (Silero VAD, MFCC and the
 * model stages `createStages` builds), `runText` and spoken commands go through
 * the real devices runtime (embedded MQTT broker, example registry) with
 * simulated Zigbee2MQTT/Tasmota devices answering on the broker. The wake
 * word and the transcript of the bundled demo recording ("hey computer" ...
 * "turn on the kitchen light") come from the shipped 4-bit wake model and the
 * INT8 recognizer.
 * @module
 */
import { EventBus } from "../../core/bus.ts";
import type { Config } from "../../core/config.ts";
import { runAudio } from "../../pipeline/pipeline.ts";
import { createStages, modelDefaults } from "../../app/stages.ts";
import { SileroModel } from "../../pipeline/vad.ts";
import { parseConfig } from "../../core/config.ts";
import { type DeviceRuntime, startDevices } from "../../devices/runtime.ts";
import type { ApiServices } from "../../api/server.ts";
import { describeModels } from "../../api/models.ts";
import { audioRunner, textRunner } from "../../api/commands.ts";
import { Simulator } from "../../devices/simulator.ts";
import { statusDevices } from "../../app/status_info.ts";

/** The bundled demo recording. */
export const DEMO_WAV = new URL("../../assets/demo.wav", import.meta.url).pathname;
const EXAMPLE_DEVICES = new URL("../../devices/example.devices.json", import.meta.url).pathname;

/** Test options that tolerate the MQTT client's timers (as in tests/devices). */
export const MQTT_TEST = { sanitizeOps: false, sanitizeResources: false };

/** Config for the tests: embedded broker on a free port, the example registry, quick confirms. */
export function testConfig(api: Record<string, unknown> = {}): Config {
  return parseConfig({
    api: { port: 0, ...api },
    devices: { file: EXAMPLE_DEVICES, area: "kitchen", confirmTimeoutMs: 1000 },
    mqtt: { embeddedPort: 0, url: undefined },
  });
}

/** Services for startApi backed by the real pipeline and devices runtime; `close()` stops them. */
export async function pipelineServices(
  config: Config,
  bus: EventBus,
): Promise<
  ApiServices & { devices: DeviceRuntime; sim: Simulator; vad: SileroModel; close(): Promise<void> }
> {
  const vad = await SileroModel.load(config.vad.model);
  const devices = await startDevices(config, bus);
  const sim = await Simulator.start(devices.brokerUrl);
  await devices.ready();
  return {
    bus,
    version: "test",
    devices,
    sim,
    vad,
    // Each upload runs on a private bus forwarded to this one, where the devices runtime turns
    // its transcript into a command; the answer includes that command's events.
    runAudio: audioRunner(
      (bytes, upload) =>
        runAudio(bytes, config, {
          bus: upload,
          vad,
          makeStages: (b) => createStages(config, b, { grammar: devices.grammar() }),
        }),
      bus,
      { confirmWaitMs: config.devices.confirmTimeoutMs + 500 },
    ),
    runText: textRunner(devices, bus),
    probes: {
      audio: () => ({ ok: true, detail: "uploads only" }),
      models: () => ({ ok: true, detail: "silero-vad loaded" }),
      mqtt: () => {
        const m = devices.status().mqtt;
        return { ok: m.state === "connected", detail: `${m.state} ${m.url}` };
      },
    },
    info: async () => {
      const d = devices.status();
      return {
        audio: { kind: "upload" },
        models: await describeModels(config, modelDefaults()),
        mqtt: {
          connected: d.mqtt.state === "connected",
          url: d.mqtt.url,
          embedded: d.mqtt.embedded,
          queued: d.mqtt.queued,
        },
        devices: statusDevices(d),
      };
    },
    async close() {
      sim.client.end(true);
      await devices.close();
    },
  };
}
