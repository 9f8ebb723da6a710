/**
 * The satellite's voice, put together: the `answers` config section -> a {@link Player}
 * (aplay, the sounds, espeak-ng or flite when found) -> the {@link Voice} the devices runtime
 * answers through, and the live pipeline's wake word muted while the satellite speaks.
 * @module
 */
import type { Config } from "../core/config.ts";
import { detectEngine, loadSounds, Player } from "../audio/player.ts";
import type { Voice } from "../devices/answers.ts";
import type { FrameStage } from "../pipeline/frame.ts";
import { WakeDetector } from "../wake/detector.ts";

/**
 * Whether this configuration answers out loud: `answers.enabled` with sounds or speech on,
 * for a live source (the microphone, or a file paced in real time). File and stdin runs that
 * go faster than real time stay silent (their replies would pile up behind the audio).
 */
export function voiceActive(config: Config): boolean {
  const a = config.answers;
  const live = config.audio.source === "mic" ||
    (config.audio.source === "wav" && config.audio.realtime);
  return a.enabled && (a.sounds || a.speech) && live;
}

/** A running voice: what the devices runtime plays through, and the player's figures. */
export interface RunningVoice {
  voice: Voice;
  player: Player;
}

/**
 * Build the voice for `config` (null when {@link voiceActive} is false). Detects the engine
 * (a missing one is a warning: sounds only) and reads the sounds (a missing file refuses to
 * start, naming it).
 *
 * @example
 * ```ts
 * import { parseConfig } from "../core/config.ts";
 * const v = await startVoice(parseConfig({ audio: { source: "mic" }, answers: { device: "null" } }));
 * await v?.voice.play({ sound: "wake" });
 * ```
 */
export async function startVoice(
  config: Config,
  warn: (message: string) => void = (m) => console.error(`earshot: ${m}`),
): Promise<RunningVoice | null> {
  if (!voiceActive(config)) return null;
  const a = config.answers;
  const { engine, note } = await detectEngine(a);
  if (note) warn(note);
  const sounds = a.sounds ? await loadSounds(a.soundsDir) : undefined;
  const player = new Player({ config: a, engine, sounds, report: (m) => warn(`answers: ${m}`) });
  return {
    player,
    voice: { play: (r) => player.play(r), canSpeak: player.canSpeak },
  };
}

/**
 * The voice back for the status API: the engine in use, the ALSA device, the player's counters,
 * and the wake-word strides the live pipeline muted while it played (`wakeMuted`).
 */
export function voiceStatus(v: RunningVoice, stages: FrameStage[]): Record<string, unknown> {
  const muted = stages.filter((s): s is WakeDetector => s instanceof WakeDetector)
    .reduce((a, d) => a + d.stats.speakingMuted, 0);
  return {
    engine: v.player.opts.engine,
    device: v.player.opts.config.device,
    ...v.player.stats,
    wakeMuted: muted,
    busy: v.player.busy,
  };
}

/**
 * Mute the wake word of `stages` (the live pipeline's) while `player` is busy (playing, and
 * `answers.muteTailMs` after): the detector counts those strides in `stats.speakingMuted`.
 */
export function muteWhilePlaying(stages: FrameStage[], player: Player): void {
  for (const s of stages) if (s instanceof WakeDetector) s.mute = () => player.busy;
}
