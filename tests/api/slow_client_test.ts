/**
 * Slow and oversized clients on a real port: a trickling upload is cut off
 * with 408 after api.bodyTimeoutMs without blocking other uploads meanwhile,
 * and a refused (413) body closes its connection.
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { parseConfig } from "../../core/config.ts";
import { startApi } from "../../api/server.ts";
import { toneWav } from "./helpers.ts";

const TOKEN = "abcdefghijklmnopqrstuvwxyz";

async function start(api: Record<string, unknown>) {
  const dir = await Deno.makeTempDir({ prefix: "earshot-slow-" });
  let calls = 0;
  const server = await startApi(
    parseConfig({ api: { port: 0, token: TOKEN, tokenFile: `${dir}/token`, ...api } }),
    {
      bus: new EventBus(),
      logError: () => {},
      runAudio: () => {
        calls++;
        return Promise.resolve([]);
      },
    },
  );
  return {
    server,
    calls: () => calls,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Read a whole HTTP response from a raw connection until the server closes it. */
async function readUntilClosed(
  conn: Deno.Conn,
  ms: number,
): Promise<{ text: string; closed: boolean }> {
  const buf = new Uint8Array(8192);
  let text = "";
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"wait">((r) => timer = setTimeout(() => r("wait"), deadline - performance.now())),
    ]);
    clearTimeout(timer);
    if (n === "wait") return { text, closed: false };
    if (n === null) return { text, closed: true };
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return { text, closed: false };
}

Deno.test("a trickling upload gets 408 after bodyTimeoutMs and blocks no other upload", async () => {
  await using s = await start({ bodyTimeoutMs: 800 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.server.port });
  const wav = toneWav(0.5);
  await conn.write(
    new TextEncoder().encode(
      `POST /api/audio HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: audio/wav\r\nContent-Length: ${wav.length}\r\n\r\n`,
    ),
  );
  // Trickle the first bytes, 1 every 50 ms, while a normal upload goes through.
  let stop = false;
  const trickle = (async () => {
    for (let i = 0; i < 60 && !stop; i++) {
      await conn.write(wav.subarray(i, i + 1)).catch(() => (stop = true));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  const ok = await fetch(`${s.server.url}/api/audio`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "audio/wav" },
    body: wav,
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  await ok.body?.cancel();
  assert.ok(performance.now() - t0 < 700, "the other upload did not wait for the slow one");
  const r = await readUntilClosed(conn, 3000);
  stop = true;
  await trickle;
  conn.close();
  assert.match(r.text, /^HTTP\/1\.1 408 /);
  assert.match(r.text, /audio upload not received within 800 ms \(\d+ bytes arrived\)/);
  assert.ok(r.closed, "the connection was closed after the 408");
  assert.equal(s.calls(), 1);
});

Deno.test("after a 413 the server closes the connection", async () => {
  await using s = await start({ maxAudioBytes: 64 * 1024 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.server.port });
  await conn.write(
    new TextEncoder().encode(
      `POST /api/audio HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: audio/wav\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\nRIFF`,
    ),
  );
  const r = await readUntilClosed(conn, 3000);
  conn.close();
  assert.match(r.text, /^HTTP\/1\.1 413 /);
  assert.match(r.text, /audio upload too large: the limit is 64 KiB/);
  assert.ok(r.closed, "closed after the 413");
});
