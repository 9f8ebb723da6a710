/**
 * The guard's per-connection relay (api/guard_relay.ts) on its own: the
 * request-head matcher, the `Connection: close` response length, and one
 * real connection piped to a real Deno.serve upstream.
 */
import assert from "node:assert/strict";
import {
  closingResponseLength,
  hasHeaderEnd,
  relayConnection,
  type RelayContext,
} from "../../api/guard_relay.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("hasHeaderEnd finds CRLF CRLF split across reads, and not a lone LF LF", () => {
  const state = { matched: 0 };
  assert.equal(hasHeaderEnd(bytes("GET / HTTP/1.1\r\nHost: x\r"), 24, state), false);
  assert.equal(hasHeaderEnd(bytes("\n\r"), 2, state), false);
  assert.equal(hasHeaderEnd(bytes("\n"), 1, state), true);
  const bare = { matched: 0 };
  assert.equal(hasHeaderEnd(bytes("GET / HTTP/1.1\n\n"), 16, bare), false);
  // Only the first `len` bytes count.
  assert.equal(hasHeaderEnd(bytes("ab\r\n\r\n"), 2, { matched: 0 }), false);
});

Deno.test("closingResponseLength: head plus Content-Length of a `connection: close` response", () => {
  const head = "HTTP/1.1 413 Payload Too Large\r\nconnection: close\r\ncontent-length: 5\r\n\r\n";
  assert.equal(closingResponseLength(bytes(head + "hello")), bytes(head).length + 5);
  // Kept-alive, no length, not a response head, or an incomplete head: undefined.
  assert.equal(
    closingResponseLength(bytes("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")),
    undefined,
  );
  assert.equal(
    closingResponseLength(bytes("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n")),
    undefined,
  );
  assert.equal(closingResponseLength(bytes("hello world, not http")), undefined);
  assert.equal(closingResponseLength(bytes("HTTP/1.1 200 OK\r\nconnection: cl")), undefined);
});

function context(port: number, headerTimeoutMs = 5_000): RelayContext {
  return {
    upstream: { transport: "tcp", hostname: "127.0.0.1", port },
    limits: { maxConnections: 8, headerTimeoutMs, idleTimeoutMs: 5_000 },
    stats: {
      open: 1,
      accepted: 1,
      refused: 0,
      headerTimeouts: 0,
      idleTimeouts: 0,
      acceptErrors: 0,
    },
    conns: new Set(),
    relayed: new Set(),
    isClosed: () => false,
    onError: (m) => assert.fail(m),
  };
}

Deno.test("relayConnection pipes one request to the upstream and counts the connection out", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => new Response(`you asked for ${new URL(req.url).pathname}`),
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const ctx = context(server.addr.port);
  try {
    const relay = listener.accept().then((c) => relayConnection(c, ctx));
    const res = await fetch(`http://127.0.0.1:${listener.addr.port}/lights`, {
      headers: { connection: "close" },
    });
    assert.equal(await res.text(), "you asked for /lights");
    await relay;
    assert.equal(ctx.stats.open, 0);
    assert.equal(ctx.conns.size, 0);
    assert.equal(ctx.relayed.size, 0);
  } finally {
    listener.close();
    await server.shutdown();
  }
});

Deno.test("relayConnection closes a client that sends no complete headers in time", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("never"),
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const ctx = context(server.addr.port, 100);
  try {
    const relay = listener.accept().then((c) => relayConnection(c, ctx));
    const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    await client.write(bytes("GET / HTTP/1.1\r\nHost: x\r\n")); // no blank line
    const n = await client.read(new Uint8Array(16)).catch(() => null);
    assert.equal(n, null, "the guard hung up without an answer");
    client.close();
    await relay;
    assert.equal(ctx.stats.headerTimeouts, 1);
    assert.equal(ctx.stats.open, 0);
  } finally {
    listener.close();
    await server.shutdown();
  }
});
