/**
 * The seeded fuzzers' CI share (tests/fuzz/lib.ts): a few thousand cases per
 * target with a fixed seed, so a failure reproduces; `scripts/fuzz.ts` runs
 * 100,000 per target. Every case must end in a result of the right shape or
 * the module's own error naming the input.
 */
import assert from "node:assert/strict";
import { closeFuzzers, runTarget, TARGETS } from "./lib.ts";

/** Cases per target in CI (EARSHOT_FUZZ_CASES overrides). */
const CASES = Number(Deno.env.get("EARSHOT_FUZZ_CASES") ?? 2000);
const SEED = Number(Deno.env.get("EARSHOT_FUZZ_SEED") ?? 1313);

for (const t of TARGETS) {
  Deno.test(`fuzz ${t.name}: ${CASES} seeded cases, no contract violation`, async () => {
    try {
      const r = await runTarget(t, SEED, CASES);
      assert.equal(r.cases, CASES);
      assert.deepEqual(
        r.failures,
        [],
        `reproduce: deno run -A scripts/fuzz.ts --target ${t.name} --seed ${SEED} --cases N`,
      );
    } finally {
      closeFuzzers();
    }
  });
}
