/**
 * Check a device registry file without starting anything:
 * `deno run --allow-read --allow-env devices/check.ts devices.json [--samples N] [--text "turn on ..."]
 * [--sentences my_sentences.txt] [--area ID]`.
 * Prints the areas, devices, grammar size and sample sentences, and what typed
 * texts would do; exits 2 with the problems (file, path, problem) when invalid.
 * `--sentences` (one sentence a line, `#` comments) prints a coverage report:
 * which sentences would act, on what, and why the others would not.
 * @module
 */
import { parseArgs } from "node:util";
import { countSentences, sampleCommands, seededRandom } from "../intent/grammar.ts";
import { buildCommandGrammar, parseIntent } from "../intent/index.ts";
import { TemplateError } from "../intent/template.ts";
import { grammarWords } from "../core/grammar.ts";
import { loadRegistry, RegistryError } from "../home/registry.ts";
import { coverage, coverageReport } from "./coverage.ts";

/** Run the check; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        samples: { type: "string", default: "5" },
        text: { type: "string", multiple: true },
        area: { type: "string" },
        sentences: { type: "string" },
      },
    });
  } catch (err) {
    console.error(`check: ${(err as Error).message}`);
    return 2;
  }
  const file = parsed.positionals[0];
  const samples = Number(parsed.values.samples);
  if (!file || parsed.positionals.length > 1 || !Number.isInteger(samples) || samples < 0) {
    console.error(
      'usage: check.ts devices.json [--samples N] [--text "..."]... [--sentences FILE] [--area ID]',
    );
    return 2;
  }
  try {
    const registry = await loadRegistry(file);
    const area = parsed.values.area;
    if (area !== undefined && !registry.area(area)) {
      console.error(`${file}: --area: unknown area "${area}"`);
      return 2;
    }
    let sentences: string[] = [];
    if (parsed.values.sentences !== undefined) {
      const path = parsed.values.sentences;
      try {
        sentences = (await Deno.readTextFile(path)).split("\n").map((l) => l.trim())
          .filter((l) => l && !l.startsWith("#"));
      } catch (err) {
        console.error(`${path}: cannot read sentences: ${(err as Error).message}`);
        return 2;
      }
    }
    const g = buildCommandGrammar(registry);
    console.log(`${file}: ok`);
    console.log(`areas: ${registry.areas.map((a) => a.id).join(", ") || "none"}`);
    for (const d of registry.devices) {
      console.log(
        `device ${d.id}: "${d.name}" ${d.type} [${d.features.join(", ")}] area=${
          d.area ?? "-"
        } adapter=${d.adapter.type}`,
      );
    }
    console.log(
      `grammar: ${g.arcs.length} states, ${grammarWords(g).size} words, ${
        countSentences(g)
      } sentences`,
    );
    for (const c of sampleCommands(g, samples, seededRandom(1))) console.log(`sample: ${c.text}`);
    for (const text of parsed.values.text ?? []) {
      const p = parseIntent(text, registry, { area });
      console.log(`text: ${JSON.stringify(text)} -> ${p ? JSON.stringify(p) : "not understood"}`);
    }
    if (parsed.values.sentences !== undefined) {
      for (const line of coverageReport(coverage(registry, sentences, { area }))) console.log(line);
    }
    return 0;
  } catch (err) {
    if (err instanceof RegistryError || err instanceof TemplateError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
