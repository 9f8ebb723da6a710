import assert from "node:assert/strict";
import { Arbiter, better, type Claim, parseClaim } from "../../devices/arbitration.ts";

Deno.test("claims order by score, then by siteId", () => {
  assert.ok(
    better({ siteId: "b", sessionId: "", score: 0.9 }, { siteId: "a", sessionId: "", score: 0.8 }),
  );
  assert.ok(
    better({ siteId: "a", sessionId: "", score: 0.8 }, { siteId: "b", sessionId: "", score: 0.8 }),
  );
  assert.ok(
    !better({ siteId: "b", sessionId: "", score: 0.8 }, { siteId: "a", sessionId: "", score: 0.8 }),
  );
});

Deno.test("parseClaim rejects malformed claims", () => {
  assert.deepEqual(parseClaim('{"siteId":"a","sessionId":"s","score":0.5}'), {
    siteId: "a",
    sessionId: "s",
    score: 0.5,
  });
  for (
    const bad of [
      "",
      "{",
      "null",
      "[]",
      '{"siteId":"","sessionId":"s","score":1}',
      '{"siteId":"a","sessionId":"s","score":"high"}',
      '{"siteId":"a","score":1}',
    ]
  ) {
    assert.equal(parseClaim(bad), null, bad);
  }
});

Deno.test("arbiters connected in memory agree on one winner", async () => {
  const arbiters: Arbiter[] = [];
  const deliver = (c: Claim) => arbiters.forEach((a) => a.receive(c));
  for (const site of ["x", "y", "z"]) arbiters.push(new Arbiter(site, 60, deliver));
  const scores = [0.7, 0.95, 0.8];
  const decisions = await Promise.all(arbiters.map(async (a, i) => {
    await new Promise((r) => setTimeout(r, i * 15));
    return a.wake(`s-${i}`, scores[i]);
  }));
  assert.deepEqual(decisions.map((d) => d.won), [false, true, false]);
  assert.deepEqual(decisions.map((d) => d.winner.siteId), ["y", "y", "y"]);
  assert.ok(decisions.every((d) => d.claims.length === 3));
});

Deno.test("a claim outside the window does not count; a lone satellite with window 0 wins at once", async () => {
  let now = 0;
  const published: Claim[] = [];
  const a = new Arbiter("a", 150, (c) => published.push(c), () => now);
  a.receive({ siteId: "b", sessionId: "old", score: 0.99 });
  now = 1000;
  const d = await a.wake("s1", 0.5);
  assert.equal(d.won, true);
  assert.deepEqual(published, [{ siteId: "a", sessionId: "s1", score: 0.5 }]);
  const solo = new Arbiter("solo", 0, () => {});
  assert.equal((await solo.wake("s", 0.1)).won, true);
  // Own echoes are ignored.
  a.receive({ siteId: "a", sessionId: "echo", score: 1 });
  now = 1100;
  assert.equal((await a.wake("s2", 0.5)).won, true);
});
