/**
 * Runs the unit tests of the Python package `earshot_train` (scripts/train: the quantization
 * toolkit's worked examples, hand-computed cases, straight-through gradients, calibration, mixed
 * precision, the ONNX writers and post-training passes; the command model's fine-tuning and
 * augmentation helpers) with unittest discovery over
 * scripts/train/tests, so that `deno task test` covers them. Needs Debian's /usr/bin/python3 with
 * python3-torch and python3-onnx; a missing interpreter or package fails loudly instead of
 * skipping.
 */
import assert from "node:assert/strict";

const PYTHON = Deno.env.get("EARSHOT_PYTHON") ?? "/usr/bin/python3";
/** The package root: `earshot_train` is imported from here, never installed. */
const PYTHONPATH = "scripts/train";

async function run(args: string[]) {
  try {
    const out = await new Deno.Command(PYTHON, {
      args,
      env: { PYTHONPATH },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    throw new Error(
      `cannot run ${PYTHON} (${(err as Error).message}): install python3 and python3-torch`,
    );
  }
}

Deno.test("python package: torch and onnx are importable from " + PYTHON, async () => {
  const r = await run(["-c", "import torch, onnx, numpy; print(torch.__version__)"]);
  assert.equal(
    r.code,
    0,
    `${PYTHON} cannot import torch/onnx/numpy; install apt packages python3-torch python3-onnx ` +
      `python3-numpy.\n${r.stderr}`,
  );
});

Deno.test("python package: every unit test passes and none is skipped", async () => {
  const r = await run([
    "-m",
    "unittest",
    "discover",
    "-v",
    "-s",
    "scripts/train/tests",
    "-t",
    "scripts/train",
  ]);
  const report = r.stderr + r.stdout;
  assert.equal(r.code, 0, `python unit tests failed:\n${report}`);
  // Guard against an empty discovery that would "pass" without running anything.
  const ran = /Ran (\d+) tests?/.exec(report);
  assert.ok(ran && Number(ran[1]) >= 52, `expected >= 52 python tests, got: ${ran?.[0]}`);
  assert.ok(!/skipped/.test(report), `python tests must not skip:\n${report}`);
  for (
    const name of [
      "LinearWorkedExample",
      "LogWorkedExample",
      "test_linear_gradient_inside_passes_outside_zero",
      "tests.test_ptq",
      "tests.test_finetune",
    ]
  ) {
    assert.ok(report.includes(name), `missing python test ${name}`);
  }
});
