/**
 * earshot's own presence on the broker: the availability topic (birth
 * "online" / last will "offline", retained) and Home Assistant discovery
 * configs for its entities (wake detected, listening, last command; the remote
 * controls: listen button, mute switch, wake sensitivity number), so a
 * satellite shows up in Home Assistant by itself. Pure builders.
 * @module
 */
import type { OutMessage } from "./adapters/types.ts";
import { VERSION } from "../core/version.ts";

/** The `origin` of earshot's discovery configs (HA logs it with discovery problems). */
export interface Origin {
  name: string;
  sw_version: string;
  support_url: string;
}

/** earshot's origin with this satellite's support URL. */
export function origin(supportUrl: string): Origin {
  return { name: "earshot", sw_version: VERSION, support_url: supportUrl };
}

/** Topics of one satellite under the earshot prefix. */
export interface SiteTopics {
  availability: string;
  wake: string;
  listening: string;
  lastCommand: string;
  lastCommandAttributes: string;
  /** Home Assistant's listen button presses ("PRESS"). */
  listenSet: string;
  /** Retained "ON" (muted) / "OFF"; commands on `muteSet`. */
  mute: string;
  muteSet: string;
  /** Retained sensitivity ("0.5"); commands on `sensitivitySet`. */
  sensitivity: string;
  sensitivitySet: string;
}

/** `<prefix>/<siteId>/...` topics. */
export function siteTopics(prefix: string, siteId: string): SiteTopics {
  const base = `${prefix}/${siteId}`;
  return {
    availability: `${base}/status`,
    wake: `${base}/wake`,
    listening: `${base}/listening`,
    lastCommand: `${base}/last_command`,
    lastCommandAttributes: `${base}/last_command/attributes`,
    listenSet: `${base}/listen/set`,
    mute: `${base}/mute`,
    muteSet: `${base}/mute/set`,
    sensitivity: `${base}/sensitivity`,
    sensitivitySet: `${base}/sensitivity/set`,
  };
}

/** The step of the sensitivity number entity. */
export const SENSITIVITY_STEP = 0.05;

/**
 * Retained Home Assistant discovery configs for the satellite's entities.
 * @example
 * ```ts
 * haDiscoveryConfigs("earshot", "kitchen", "homeassistant", origin("http://pi:8089/"));
 * // [{ topic: "homeassistant/binary_sensor/earshot_kitchen/wake/config", ... }, ...]
 * ```
 */
export function haDiscoveryConfigs(
  prefix: string,
  siteId: string,
  haPrefix = "homeassistant",
  from: Origin = origin("http://127.0.0.1:8089/"),
): OutMessage[] {
  const t = siteTopics(prefix, siteId);
  const node = `earshot_${siteId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const device = {
    identifiers: [node],
    name: `earshot ${siteId}`,
    manufacturer: "earshot",
    model: "voice satellite",
  };
  const common = {
    availability_topic: t.availability,
    payload_available: "online",
    payload_not_available: "offline",
    device,
  };
  // Home Assistant 2025.10+: 'Replace the "object_id": "X" option with "default_entity_id":
  // "sensor.X" ... This will stop working in Home Assistant Core 2026.4'. `origin` names the
  // software that published the config (HA logs it with discovery problems).
  const cfg = (component: string, object: string, body: Record<string, unknown>): OutMessage => ({
    topic: `${haPrefix}/${component}/${node}/${object}/config`,
    payload: JSON.stringify({
      ...body,
      ...common,
      unique_id: `${node}_${object}`,
      default_entity_id: `${component}.${node}_${object}`,
      origin: from,
    }),
    retain: true,
  });
  return [
    cfg("binary_sensor", "wake", {
      name: "Wake word detected",
      state_topic: t.wake,
      payload_on: "ON",
      payload_off: "OFF",
      off_delay: 2,
      icon: "mdi:account-voice",
    }),
    cfg("binary_sensor", "listening", {
      name: "Listening",
      state_topic: t.listening,
      payload_on: "ON",
      payload_off: "OFF",
      icon: "mdi:microphone",
    }),
    cfg("sensor", "last_command", {
      name: "Last command",
      state_topic: t.lastCommand,
      json_attributes_topic: t.lastCommandAttributes,
      icon: "mdi:text-to-speech",
    }),
    cfg("button", "listen", {
      name: "Listen",
      command_topic: t.listenSet,
      payload_press: "PRESS",
      icon: "mdi:microphone-message",
    }),
    cfg("switch", "mute", {
      name: "Mute wake word",
      command_topic: t.muteSet,
      state_topic: t.mute,
      payload_on: "ON",
      payload_off: "OFF",
      optimistic: false,
      icon: "mdi:microphone-off",
    }),
    cfg("number", "sensitivity", {
      name: "Wake sensitivity",
      command_topic: t.sensitivitySet,
      state_topic: t.sensitivity,
      min: 0,
      max: 1,
      step: SENSITIVITY_STEP,
      mode: "slider",
      optimistic: false,
      entity_category: "config",
      icon: "mdi:tune-vertical",
    }),
  ];
}
