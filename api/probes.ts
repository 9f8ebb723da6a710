/**
 * Ready-made health probes built from what the bus says, for `/health`.
 * Probes for "models loaded" and "MQTT connected" come from the stages that
 * own those things (a function returning a boolean or `{ ok, detail }`).
 * @module
 */
import type { HealthProbe, ProbeResult } from "./app.ts";
import type { StatusCollector } from "./status.ts";

/**
 * Audio source alive: the last source event is "started" and audio-driven
 * events (level events come about 10 per second) arrived within `maxGapMs`.
 */
export function audioAliveProbe(
  status: StatusCollector,
  options: { maxGapMs?: number; now?: () => number } = {},
): HealthProbe {
  const maxGapMs = options.maxGapMs ?? 5000;
  const now = options.now ?? Date.now;
  return (): ProbeResult => {
    const { source, lastAudioAt } = status.audio();
    if (!source) return { ok: false, detail: "no audio source has started" };
    if (source.state === "restarting" || source.state === "waiting") {
      return {
        ok: false,
        detail: `${source.source} ${source.state}${source.reason ? `: ${source.reason}` : ""}`,
      };
    }
    if (source.state === "ended") return { ok: false, detail: `${source.source} ended` };
    const gap = lastAudioAt === undefined ? Infinity : now() - lastAudioAt;
    if (gap > maxGapMs) {
      return {
        ok: false,
        detail: `no audio from ${source.source} for ${
          Number.isFinite(gap) ? (gap / 1000).toFixed(1) : "?"
        } s`,
      };
    }
    return { ok: true, detail: `${source.source} streaming` };
  };
}
