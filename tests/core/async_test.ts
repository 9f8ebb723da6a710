import assert from "node:assert/strict";
import { Waiter } from "../../core/async.ts";

Deno.test("Waiter: ends at once, at the recheck that finds the condition, or at the time limit", async () => {
  const w = new Waiter();
  let n = 0;
  await w.until(() => true, 60_000); // already true: no timer left behind

  let ended = false;
  const waiting = w.until(() => n >= 2, 60_000).then(() => (ended = true));
  n = 1;
  w.recheck();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(ended, false, "a recheck that finds the condition false does not end the wait");
  n = 2;
  w.recheck();
  await waiting;
  assert.equal(ended, true);
  w.recheck(); // nothing waits: harmless

  const t0 = performance.now();
  await w.until(() => false, 50);
  assert.ok(performance.now() - t0 >= 45, "the time limit ends a wait that never holds");
});
