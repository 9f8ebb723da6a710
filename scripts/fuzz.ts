/**
 * Run earshot's seeded fuzzers (tests/fuzz/lib.ts): the WAV reader (in
 * memory and streamed from disk), the config and registry loaders, the
 * template parser, MQTT state payloads and the HTTP handlers, 100,000 cases
 * each by default. Case k of a run uses seed `seed + k`, so a failure
 * reproduces with `--seed <seed + k> --cases 1`. Exit 1 when any case broke
 * its contract.
 *
 * @example
 * ```sh
 * deno run -A scripts/fuzz.ts                       # every target, 100k cases, seed 1
 * deno run -A scripts/fuzz.ts --target wav --cases 1000000 --seed 7 --json
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { closeFuzzers, type FuzzResult, runTarget, TARGETS } from "../tests/fuzz/lib.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true },
      cases: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno run -A scripts/fuzz.ts [--target NAME]... [--cases N] [--seed S] [--json]\n" +
        `targets: ${TARGETS.map((t) => t.name).join(", ")}`,
    );
    Deno.exit(0);
  }
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  if (!Number.isInteger(cases) || cases < 1) {
    console.error(`fuzz: --cases: expected a positive integer, got ${values.cases}`);
    Deno.exit(2);
  }
  if (!Number.isInteger(seed)) {
    console.error(`fuzz: --seed: expected an integer, got ${values.seed}`);
    Deno.exit(2);
  }
  const chosen = values.target?.length
    ? values.target.map((n) => {
      const t = TARGETS.find((x) => x.name === n);
      if (!t) {
        console.error(`fuzz: unknown target ${n} (${TARGETS.map((x) => x.name).join(", ")})`);
        Deno.exit(2);
      }
      return t;
    })
    : TARGETS;
  const results: FuzzResult[] = [];
  for (const t of chosen) {
    const r = await runTarget(t, seed, cases);
    results.push(r);
    const outcomes = Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(", ");
    console.error(
      `${t.name}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, ${r.failures.length} ` +
        `failure(s); ${outcomes}`,
    );
    for (const f of r.failures) console.error(`  seed ${seed + f.caseIndex}: ${f.message}`);
  }
  closeFuzzers();
  if (values.json) console.log(JSON.stringify(results, null, 2));
  Deno.exit(results.some((r) => r.failures.length) ? 1 : 0);
}
