/**
 * Runs the Python quantization-toolkit unit tests (scripts/train/tests: the seed's worked
 * examples, hand-computed cases, straight-through gradients, calibration, mixed precision) so
 * that `deno task test` covers them. Needs Debian's /usr/bin/python3 with python3-torch; a
 * missing interpreter or torch fails loudly instead of skipping.
 */
import assert from "node:assert/strict";

const PYTHON = Deno.env.get("EARSHOT_PYTHON") ?? "/usr/bin/python3";

async function run(args: string[]) {
  try {
    const out = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    throw new Error(
      `cannot run ${PYTHON} (${(err as Error).message}): install python3 and python3-torch`,
    );
  }
}

Deno.test("python toolkit: torch and onnx are importable from " + PYTHON, async () => {
  const r = await run(["-c", "import torch, onnx, numpy; print(torch.__version__)"]);
  assert.equal(
    r.code,
    0,
    `${PYTHON} cannot import torch/onnx/numpy; install apt packages python3-torch python3-onnx ` +
      `python3-numpy.\n${r.stderr}`,
  );
});

Deno.test("python toolkit: quantizer unit tests pass (worked examples, STE, calibration)", async () => {
  const r = await run(["-m", "unittest", "discover", "-v", "-s", "scripts/train/tests"]);
  const report = r.stderr + r.stdout;
  assert.equal(r.code, 0, `python unit tests failed:\n${report}`);
  // Guard against an empty discovery that would "pass" without running anything.
  const ran = /Ran (\d+) tests?/.exec(report);
  assert.ok(ran && Number(ran[1]) >= 30, `expected >= 30 python tests, got: ${ran?.[0]}`);
  assert.ok(!/skipped/.test(report), `python tests must not skip:\n${report}`);
  for (
    const name of [
      "LinearSeedExample",
      "LogSeedExample",
      "test_linear_gradient_inside_passes_outside_zero",
    ]
  ) {
    assert.ok(report.includes(name), `missing python test ${name}`);
  }
});
