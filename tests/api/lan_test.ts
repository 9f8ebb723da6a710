/**
 * The status page from a phone (api.lan): a non-loopback address is refused unless api.lan is
 * on; with it every route but /health/live and /static/ wants the token, and `GET /?token=`
 * exchanges the token once for an HttpOnly SameSite=Strict cookie, redirecting to the address
 * without the token. HTTP through `app.request()` and on a real port (Host names, a token
 * that cannot be had).
 */
import assert from "node:assert/strict";
import { EventBus } from "../../core/bus.ts";
import { apiBindHost, ConfigError, loadConfig, parseConfig } from "../../core/config.ts";
import { createApp } from "../../api/app.ts";
import { lanNames, startApi } from "../../api/server.ts";
import { SESSION_COOKIE, sessionValid, sessionValue } from "../../api/session.ts";
import { TokenError } from "../../api/token.ts";

const TOKEN = "lan-test-token-0123456789abcdef";

function lanApp() {
  const api = createApp({ bus: new EventBus(), token: TOKEN, lan: true, sessionMaxAgeS: 3600 });
  return { app: api.app, close: () => api.close() };
}

/** Sign in with `?token=` and return the cookie pair ("earshot_session=...") and the answer. */
async function signIn(app: ReturnType<typeof lanApp>["app"], query = `?token=${TOKEN}`) {
  const res = await app.request(`/${query}`);
  const set = res.headers.get("set-cookie");
  return { res, set, cookie: set?.split(";")[0] };
}

Deno.test("config: a non-loopback api.host without api.lan is a config error naming both", () => {
  assert.throws(
    () => parseConfig({ api: { host: "0.0.0.0" } }, "earshot.json"),
    (e: Error) =>
      e instanceof ConfigError &&
      /earshot\.json: api\.host: "0\.0\.0\.0" is not a loopback address: set api\.lan to true/
        .test(e.message),
  );
  assert.throws(() => parseConfig({ api: { host: "192.168.1.20" } }), ConfigError);
  for (const host of ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"]) {
    assert.equal(parseConfig({ api: { host } }).api.host, host);
  }
  // api.lan alone serves every interface; a LAN address narrows it to one.
  assert.equal(apiBindHost(parseConfig({ api: { lan: true } }).api), "0.0.0.0");
  assert.equal(
    apiBindHost(parseConfig({ api: { lan: true, host: "192.168.1.20" } }).api),
    "192.168.1.20",
  );
  assert.equal(apiBindHost(parseConfig({}).api), "127.0.0.1");
});

Deno.test("config: EARSHOT_API_LAN=true turns it on; a word that is no boolean is refused", async () => {
  assert.equal((await loadConfig({ env: { EARSHOT_API_LAN: "true" } })).api.lan, true);
  assert.equal((await loadConfig({ env: { EARSHOT_API_LAN: "0" } })).api.lan, false);
  await assert.rejects(
    () => loadConfig({ env: { EARSHOT_API_LAN: "yes please" } }),
    (e: Error) => e instanceof ConfigError && /environment: api\.lan/.test(e.message),
  );
});

Deno.test("lan: without the token every route but liveness and static files is 401", async () => {
  const { app, close } = lanApp();
  try {
    for (const path of ["/api/status", "/health", "/metrics", "/api/events"]) {
      const res = await app.request(path);
      assert.equal(res.status, 401, path);
      assert.match((await res.json()).error, /sign in first: api\.lan is on/, path);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="earshot"');
    }
    const page = await app.request("/");
    assert.equal(page.status, 401);
    const html = await page.text();
    assert.match(html, /needs the API token/);
    assert.match(html, /\?token=&lt;token&gt;/);
    assert.doesNotMatch(html, /<canvas/, "no dashboard before signing in");
    assert.equal((await app.request("/health/live")).status, 200);
    assert.equal((await app.request("/static/dashboard.css")).status, 200);
    const post = await app.request("/api/command", { method: "POST", body: "{}" });
    assert.equal(post.status, 401);
    await post.body?.cancel();
  } finally {
    close();
  }
});

