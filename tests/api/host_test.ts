/**
 * DNS rebinding guard on a real port: a request whose Host is a name other
 * than loopback, the configured host or api.allowedHosts gets 403 on every
 * route (dashboard, status, metrics, the live event stream), raw HTTP over
 * loopback so the Host header is exactly what a browser would send.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import { startApi } from "../../api/server.ts";
import { hostAllowed } from "../../api/app.ts";

/** One raw HTTP/1.1 GET with this Host header; resolves with the status and body start. */
async function rawGet(port: number, path: string, host: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(8192);
    let text = "";
    while (!/\r\n\r\n[\s\S]{10,}/.test(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return { status: Number(text.split(" ")[1]), text };
  } finally {
    conn.close();
  }
}

Deno.test("Host check: foreign names get 403 everywhere; loopback, IPs and allowedHosts pass", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-host-" });
  const config = parseConfig({
    api: { port: 0, tokenFile: `${dir}/token`, allowedHosts: ["earshot.lan"] },
  });
  const server = await startApi(config, { bus: new EventBus(), logError: () => {} });
  const p = server.port;
  try {
    for (const path of ["/", "/api/status", "/metrics", "/api/events", "/health"]) {
      const r = await rawGet(p, path, `evil.example:${p}`);
      assert.equal(r.status, 403, path);
      assert.match(r.text, /host not allowed: \\"evil\.example\\" \(add it to api\.allowedHosts\)/);
      assert.doesNotMatch(r.text, /text\/event-stream/);
    }
    for (
      const host of [`127.0.0.1:${p}`, `localhost:${p}`, "[::1]", "EARSHOT.LAN", "earshot.lan."]
    ) {
      assert.equal((await rawGet(p, "/health/live", host)).status, 200, host);
    }
    assert.equal((await rawGet(p, "/health/live", "earshot.lan.evil.example")).status, 403);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hostAllowed: IP literals, localhost, listed names; '*' allows all", () => {
  assert.ok(hostAllowed("192.168.1.20", []));
  assert.ok(hostAllowed("[fe80::1]", []));
  assert.ok(hostAllowed("app.localhost", []));
  assert.ok(!hostAllowed("pi.local", []));
  assert.ok(hostAllowed("pi.local", ["pi.local"]));
  assert.ok(hostAllowed("anything.example", ["*"]));
  assert.ok(!hostAllowed("localhost.evil.example", []));
});
