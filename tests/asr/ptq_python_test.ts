/**
 * Runs the Python unit tests of the ONNX post-training quantization passes
 * (scripts/asr/test_ptq.py: static QDQ convolutions, DynamicQuantizeLSTM,
 * MatMulInteger) so that `deno task test` covers them. Fails loudly when
 * Debian's /usr/bin/python3 with python3-onnx is missing.
 */
import assert from "node:assert/strict";

const PYTHON = Deno.env.get("EARSHOT_PYTHON") ?? "/usr/bin/python3";

Deno.test("python PTQ passes: unit tests pass and none is skipped", async () => {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(PYTHON, {
      args: ["-m", "unittest", "discover", "-v", "-s", "scripts/asr", "-p", "test_*.py"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(`cannot run ${PYTHON} (${(err as Error).message}): install python3-onnx`);
  }
  const report = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `python PTQ tests failed:\n${report}`);
  const ran = /Ran (\d+) tests?/.exec(report);
  assert.ok(ran && Number(ran[1]) >= 3, `expected python PTQ tests to run, got: ${ran?.[0]}`);
  assert.ok(!/skipped/.test(report), `python tests must not skip:\n${report}`);
});
