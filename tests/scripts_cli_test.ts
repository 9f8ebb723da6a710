/**
 * Script arguments (scripts/cli.ts): an unknown option, a missing value or a bad number is one
 * line naming the script and the option with the usage, exit 2, never a stack trace; checked in
 * code and on a real script.
 */
import assert from "node:assert/strict";
import { intOption, scriptArgs, UsageError } from "../scripts/cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const options = { n: { type: "string", default: "5" }, out: { type: "string" } } as const;

Deno.test("scriptArgs and intOption: values, and errors naming the script and the option", () => {
  const { values } = scriptArgs("s.ts", "usage: s.ts", { args: ["--n", "7"], options }, false);
  assert.equal(intOption("s.ts", values, "n", 1, false), 7);
  assert.throws(
    () => scriptArgs("s.ts", "usage: s.ts --n N", { args: ["--nope"], options }, false),
    (e: Error) =>
      e instanceof UsageError && /^s\.ts: .*nope.*\nusage: s\.ts --n N$/s.test(e.message),
  );
  assert.throws(
    () => scriptArgs("s.ts", "usage", { args: ["--out"], options }, false),
    (e: Error) => e instanceof UsageError && /^s\.ts: .*out/.test(e.message),
  );
  for (const bad of ["x", "1.5", "0", ""]) {
    const v = scriptArgs("s.ts", "usage", { args: ["--n", bad], options }, false).values;
    assert.throws(
      () => intOption("s.ts", v, "n", 1, false),
      new RegExp(`s\\.ts: --n: expected an integer >= 1, got ${bad}$`),
    );
  }
  assert.throws(() => intOption("s.ts", {}, "n", 0, false), /--n: expected an integer >= 0/);
});

Deno.test("a script given a bad option or number exits 2 with one clear line", async () => {
  for (
    const [args, re] of [
      [
        ["--kind", "train", "--out", "/dev/null", "--n", "many"],
        /commands\.ts: --n: expected an integer >= 1, got many/,
      ],
      [["--bogus"], /commands\.ts: .*bogus/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}scripts/asr/commands.ts`, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, err);
    assert.match(err, re);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  }
});