Deno.test("lan: ?token= gives an HttpOnly SameSite=Strict cookie and a redirect without the token", async () => {
  const { app, close } = lanApp();
  try {
    const { res, set, cookie } = await signIn(app, `?token=${TOKEN}&view=devices`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/?view=devices");
    assert.match(set!, new RegExp(`^${SESSION_COOKIE}=\\d+\\.[A-Za-z0-9_-]{43}; `));
    assert.match(set!, /; Path=\/; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    assert.ok(!set!.includes(TOKEN), "the cookie is not the token");
    assert.equal(res.headers.get("cache-control"), "no-store");
    // The security headers stay on the sign-in answer: the token never goes out as a Referer.
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.match(res.headers.get("content-security-policy")!, /default-src 'self'/);

    // The cookie opens the page and every read route.
    const page = await app.request("/", { headers: { Cookie: `theme=dark; ${cookie}` } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="plot"/);
    for (const path of ["/api/status", "/health", "/metrics"]) {
      const r = await app.request(path, { headers: { Cookie: cookie! } });
      assert.ok(r.status === 200 || r.status === 503, `${path}: ${r.status}`);
      await r.body?.cancel();
    }
    // A bearer token works without a cookie (curl, Prometheus).
    const bearer = await app.request("/api/status", {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(bearer.status, 200);
    await bearer.body?.cancel();
    // Commands still want the bearer token: the cookie alone does not send them.
    const post = await app.request("/api/command", {
      method: "POST",
      headers: { Cookie: cookie!, "Content-Type": "application/json" },
      body: JSON.stringify({ text: "turn on the kitchen light" }),
    });
    assert.equal(post.status, 401);
    assert.match((await post.json()).error, /missing bearer token/);
  } finally {
    close();
  }
});

Deno.test("lan: a wrong token is refused with no cookie; tampered, expired or foreign cookies too", async () => {
  const { app, close } = lanApp();
  try {
    for (const query of ["?token=wrong", `?token=${TOKEN}x`, "?token="]) {
      const { res, set } = await signIn(app, query);
      assert.equal(res.status, 401, query);
      assert.equal(set, null, query);
      assert.match(await res.text(), /That token is not the API token/);
    }
    const good = (await signIn(app)).cookie!;
    const value = good.slice(SESSION_COOKIE.length + 1);
    const [exp, sig] = value.split(".");
    const bad = [
      `${Number(exp) + 1}.${sig}`, // a later expiry with the old signature
      `${exp}.${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`,
      await sessionValue(TOKEN, Date.now() - 1000), // expired
      await sessionValue("another-token-0123456789abcdef", Date.now() + 60_000),
      TOKEN, // the token itself is no cookie
      "",
    ];
    for (const v of bad) {
      const res = await app.request("/api/status", {
        headers: { Cookie: `${SESSION_COOKIE}=${v}` },
      });
      assert.equal(res.status, 401, v);
      await res.body?.cancel();
    }
    const wrongBearer = await app.request("/api/status", {
      headers: { Authorization: "Bearer wrong-token-0123456789" },
    });
    assert.equal(wrongBearer.status, 401);
    await wrongBearer.body?.cancel();
  } finally {
    close();
  }
});

Deno.test("sessionValid: made with the token, not expired; malformed values are false", async () => {
  const v = await sessionValue(TOKEN, 2_000_000_000_000);
  assert.ok(await sessionValid(v, TOKEN, 1_999_999_999_000));
  assert.ok(!await sessionValid(v, TOKEN, 2_000_000_000_000));
  for (const bad of [undefined, "", "1.2", "x.y", `${v}.`, ` ${v}`, "9".repeat(20) + ".a"]) {
    assert.ok(!await sessionValid(bad, TOKEN), String(bad));
  }
});

Deno.test("without api.lan reads stay open on loopback and ?token= still signs in", async () => {
  const api = createApp({ bus: new EventBus(), token: TOKEN });
  try {
    const status = await api.app.request("/api/status");
    assert.equal(status.status, 200);
    await status.body?.cancel();
    const res = await api.app.request(`/?token=${TOKEN}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/");
    assert.equal((await api.app.request("/?token=nope")).status, 401);
  } finally {
    api.close();
  }
});

/** One raw HTTP/1.1 GET with this Host header; resolves with the status line's code. */
async function rawStatus(port: number, path: string, host: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(text.split(" ")[1]);
  } finally {
    conn.close();
  }
}

Deno.test("real port: api.lan binds every interface and answers <hostname>.local, with the token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-lan-" });
  const server = await startApi(
    parseConfig({ api: { lan: true, port: 0, tokenFile: `${dir}/token` } }),
    { bus: new EventBus(), logError: () => {} },
  );
  try {
    assert.equal(server.hostname, "0.0.0.0");
    assert.equal(server.token.source, "generated");
    const names = lanNames();
    assert.ok(names.some((n) => n.endsWith(".local")), names.join(", "));
    const p = server.port;
    for (const name of names) {
      assert.equal(await rawStatus(p, "/api/status", `${name}:${p}`), 401, name);
      assert.equal(await rawStatus(p, "/health/live", `${name}:${p}`), 200, name);
    }
    assert.equal(await rawStatus(p, "/api/status", `evil.example:${p}`), 403);
    // The phone's flow over HTTP: sign in, follow the redirect with the cookie.
    const signin = await fetch(`${server.url}/?token=${server.token.token}`, {
      redirect: "manual",
    });
    assert.equal(signin.status, 303);
    const cookie = signin.headers.get("set-cookie")!.split(";")[0];
    const page = await fetch(`${server.url}${signin.headers.get("location")}`, {
      headers: { Cookie: cookie },
    });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="plot"/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("real port: api.lan with no token to be had refuses to start, naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "earshot-lan-" });
  // The token file's folder is a file: no token can be read or written there (even by root).
  await Deno.writeTextFile(`${dir}/not-a-dir`, "");
  const tokenFile = `${dir}/not-a-dir/token`;
  try {
    await assert.rejects(
      () =>
        startApi(parseConfig({ api: { lan: true, port: 0, tokenFile } }), { bus: new EventBus() }),
      (e: Error) => e instanceof TokenError && e.message.startsWith(`${tokenFile}: cannot `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
