/**
 * What the status API (api/server.ts) is given by the assistant: figures of
 * the live pipeline, health probes, the /status info, and the text, listen
 * and audio-upload runners, each built from the running parts. The API layer
 * imports none of them itself (app/ injects them).
 *
 * app/assistant.ts hands them to the API as
 * `startApi(config, assistantApiServices({ config, bus, status, vad, stages, pipeline, remote,
 * devices, voice }))`; tests/app/api_services_test.ts builds them from real parts.
 * @module
 */
import type { Config } from "../core/config.ts";
import type { EventBus } from "../core/bus.ts";
import type { RemoteControl } from "../core/remote.ts";
import { type Pipeline, runAudio } from "../pipeline/pipeline.ts";
import type { FrameStage } from "../pipeline/frame.ts";
import type { SileroModel } from "../pipeline/vad.ts";
import type { DeviceRuntime } from "../devices/runtime.ts";
import type { ApiServices } from "../api/server.ts";
import type { StatusCollector, StatusInfo } from "../api/status.ts";
import type { HealthProbe } from "../api/deps.ts";
import { audioAliveProbe } from "../api/probes.ts";
import { describeModels } from "../api/models.ts";
import { audioRunner, textRunner } from "../api/commands.ts";
import { createStages, modelDefaults } from "./stages.ts";
import { statusDevices } from "./status_info.ts";
import { type RunningVoice, voiceStatus } from "./voice.ts";
import { VERSION } from "../core/version.ts";

/** The running parts of the assistant the API reports on and drives. */
export interface AssistantParts {
  config: Config;
  bus: EventBus;
  status: StatusCollector;
  vad: SileroModel;
  /** The live pipeline's model stages. */
  stages: FrameStage[];
  pipeline: Pipeline;
  remote: RemoteControl;
  /** Absent without the devices runtime (`run` without MQTT). */
  devices?: DeviceRuntime;
  /** Absent when answers are not spoken. */
  voice?: RunningVoice | null;
}

/** The services `startApi` is started with for the running assistant `p`. */
export function assistantApiServices(p: AssistantParts): ApiServices {
  const { config, bus, devices } = p;
  return {
    bus,
    status: p.status,
    version: VERSION,
    realTimeFactor: () => p.pipeline.realTimeFactor,
    liveAudioSeconds: () => p.pipeline.seconds,
    ...(devices ? { mqtt: () => devices.status().mqtt } : {}),
    probes: assistantProbes(p),
    info: () => assistantInfo(p),
    runText: devices ? textRunner(devices, bus) : undefined,
    listen: () => p.remote.listen({ source: "http" }),
    runAudio: audioRunner(
      (bytes, upload) =>
        runAudio(bytes, config, {
          bus: upload,
          vad: p.vad,
          makeStages: (b) => createStages(config, b, { grammar: devices?.grammar() }),
        }),
      bus,
      { confirmWaitMs: config.devices.confirmTimeoutMs + 500 },
    ),
  };
}

/** Health probes: audio alive, models loaded, and (with devices) the MQTT link connected. */
export function assistantProbes(p: AssistantParts): Record<string, HealthProbe> {
  const devices = p.devices;
  return {
    audio: audioAliveProbe(p.status),
    models: () => ({ ok: true, detail: `vad + ${p.stages.length} model stages loaded` }),
    ...(devices
      ? {
        mqtt: () => {
          const m = devices.status().mqtt;
          return { ok: m.state === "connected", detail: `${m.state} ${m.url}` };
        },
      }
      : {}),
  };
}

/** The /status info: audio source, models, spoken answers, MQTT, devices and remote control. */
export async function assistantInfo(p: AssistantParts): Promise<StatusInfo> {
  const { config, voice } = p;
  const d = p.devices?.status();
  return {
    audio: { kind: config.audio.source, device: config.audio.micDevice },
    models: await describeModels(config, modelDefaults()),
    ...(voice ? { answers: voiceStatus(voice, p.stages) } : {}),
    ...(d
      ? {
        mqtt: {
          connected: d.mqtt.state === "connected",
          url: d.mqtt.url,
          queued: d.mqtt.queued,
        },
        devices: statusDevices(d),
      }
      : {}),
    remote: { ...p.remote.status() },
  };
}
