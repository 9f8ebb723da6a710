/**
 * JSON-lines sink: one event per line on a writer (stdout by default).
 * `level` events are left out unless asked for.
 * @module
 */
import type { EarshotEvent, EventType } from "../core/events.ts";

/** Options for {@link jsonLines}. */
export interface JsonLinesOptions {
  /** Event types to leave out (default: ["level"]). */
  exclude?: EventType[];
  /** Where lines go (default: synchronous stdout). */
  write?: (line: string) => void;
}

const encoder = new TextEncoder();

/** Synchronous write of a whole line to stdout (lines never interleave). */
export function writeStdoutLine(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

/** A listener that prints each event as one JSON line. */
export function jsonLines(options: JsonLinesOptions = {}): (e: EarshotEvent) => void {
  const exclude = new Set(options.exclude ?? ["level"]);
  const write = options.write ?? writeStdoutLine;
  return (e) => {
    if (!exclude.has(e.type)) write(JSON.stringify(e));
  };
}

/** A short human-readable line per event (the demo's output). */
export function humanLine(e: EarshotEvent): string | null {
  const t = e.t.toFixed(2).padStart(7);
  switch (e.type) {
    case "source":
      return `${t}s  source ${e.state} ${e.source}${e.reason ? ` (${e.reason})` : ""}`;
    case "vad":
      return `${t}s  ${e.state === "start" ? "speech starts" : "speech ends"}`;
    case "wake":
      return `${t}s  wake word "${e.phrase}" (${e.model}, score ${e.score.toFixed(2)})`;
    case "transcript":
      return `${t}s  heard "${e.text}" (confidence ${e.confidence.toFixed(2)}${
        e.rejected ? ", rejected" : ""
      })`;
    case "intent":
      return `${t}s  intent ${e.name} ${JSON.stringify(e.slots)}`;
    case "publish":
      return `${t}s  publish ${e.topic} ${e.payload}${e.queued ? " (queued)" : ""}`;
    case "confirm":
      return `${t}s  ${e.confirmed ? "confirmed" : "unconfirmed"} ${e.device} (${e.latencyMs} ms)`;
    case "error":
      return `${t}s  error in ${e.stage}: ${e.message}`;
    default:
      return null;
  }
}
