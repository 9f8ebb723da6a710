/**
 * One satellite's shared run-time state for the devices stage: its id and topics, the
 * stream time of the latest bus event, the retained `listening` switch, and helpers to
 * emit, report errors and publish. The parts of devices/runtime.ts share one.
 * @module
 */
import type { EventBus } from "../core/bus.ts";
import type { EarshotEvent } from "../core/events.ts";
import type { SiteTopics } from "./announce.ts";
import type { OutMessage } from "./adapters/types.ts";
import type { MqttLink, PublishResult } from "./mqtt.ts";

/**
 * The satellite's shared state; `link` is attached once connected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "../core/bus.ts";
 * import { siteTopics } from "./announce.ts";
 * import { startEmbeddedBroker } from "./broker.ts";
 * import { MqttLink } from "./mqtt.ts";
 * const broker = await startEmbeddedBroker("127.0.0.1", 0);
 * const link = await MqttLink.connect({ url: broker.url });
 * await link.waitConnected();
 * const site = new Site(new EventBus(), "kitchen", siteTopics("earshot", "kitchen"), false);
 * site.attach(link);
 * const heard = new Promise((resolve) => {
 *   link.subscribe("earshot/kitchen/listening", (_topic, payload) => resolve(payload));
 * });
 * site.setListening(true); // retained "ON" on earshot/kitchen/listening
 * assert.equal(await heard, "ON");
 * await link.close();
 * await broker.close();
 * ```
 */
export class Site {
  /** Stream time of the latest event on the bus (for events caused by broker traffic). */
  streamT = 0;
  /** Whether the satellite is listening for a command now (published retained). */
  listening = false;
  /** Set by the runtime's close: late transcripts are not acted on. */
  closed = false;
  #link?: MqttLink;

  constructor(
    readonly bus: EventBus,
    readonly siteId: string,
    readonly topics: SiteTopics,
    /** Whether the Hermes protocol is spoken (config mqtt.hermes). */
    readonly hermes: boolean,
  ) {}

  attach(link: MqttLink): void {
    this.#link = link;
  }

  get link(): MqttLink {
    if (!this.#link) throw new Error("Site: the MQTT link is not attached yet");
    return this.#link;
  }

  emit(e: EarshotEvent): void {
    this.bus.emit(e);
  }

  /** An `error` event of `stage` at the current stream time. */
  error(stage: string, message: string, session?: string): void {
    this.emit({ type: "error", t: this.streamT, stage, message, ...(session ? { session } : {}) });
  }

  /** Publish with QoS 1; `queue` false: dropped while offline. */
  send(msg: OutMessage, queue = false): PublishResult {
    return this.link.publish(msg.topic, msg.payload, { qos: 1, retain: msg.retain, queue });
  }

  setListening(on: boolean): void {
    this.listening = on;
    this.publishListening();
  }

  /** Publish the current listening state again (after a reconnect). */
  publishListening(): void {
    this.send({
      topic: this.topics.listening,
      payload: this.listening ? "ON" : "OFF",
      retain: true,
    });
  }
}
