/**
 * Simulated devices for the demo and the tests: a real MQTT client that
 * answers commands the way the example registry's Zigbee2MQTT, Tasmota, Home
 * Assistant MQTT, Homie and generic devices would (state reports on their
 * state topics), so the closed loop can be seen without hardware. `muted`
 * makes a device ignore commands (for unconfirmed-command tests).
 * @module
 */
import { connect, type MqttClient } from "mqtt";

/** Simulated ecosystem devices on one broker. */
export class Simulator {
  muted = new Set<string>();
  z2m = new Map<string, Record<string, unknown>>();
  commands: Array<{ topic: string; payload: string }> = [];
  private constructor(readonly client: MqttClient) {}

  /** Connect; a `clientId` gives a persistent session that survives broker restarts. */
  static async start(url: string, clientId?: string): Promise<Simulator> {
    const client = connect(url, {
      reconnectPeriod: 50,
      ...(clientId ? { clientId, clean: false } : {}),
    });
    await new Promise<void>((r, j) => {
      client.once("connect", () => r());
      client.once("error", j);
    });
    const sim = new Simulator(client);
    await client.subscribeAsync(
      [
        "zigbee2mqtt/+/set",
        "zigbee2mqtt/+/+/set",
        "cmnd/#",
        "bedroom/fan/#",
        "homie/+/+/+/set",
        "office/desk/cmd",
      ],
      { qos: 1 },
    );
    client.on("message", (topic, buf) => {
      try {
        sim.#handle(topic, new TextDecoder().decode(buf));
      } catch {
        // A malformed command is what a real device would ignore too.
      }
    });
    return sim;
  }

  #pub(topic: string, payload: string) {
    this.client.publish(topic, payload, { qos: 1 });
  }

  #handle(topic: string, payload: string) {
    if (topic.endsWith("/state") || topic.endsWith("/speed/state")) return;
    this.commands.push({ topic, payload });
    let m: RegExpMatchArray | null;
    if ((m = topic.match(/^zigbee2mqtt\/(.+)\/set$/))) {
      if (this.muted.has(m[1])) return;
      const body = JSON.parse(payload) as Record<string, unknown>;
      const state = this.z2m.get(m[1]) ?? {};
      if (body.state === "TOGGLE") body.state = state.state === "ON" ? "OFF" : "ON";
      if (body.state === "OPEN") (body.position = 100, body.state = "OPEN");
      if (body.state === "CLOSE") (body.position = 0, body.state = "CLOSE");
      Object.assign(state, body, { linkquality: 80 });
      this.z2m.set(m[1], state);
      this.#pub(`zigbee2mqtt/${m[1]}`, JSON.stringify(state));
    } else if ((m = topic.match(/^cmnd\/([^/]+)\/(\w+)$/))) {
      if (this.muted.has(m[1])) return;
      const [, dev, cmd] = m;
      if (cmd.startsWith("POWER")) {
        this.#pub(`stat/${dev}/RESULT`, JSON.stringify({ [cmd]: payload }));
        this.#pub(`stat/${dev}/${cmd}`, payload);
      } else if (cmd === "Dimmer") {
        this.#pub(`stat/${dev}/RESULT`, JSON.stringify({ POWER: "ON", Dimmer: Number(payload) }));
      } else if (cmd.startsWith("ShutterClose")) {
        this.#pub(`stat/${dev}/RESULT`, JSON.stringify({ Shutter1: { Position: 0 } }));
      } else if (cmd.startsWith("ShutterOpen")) {
        this.#pub(`stat/${dev}/RESULT`, JSON.stringify({ Shutter1: { Position: 100 } }));
      }
    } else if (topic === "bedroom/fan/set") {
      if (!this.muted.has("fan")) this.#pub("bedroom/fan/state", payload);
    } else if (topic === "bedroom/fan/speed/set") {
      if (!this.muted.has("fan")) this.#pub("bedroom/fan/speed/state", payload);
    } else if ((m = topic.match(/^(homie\/.+)\/set$/))) {
      if (!this.muted.has("homie")) this.#pub(m[1], payload);
    } else if (topic === "office/desk/cmd") {
      if (!this.muted.has("desk")) this.#pub("office/desk/state", payload);
    }
  }

  /** Publish a raw message as a device. */
  async send(topic: string, payload: string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
