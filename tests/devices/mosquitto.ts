/**
 * Test harness: a real Mosquitto on a free 127.0.0.1 port, configured not to
 * drop QoS 1 bursts (raised max_queued_messages / max_inflight_messages),
 * logging to stdout, no pid file, running as root. Can be stopped and
 * restarted on the same port to simulate a broker outage.
 * @module
 */
import { connect, type MqttClient } from "mqtt";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Extra mosquitto.conf lines and files for auth/TLS tests. */
export interface MosquittoOptions {
  extraConfig?: string[];
  /** Listener lines are generated for the port unless this is false. */
  plainListener?: boolean;
}

/** A Mosquitto process under test control. */
export class Mosquitto {
  #proc?: Deno.ChildProcess;
  #log: string[] = [];
  private constructor(readonly port: number, readonly dir: string, readonly confPath: string) {}

  /** Write a config and start mosquitto; resolves once it accepts connections. */
  static async start(opts: MosquittoOptions = {}): Promise<Mosquitto> {
    const port = await freePort();
    const dir = await Deno.makeTempDir({ prefix: "earshot-mosquitto-" });
    const conf = [
      "user root",
      // Sessions survive a graceful restart (SIGTERM saves them), so a test device with a
      // persistent session gets what was published while it reconnected; SIGKILL loses them.
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 0",
      "log_dest stdout",
      "log_type error",
      "log_type warning",
      "max_queued_messages 100000",
      "max_inflight_messages 0",
      ...(opts.plainListener === false
        ? []
        : [`listener ${port} 127.0.0.1`, "allow_anonymous true"]),
      ...(opts.extraConfig ?? []).map((l) => l.replaceAll("$PORT", String(port))),
    ].join("\n") + "\n";
    const confPath = `${dir}/mosquitto.conf`;
    await Deno.writeTextFile(confPath, conf);
    const m = new Mosquitto(port, dir, confPath);
    await m.resume();
    return m;
  }

  /** mqtt://127.0.0.1:<port> */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** (Re)start the process on the same port. */
  async resume(): Promise<void> {
    if (this.#proc) return;
    this.#proc = new Deno.Command("mosquitto", {
      args: ["-c", this.confPath],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s.pipeThrough(new TextDecoderStream())) this.#log.push(chunk);
    };
    collect(this.#proc.stdout);
    collect(this.#proc.stderr);
    for (let i = 0; i < 200; i++) {
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`mosquitto did not start on ${this.port}: ${this.#log.join("")}`);
  }

  /**
   * Stop the broker: SIGKILL (a crash: clients see the TCP connection drop,
   * sessions are lost) or SIGTERM (a restart: sessions are saved).
   */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    this.#proc = undefined;
    try {
      p.kill(signal);
    } catch { /* already gone */ }
    await p.status;
    for (let i = 0; i < 100 && await canConnect(this.port); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stop and remove the temp dir. */
  async stop(): Promise<void> {
    await this.kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Broker log so far (for failure messages). */
  get log(): string {
    return this.#log.join("");
  }
}

/** A plain mqtt.js client that records every message it sees (the "device side" of tests). */
export class Watcher {
  messages: Array<{ topic: string; payload: string; retain: boolean }> = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.messages.push({
        topic,
        payload: new TextDecoder().decode(payload),
        retain: packet.retain,
      });
    });
  }

  /** Connect and subscribe to `filters` (a `clientId` makes the session persistent). */
  static async connect(
    url: string,
    filters: string[] = ["#"],
    clientId?: string,
  ): Promise<Watcher> {
    const client = connect(url, {
      reconnectPeriod: 50,
      connectTimeout: 3000,
      ...(clientId ? { clientId, clean: false } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    await client.subscribeAsync(filters, { qos: 1 });
    return new Watcher(client);
  }

  /** Publish as a device would. */
  async publish(topic: string, payload: string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** Wait for a message whose topic (and payload) match. */
  async waitFor(
    topic: string | RegExp,
    pred: (payload: string) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<{ topic: string; payload: string; retain: boolean }> {
    const deadline = Date.now() + timeoutMs;
    const match = (m: { topic: string; payload: string }) =>
      (typeof topic === "string" ? m.topic === topic : topic.test(m.topic)) && pred(m.payload);
    while (Date.now() < deadline) {
      const m = this.messages.find(match);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(
      `no message on ${topic} within ${timeoutMs} ms; saw: ${
        this.messages.map((m) => `${m.topic}=${m.payload.slice(0, 60)}`).join(", ")
      }`,
    );
  }

  /** Messages on one topic. */
  on(topic: string): string[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.payload);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Poll until `fn` returns true. */
export async function until(
  fn: () => boolean,
  timeoutMs = 3000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
