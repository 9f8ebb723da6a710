/**
 * The connection guard on real loopback sockets: idle and trickling clients
 * are closed after the header timeout, connections past the cap are closed on
 * accept, and a flood larger than the process's file-descriptor limit leaves
 * the API answering once it ends.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import { startApi } from "../../api/server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function openIdle(port: number, n: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < n; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  return conns;
}

/** Resolves true when the server closed the socket (EOF or reset) within `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const timer = setTimeout(() => conn.close(), ms);
  try {
    return await conn.read(new Uint8Array(64)) === null;
  } catch (err) {
    return err instanceof Deno.errors.ConnectionReset;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("guard: idle sockets are closed after the header timeout, the cap closes the rest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-guard-" });
  const config = parseConfig({
    api: { port: 0, tokenFile: `${dir}/token`, maxConnections: 20, headerTimeoutMs: 300 },
  });
  const server = await startApi(config, { bus: new EventBus(), logError: () => {} });
  try {
    const idle = await openIdle(server.port, 60);
    const results = await Promise.all(idle.map((c) => closedWithin(c, 3000)));
    assert.ok(results.every(Boolean), "every idle socket was closed by the server");
    assert.equal(server.connections.accepted, 60);
    assert.equal(server.connections.refused, 40);
    assert.equal(server.connections.headerTimeouts, 20);
    // A client trickling a header line byte by byte (slowloris) is closed too.
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const line = new TextEncoder().encode("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ");
    let cut = false;
    for (const b of line) {
      try {
        await slow.write(Uint8Array.of(b));
      } catch {
        cut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(cut || await closedWithin(slow, 2000), "the trickling client was cut off");
    try {
      slow.close();
    } catch { /* closed */ }
    const res = await fetch(`${server.url}/health/live`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", live: true });
    assert.equal(server.connections.open <= 1, true);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guard: keep-alive requests and an SSE stream pass through unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-guard-" });
  const config = parseConfig({ api: { port: 0, tokenFile: `${dir}/token` } });
  const bus = new EventBus();
  const server = await startApi(config, { bus, logError: () => {} });
  try {
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${server.url}/metrics`);
      assert.equal(r.status, 200);
      await r.text();
    }
    const sse = await fetch(`${server.url}/api/events`);
    const reader = sse.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /connected/);
    await reader.cancel();
    assert.ok(server.connections.accepted <= 3, "fetch reused its connection");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const [label, maxConnections] of [["fits", 24], ["lowered to fit", 400]] as const) {
  Deno.test(`guard: a 600-socket flood with ulimit -n 160 (cap ${label}) leaves the API alive`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "earshot-guard-" });
    const child = new Deno.Command("bash", {
      args: [
        "-c",
        `ulimit -n 160 && exec "${Deno.execPath()}" run -A --quiet ` +
        `"${ROOT}tests/api/fixtures/serve_api.ts" "$@"`,
        "serve",
        `${dir}/token`,
        String(maxConnections),
        "500",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await lines.read();
        assert.ok(!done, "the API printed its URL");
        out += value;
      }
      const url = out.trim();
      const port = Number(new URL(url).port);
      const flood: Deno.Conn[] = [];
      for (let i = 0; i < 600; i++) {
        try {
          flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch { /* the backlog may be full while the server sheds load */ }
      }
      // Alive during the flood (liveness of the process, not of the port)...
      const status = await Promise.race([
        child.status.then(() => "exited"),
        new Promise((r) => setTimeout(() => r("running"), 800)),
      ]);
      if (status !== "running") {
        const err = await new Response(child.stderr).text();
        assert.fail(`the process died in the flood: ${err.slice(-2000)}`);
      }
      for (const c of flood) {
        try {
          c.close();
        } catch { /* closed by the server */ }
      }
      // ... and answering once it ends.
      let res: Response | undefined;
      for (let i = 0; i < 50 && !res; i++) {
        res = await fetch(`${url}/health/live`).catch(() => undefined);
        if (!res) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(res?.status, 200);
      await res!.body?.cancel();
      await child.stdin.close();
      const { value } = await lines.read();
      const stats = JSON.parse(value!.trim());
      assert.ok(stats.accepted + stats.acceptErrors > 100, JSON.stringify(stats));
      // (160 - 96 reserved) / 2 descriptors per connection.
      assert.equal(stats.cap, Math.min(maxConnections, 32));
      assert.equal((await child.status).code, 0);
    } finally {
      try {
        child.kill();
      } catch { /* exited */ }
      await child.stderr.cancel().catch(() => {});
      await lines.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  });
}
