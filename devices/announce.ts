/**
 * earshot's own presence on the broker: the availability topic (birth
 * "online" / last will "offline", retained) and Home Assistant discovery
 * configs for its entities (wake detected, listening, last command), so a
 * satellite shows up in Home Assistant by itself. Pure builders.
 * @module
 */
import type { OutMessage } from "./adapters/types.ts";

/** The `origin` of earshot's discovery configs. */
export const ORIGIN = { name: "earshot" } as const;

/** Topics of one satellite under the earshot prefix. */
export interface SiteTopics {
  availability: string;
  wake: string;
  listening: string;
  lastCommand: string;
  lastCommandAttributes: string;
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
  };
}

/** Retained Home Assistant discovery configs for the satellite's entities. */
export function haDiscoveryConfigs(
  prefix: string,
  siteId: string,
  haPrefix = "homeassistant",
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
      origin: ORIGIN,
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
  ];
}
