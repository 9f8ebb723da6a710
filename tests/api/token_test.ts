/**
 * The API token: configured, read from its file, or generated with 0600
 * permissions; insecure or malformed files are refused; comparison is exact.
 */
import assert from "node:assert/strict";
import { generateToken, resolveToken, TokenError, tokensEqual } from "../../api/token.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "earshot-token-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a configured token wins and is checked for length and characters", async () => {
  const r = await resolveToken({ token: "configured-token-123456", tokenFile: "/nonexistent/x" });
  assert.deepEqual(r, { token: "configured-token-123456", source: "config" });
  await assert.rejects(
    resolveToken({ token: "short", tokenFile: "x" }),
    (err) =>
      err instanceof TokenError && /api.token: token is too short \(5 characters/.test(err.message),
  );
  await assert.rejects(
    resolveToken({ token: "has spaces in the token!!", tokenFile: "x" }),
    /api.token: token may only hold letters/,
  );
});

Deno.test("the first start generates a token file with 0600 permissions; later starts reuse it", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/state/token`;
    const first = await resolveToken({ tokenFile: file });
    assert.equal(first.source, "generated");
    assert.equal(first.file, file);
    assert.match(first.token, /^[A-Za-z0-9_-]{43}$/);
    const info = await Deno.stat(file);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/state`)).mode! & 0o077, 0, "directory private too");
    assert.equal(await Deno.readTextFile(file), first.token + "\n");
    const second = await resolveToken({ tokenFile: file });
    assert.deepEqual(second, { token: first.token, source: "file", file });
  });
});

Deno.test("a token file readable by others, too short, or a directory is refused naming the file", async () => {
  await withDir(async (dir) => {
    const open = `${dir}/open`;
    await Deno.writeTextFile(open, "abcdefghijklmnopqrstuvwxyz\n");
    await Deno.chmod(open, 0o644);
    await assert.rejects(
      resolveToken({ tokenFile: open }),
      (err) =>
        err instanceof TokenError &&
        err.message.startsWith(`${open}: token file is accessible by other users (mode 0644)`) &&
        err.message.includes(`chmod 600 ${open}`),
    );
    const short = `${dir}/short`;
    await Deno.writeTextFile(short, "abc\n", { mode: 0o600 });
    await Deno.chmod(short, 0o600);
    await assert.rejects(resolveToken({ tokenFile: short }), /short: token is too short/);
    await Deno.mkdir(`${dir}/adir`, { mode: 0o700 });
    await assert.rejects(
      resolveToken({ tokenFile: `${dir}/adir` }),
      /adir: token file is not a regular file/,
    );
    await Deno.writeTextFile(`${dir}/plainfile`, "x");
    await assert.rejects(
      resolveToken({ tokenFile: `${dir}/plainfile/token` }),
      (err) =>
        err instanceof TokenError && err.message.startsWith(`${dir}/plainfile/token: cannot`),
    );
  });
});

Deno.test("generated tokens are unique and URL-safe", () => {
  const tokens = new Set(Array.from({ length: 100 }, generateToken));
  assert.equal(tokens.size, 100);
  for (const t of tokens) assert.match(t, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("tokensEqual is exact for equal, different, prefix and longer inputs", async () => {
  const t = "abcdefghijklmnop-0123";
  assert.equal(await tokensEqual(t, t), true);
  assert.equal(await tokensEqual(t.slice(0, -1), t), false);
  assert.equal(await tokensEqual(t + "4", t), false);
  assert.equal(await tokensEqual(t.replace("a", "b"), t), false);
  assert.equal(await tokensEqual("", t), false);
});
