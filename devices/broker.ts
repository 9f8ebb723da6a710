/**
 * The embedded MQTT broker (aedes over node:net), started when no broker URL
 * is configured so earshot works alone and `mosquitto_sub -p <port>` can watch.
 * @module
 */
import { Aedes } from "aedes";
import { createServer, type Server } from "node:net";
import { ConfigError } from "../core/config.ts";

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** mqtt://host:port of the listener (port resolved when 0 was asked). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start aedes on host:port; rejects with a clear message when the port is taken. */
export async function startEmbeddedBroker(
  host = "127.0.0.1",
  port = 1883,
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      broker.close();
      reject(
        new ConfigError(
          `mqtt.embeddedPort: the embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}`,
        ),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const addr = server.address();
  const actual = typeof addr === "object" && addr ? addr.port : port;
  let closed = false;
  return {
    url: `mqtt://${host}:${actual}`,
    port: actual,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
