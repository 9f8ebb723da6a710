/**
 * The typed-command sets (tests/fixtures/phrasing): the scorer, its input
 * errors, and the target (>= 97% of natural household commands right, with
 * same-name devices in several rooms). The sets are scored, never tuned
 * against here; docs/phrasing.md has the figures.
 */
import assert from "node:assert/strict";
import { loadRegistry } from "../../home/registry.ts";
import { parseCases, scoreCases } from "../../scripts/intent/phrasing_eval.ts";
import { templateSetOf } from "../../intent/templates.ts";

const fixture = (f: string) => new URL(`../fixtures/phrasing/${f}`, import.meta.url).pathname;

Deno.test("the held-out household set: at least 97% right (intent, devices, value)", async () => {
  const home = await loadRegistry(fixture("home.devices.json"));
  const cases = parseCases(
    await Deno.readTextFile(fixture("household_heldout.tsv")),
    "household_heldout.tsv",
  );
  assert.ok(cases.length >= 150);
  const results = scoreCases(home, cases);
  const right = results.filter((r) => r.ok).length;
  assert.ok(
    right / cases.length >= 0.97,
    results.filter((r) => !r.ok).map((r) => `${r.case.text}: ${r.got}`).join("\n"),
  );
});

/** Score a set against its home: right count, wrong actions, the failures as text. */
async function score(set: string, registry: string) {
  const home = await loadRegistry(fixture(registry));
  const cases = parseCases(await Deno.readTextFile(fixture(set)), set);
  const results = scoreCases(home, cases);
  return {
    cases: cases.length,
    right: results.filter((r) => r.ok).length,
    wrong: results.filter((r) => r.wrongAction).length,
    failures: results.filter((r) => !r.ok).map((r) => `${r.case.text}: ${r.got}`).join("\n"),
  };
}

// Floors at the measured figures (docs/phrasing.md): a regression of one sentence fails.
Deno.test("held-out set 3 (home3, written before round 2): 94 of 95 right, no wrong action", async () => {
  const r = await score("household_heldout3.tsv", "home3.devices.json");
  assert.ok(r.cases >= 60);
  assert.ok(r.right >= 94, `${r.right}/${r.cases}\n${r.failures}`);
  assert.equal(r.wrong, 0, r.failures);
});

Deno.test("held-out set 2 (home2): 79 of 80 right, at most the one disputed action", async () => {
  const r = await score("household_heldout2.tsv", "home2.devices.json");
  assert.ok(r.right >= 79, `${r.right}/${r.cases}\n${r.failures}`);
  // "turn on the fan" in the living room acts on the house's only "fan" (the set wanted "which?").
  assert.ok(r.wrong <= 1, r.failures);
});

Deno.test("the round 2 tuning set (home2): 50 of 55 right, none of the misses acts", async () => {
  const r = await score("household_dev2.tsv", "home2.devices.json");
  assert.ok(r.right >= 50, `${r.right}/${r.cases}\n${r.failures}`);
  assert.equal(r.wrong, 0, r.failures);
});

Deno.test("the scorer checks the direction of StepBrightness and counts wrong actions", async () => {
  const home = await loadRegistry(fixture("home3.devices.json"));
  const [up, down] = scoreCases(
    home,
    parseCases(
      "dining_room\tdim the chandelier\tStepBrightness\tchandelier\tup\n" +
        "dining_room\tdim the chandelier\tStepBrightness\tchandelier\tdown\n",
      "t.tsv",
    ),
  );
  assert.deepEqual([up.ok, up.wrongAction, up.got], [
    false,
    true,
    "StepBrightness [chandelier] down",
  ]);
  assert.deepEqual([down.ok, down.wrongAction], [true, false]);
});

Deno.test("the old templates fail many of the same sentences (the set can fail)", async () => {
  const home = await loadRegistry(fixture("home.devices.json"));
  const before = JSON.parse(
    await Deno.readTextFile(new URL("../../bench/fixtures/templates_before.json", import.meta.url)),
  );
  const cases = parseCases(
    await Deno.readTextFile(fixture("household_heldout.tsv")),
    "household_heldout.tsv",
  );
  const right = scoreCases(home, cases, before).filter((r) => r.ok).length;
  assert.ok(right / cases.length < 0.7, String(right));
});

Deno.test("a set with a bad line names the file and line", () => {
  assert.throws(
    () => parseCases("# header\nkitchen\tturn on the lights\tTurnOn\n", "mine.tsv"),
    /mine\.tsv:2: expected 5 tab-separated columns, got 3/,
  );
});

Deno.test("a sentences data file with a bad shape names the source and field", () => {
  assert.throws(() => templateSetOf([], "my.json"), /my\.json: expected an object/);
  assert.throws(
    () => templateSetOf({ intent: {} }, "my.json"),
    /my\.json: unknown field "intent" \(known: rules, lists, intents, prefix, suffix\)/,
  );
  assert.throws(
    () => templateSetOf({ intents: { TurnOn: "turn on {device}" } }, "my.json"),
    /my\.json: intents\.TurnOn: expected a list of template strings/,
  );
  assert.throws(
    () => templateSetOf({ lists: { speeds: { low: true } } }, "my.json"),
    /my\.json: lists\.speeds\.low: expected a string or number value/,
  );
  assert.deepEqual(templateSetOf({ $comment: "x", rules: { a: "b" } }, "ok.json").rules, {
    a: "b",
  });
});
