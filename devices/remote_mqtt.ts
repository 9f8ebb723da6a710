/**
 * The remote controls of earshot's Home Assistant entities (devices/announce.ts) on MQTT: the
 * listen button (`<prefix>/<site>/listen/set`, `PRESS`), the mute switch
 * (`<prefix>/<site>/mute/set`, `ON`/`OFF`; state retained on `<prefix>/<site>/mute`) and the
 * wake sensitivity number (`<prefix>/<site>/sensitivity/set`, a number from 0 to 1; state
 * retained on `<prefix>/<site>/sensitivity`). Every state change, whoever made it (Home
 * Assistant, Hermes toggleOff/On, a restart from the state file), is published back.
 * @module
 */
import { type RemoteControl, RemoteError } from "../core/remote.ts";
import type { Site } from "./site.ts";

/** A command earshot understood. */
export type RemoteCommand =
  | { kind: "listen" }
  | { kind: "mute"; muted: boolean }
  | { kind: "sensitivity"; value: number };

/** A command payload earshot cannot read; the message names the topic and the payload. */
export class RemoteCommandError extends Error {
  override name = "RemoteCommandError";
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** How a payload is shown in an error (quoted, at most 40 characters). */
const shown = (p: string) => JSON.stringify(p.length > 40 ? `${p.slice(0, 40)}...` : p);

/**
 * Read the payload of one of the command topics (`kind` from the topic).
 * @throws RemoteCommandError for an unknown payload, a non-numeric or out-of-range number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   parseRemoteCommand("sensitivity", "earshot/pi/sensitivity/set", "0.65"),
 *   { kind: "sensitivity", value: 0.65 },
 * );
 * assert.throws(() => parseRemoteCommand("mute", "earshot/pi/mute/set", "maybe"), RemoteCommandError);
 * ```
 */
export function parseRemoteCommand(
  kind: RemoteCommand["kind"],
  topic: string,
  payload: string,
): RemoteCommand {
  const p = payload.trim();
  switch (kind) {
    case "listen":
      if (p === "PRESS") return { kind };
      throw new RemoteCommandError(
        `${topic}: unknown payload ${shown(payload)} (expected "PRESS")`,
      );
    case "mute":
      if (p === "ON" || p === "OFF") return { kind, muted: p === "ON" };
      throw new RemoteCommandError(
        `${topic}: unknown payload ${shown(payload)} (expected "ON" or "OFF")`,
      );
    case "sensitivity": {
      if (!NUMBER.test(p)) {
        throw new RemoteCommandError(
          `${topic}: ${shown(payload)} is not a number (expected 0 to 1, e.g. "0.5")`,
        );
      }
      const value = Number(p);
      if (value < 0 || value > 1) {
        throw new RemoteCommandError(`${topic}: ${p} is out of range (expected 0 to 1)`);
      }
      return { kind, value };
    }
  }
}

/** The sensitivity as published ("0.65"). */
export function formatSensitivity(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/**
 * The MQTT side of the remote control for one satellite.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import { RemoteControl } from "../core/remote.ts";
 * import { siteTopics } from "./announce.ts";
 * import { startEmbeddedBroker } from "./broker.ts";
 * import { MqttLink } from "./mqtt.ts";
 * import { Site } from "./site.ts";
 * const broker = await startEmbeddedBroker("127.0.0.1", 0);
 * const link = await MqttLink.connect({ url: broker.url });
 * await link.waitConnected();
 * const bus = new EventBus();
 * const site = new Site(bus, "kitchen", siteTopics("earshot", "kitchen"), false);
 * site.attach(link);
 * const remote = await RemoteControl.open(bus, { sensitivity: 0.5 });
 * const r = new RemoteMqtt(site, remote);
 * r.start(); // subscribes; publishes the state on every change
 * r.publishState(); // after each (re)connection
 * const muted = new Promise((resolve) => {
 *   link.subscribe("earshot/kitchen/mute", (_topic, payload) => payload === "ON" && resolve(payload));
 * });
 * link.publish("earshot/kitchen/mute/set", "ON", { qos: 1 }); // Home Assistant's switch
 * assert.equal(await muted, "ON"); // the retained state, published back
 * assert.equal(remote.state.muted, true);
 * r.close();
 * await link.close();
 * await broker.close();
 * ```
 */
export class RemoteMqtt {
  #unsubs: Array<() => void> = [];

  constructor(readonly site: Site, readonly remote: RemoteControl) {}

  /** Subscribe to the command topics and publish every state change. */
  start(): void {
    const t = this.site.topics;
    const kinds: Array<[string, RemoteCommand["kind"]]> = [
      [t.listenSet, "listen"],
      [t.muteSet, "mute"],
      [t.sensitivitySet, "sensitivity"],
    ];
    for (const [topic, kind] of kinds) {
      this.#unsubs.push(
        this.site.link.subscribe(topic, (_t, payload) => this.onMessage(kind, topic, payload)),
      );
    }
    this.#unsubs.push(this.remote.onChange(() => this.publishState()));
  }

  /** Handle one command message; a bad one is an `error` event (stage "remote"), never a throw. */
  onMessage(kind: RemoteCommand["kind"], topic: string, payload: string): void {
    let cmd: RemoteCommand;
    try {
      cmd = parseRemoteCommand(kind, topic, payload);
    } catch (err) {
      if (!(err instanceof RemoteCommandError)) throw err;
      this.site.error("remote", err.message);
      // Home Assistant shows what it sent until the state comes back: send the real one.
      this.publishState();
      return;
    }
    try {
      if (cmd.kind === "listen") this.remote.listen({ source: "homeassistant" });
      else if (cmd.kind === "mute") this.remote.setMuted(cmd.muted, "homeassistant");
      else this.remote.setSensitivity(cmd.value, "homeassistant");
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      this.site.error("remote", `${topic}: ${err.message}`);
    }
  }

  /** Publish mute and sensitivity, retained. */
  publishState(): void {
    const s = this.remote.state;
    const t = this.site.topics;
    this.site.send({ topic: t.mute, payload: s.muted ? "ON" : "OFF", retain: true });
    this.site.send({
      topic: t.sensitivity,
      payload: formatSensitivity(s.sensitivity),
      retain: true,
    });
  }

  close(): void {
    for (const u of this.#unsubs.splice(0)) u();
  }
}
