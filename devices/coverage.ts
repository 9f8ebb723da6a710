/**
 * Coverage of a registry for a list of sentences: for each, whether earshot
 * would act, on which devices, and if not, why not (not understood, with the
 * closest reading below the confidence bar; or understood but ambiguous, or
 * no such devices in that room). devices/check.ts --sentences prints it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadRegistry } from "../home/registry.ts";
 * import { coverage } from "./coverage.ts";
 * const registry = await loadRegistry("devices/example.devices.json");
 * const rows = coverage(registry, ["turn on the lights", "sing"], { area: "kitchen" });
 * assert.deepEqual(rows.map((r) => r.verdict), ["acts", "not-understood"]);
 * ```
 * @module
 */
import { parseIntent } from "../intent/parser.ts";
import { DEFAULTS } from "../core/config.ts";
import type { Registry } from "../home/registry.ts";
import { intentTargets } from "./router.ts";

/** What one sentence would do. */
export interface CoverageRow {
  text: string;
  /** "acts": a device command or a state answer; "no-action": understood, nothing acts; "not-understood". */
  verdict: "acts" | "no-action" | "not-understood";
  intent?: string;
  slots?: Record<string, string | number>;
  confidence?: number;
  /** Device ids acted on (or asked about). */
  devices: string[];
  /** Why nothing acts, or what was changed (clamped values). */
  reasons: string[];
}

/** Options: the satellite's area and the confidence bar (as in devices.minIntentConfidence). */
export interface CoverageOptions {
  area?: string;
  minConfidence?: number;
}

/** One row per sentence (see {@link CoverageRow}). */
export function coverage(
  registry: Registry,
  sentences: string[],
  opts: CoverageOptions = {},
): CoverageRow[] {
  const minConfidence = opts.minConfidence ?? DEFAULTS.devices.minIntentConfidence;
  return sentences.map((text) => {
    const p = parseIntent(text, registry, { area: opts.area, minConfidence });
    if (!p) {
      const near = parseIntent(text, registry, { area: opts.area, minConfidence: 0.3 });
      return {
        text,
        verdict: "not-understood",
        devices: [],
        reasons: [
          near
            ? `closest reading ${near.name} ${
              JSON.stringify(near.slots)
            } has confidence ${near.confidence}, below ${minConfidence}`
            : "no sentence of the grammar is close",
        ],
      };
    }
    const { devices, errors } = intentTargets(registry, p);
    const acts = p.name === "Cancel" || devices.length > 0;
    return {
      text,
      verdict: acts ? "acts" : "no-action",
      intent: p.name,
      slots: p.slots,
      confidence: p.confidence,
      devices: devices.map((d) => d.id),
      reasons: errors,
    };
  });
}

/** The report lines of {@link coverage} rows, with a summary line last. */
export function coverageReport(rows: CoverageRow[]): string[] {
  const lines = rows.map((r) => {
    const q = JSON.stringify(r.text);
    if (r.verdict === "not-understood") return `not understood: ${q}: ${r.reasons.join("; ")}`;
    const what = `${r.intent} ${JSON.stringify(r.slots)}${
      r.confidence !== undefined && r.confidence < 1 ? ` (confidence ${r.confidence})` : ""
    }`;
    if (r.verdict === "no-action") return `no action: ${q} -> ${what}: ${r.reasons.join("; ")}`;
    return `acts: ${q} -> ${what} on ${r.devices.join(", ") || "-"}${
      r.reasons.length ? ` (${r.reasons.join("; ")})` : ""
    }`;
  });
  const n = (v: CoverageRow["verdict"]) => rows.filter((r) => r.verdict === v).length;
  lines.push(
    `coverage: ${n("acts")} of ${rows.length} would act, ${
      n("no-action")
    } understood without action, ${n("not-understood")} not understood`,
  );
  return lines;
}
