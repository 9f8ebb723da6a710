import assert from "node:assert/strict";
import { MqttLink } from "../../devices/mqtt.ts";
import { Mosquitto, until } from "./mosquitto.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function openssl(args: string[], cwd: string) {
  const r = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!r.success) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/** A throwaway CA and a server certificate for 127.0.0.1. */
async function makeCerts(dir: string) {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=earshot test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  ], dir);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  ], dir);
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=IP:127.0.0.1\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "server.pem",
  ], dir);
}

Deno.test(
  "TLS: mqtts with the CA file connects; an unknown CA is refused unless rejectUnauthorized is false",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    await makeCerts(dir);
    const m = await Mosquitto.start({
      plainListener: false,
      extraConfig: [
        "listener $PORT 127.0.0.1",
        "allow_anonymous true",
        `cafile ${dir}/ca.pem`,
        `certfile ${dir}/server.pem`,
        `keyfile ${dir}/server.key`,
      ],
    });
    const url = `mqtts://127.0.0.1:${m.port}`;
    const good = await MqttLink.connect({
      url,
      ca: `${dir}/ca.pem`,
      availabilityTopic: "earshot/tls/status",
    });
    const strict = await MqttLink.connect({ url, backoffMinMs: 200 });
    const lax = await MqttLink.connect({ url, rejectUnauthorized: false });
    try {
      await good.waitConnected(5000);
      await lax.waitConnected(5000);
      await until(() => !!strict.status().lastError, 5000, "certificate error");
      assert.match(strict.status().lastError!, /certificate|self[- ]signed|unknown ca|issuer/i);
      assert.notEqual(strict.state, "connected");
    } finally {
      await Promise.all([good.close(), strict.close(), lax.close()]);
      await m.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
