/**
 * Typed-command accuracy on a sentence set: each line's intent, target devices
 * (what the router would act on or ask about) and value must be right. A line
 * whose targets are "?" is right when nothing acts and a reason is given
 * (an ambiguous name, a room without such devices).
 *
 *   deno run --allow-read scripts/intent/phrasing_eval.ts tests/fixtures/phrasing/household_heldout.tsv
 *     [--registry tests/fixtures/phrasing/home.devices.json] [--templates before.json] [--failures]
 *
 * Set format (TSV, "#" comments): satellite area, text, intent, targets (ids, comma separated,
 * "?" or "-"), value (number, queried state, direction of StepBrightness, or "-").
 * @module
 */
import { loadRegistry, type Registry } from "../../home/registry.ts";
import { intentTargets } from "../../devices/router.ts";
import { parseIntent, type TemplateSet } from "../../intent/index.ts";
import { scriptArgs } from "../cli.ts";

/** One line of a sentence set. */
export interface PhrasingCase {
  line: number;
  site: string;
  text: string;
  intent: string;
  /** Sorted device ids; null: must act on nothing, with a reason. */
  targets: string[] | null;
  value?: string;
}

/** Parse a sentence set; errors name the file and line. */
export function parseCases(text: string, source: string): PhrasingCase[] {
  const out: PhrasingCase[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim() || raw.startsWith("#")) return;
    const c = raw.split("\t");
    if (c.length !== 5) {
      throw new Error(`${source}:${i + 1}: expected 5 tab-separated columns, got ${c.length}`);
    }
    const [site, t, intent, targets, value] = c.map((x) => x.trim());
    out.push({
      line: i + 1,
      site,
      text: t,
      intent,
      targets: targets === "?" ? null : targets === "-" ? [] : targets.split(",").sort(),
      value: value === "-" ? undefined : value,
    });
  });
  return out;
}

/** What happened to one case. */
export interface CaseResult {
  case: PhrasingCase;
  ok: boolean;
  got: string;
  /** Wrong and acting (or answering) on some device: worse than a miss that does nothing. */
  wrongAction: boolean;
}

/** Score the cases against a registry (optionally with other templates). */
export function scoreCases(
  registry: Registry,
  cases: PhrasingCase[],
  templates?: TemplateSet,
): CaseResult[] {
  return cases.map((c) => {
    const p = parseIntent(c.text, registry, { area: c.site, templates });
    if (!p) return { case: c, ok: false, got: "not understood", wrongAction: false };
    const { devices, errors } = intentTargets(registry, p);
    const ids = devices.map((d) => d.id).sort();
    const value = p.name === "QueryState"
      ? p.slots.state
      : p.name === "StepBrightness"
      ? p.slots.direction
      : p.slots.value;
    let ok = p.name === c.intent;
    if (c.targets === null) ok &&= ids.length === 0 && errors.length > 0;
    else ok &&= ids.join(",") === c.targets.join(",");
    if (c.value !== undefined) ok &&= String(value) === c.value;
    const got = `${p.name} [${ids.join(",")}]${value !== undefined ? ` ${value}` : ""}${
      errors.length ? ` (${errors.join("; ")})` : ""
    }`;
    return { case: c, ok, got, wrongAction: !ok && ids.length > 0 };
  });
}

if (import.meta.main) {
  const usage = "usage: phrasing_eval.ts SET.tsv [--registry R] [--templates T] [--failures]";
  const { values, positionals } = scriptArgs("phrasing_eval.ts", usage, {
    allowPositionals: true,
    options: {
      registry: { type: "string", default: "tests/fixtures/phrasing/home.devices.json" },
      templates: { type: "string" },
      failures: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) {
    console.error(usage);
    Deno.exit(2);
  }
  const registry = await loadRegistry(values.registry!);
  const templates = values.templates
    ? JSON.parse(await Deno.readTextFile(values.templates))
    : undefined;
  const cases = parseCases(await Deno.readTextFile(positionals[0]), positionals[0]);
  const results = scoreCases(registry, cases, templates);
  const ok = results.filter((r) => r.ok).length;
  if (values.failures) {
    for (const r of results.filter((r) => !r.ok)) {
      console.log(
        `${r.case.line}\t${r.case.site}\t${r.case.text}\twant ${r.case.intent} [${
          r.case.targets?.join(",") ?? "?"
        }] ${r.case.value ?? ""}\tgot ${r.got}`,
      );
    }
  }
  console.log(
    JSON.stringify({
      set: positionals[0],
      templates: values.templates ?? "built-in",
      cases: results.length,
      right: ok,
      wrongActions: results.filter((r) => r.wrongAction).length,
      accuracy: Math.round((1000 * ok) / results.length) / 10,
    }),
  );
}
