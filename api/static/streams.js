// earshot dashboard: which timeline an event belongs to, and its two clocks. Pure (no DOM),
// so tests/api/streams_test.ts runs it in Deno as the page runs it in the browser.
//
// Every event has `t`, stream time: seconds into the audio it came from. The live source and
// each upload start at 0, so their `t` values are on different timelines; events also carry
// `at`, the wall-clock time they were emitted (core/events.ts). A source is told apart so:
// - `stream: "upload"`: an uploaded file's own pipeline events, named by their `session`; the
//   commands its transcripts cause (intent, publish, confirm) carry the same session;
// - an intent from typed text (origin "text") with a session not seen yet: a typed command;
// - everything else: the live audio source (a spoken command's session, a Hermes session).

/** Event types that come from a pipeline run over audio (their `t` is a position in it). */
const AUDIO_TYPES = new Set(["source", "vad", "level", "wake", "transcript"]);
const LIVE = Object.freeze({ key: "live", kind: "live", label: "live" });

/**
 * Labels of the sources events come from: "live", "upload 1", "typed 2", ..., stable per
 * session, numbered in the order they first appear.
 */
export class StreamLabels {
  #sessions = new Map();
  #counts = { upload: 0, typed: 0 };

  /**
   * The source of `e`: `{ key, kind, label }`, kind "live", "upload", "typed" or "other".
   * @example
   * const labels = new StreamLabels();
   * labels.of({ type: "vad", t: 1 }).label; // "live"
   * labels.of({ type: "wake", t: 1.2, session: "9f", stream: "upload" }).label; // "upload 1"
   */
  of(e) {
    const s = e.session;
    if (typeof s !== "string" || !s) return LIVE;
    const known = this.#sessions.get(s);
    if (known) return known;
    let entry;
    if (e.stream === "upload") entry = this.#numbered(s, "upload");
    else if (e.type === "intent" && e.origin === "text") entry = this.#numbered(s, "typed");
    else if (AUDIO_TYPES.has(e.type) || e.type === "intent") entry = LIVE;
    else return { key: s, kind: "other", label: `command ${s.slice(0, 8)}` };
    this.#sessions.set(s, entry);
    return entry;
  }

  /** The label of a session seen already, else undefined (remembers nothing). */
  labelOf(session) {
    return this.#sessions.get(session)?.label;
  }

  /** Name an upload after its file once its answer says which session it was. */
  name(session, name) {
    const entry = this.#sessions.get(session);
    if (entry && entry.kind === "upload") entry.label = `${entry.label}: ${name}`;
  }

  #numbered(session, kind) {
    const n = ++this.#counts[kind];
    return { key: session, kind, label: `${kind} ${n}` };
  }
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/**
 * Local wall-clock time of an event ("14:03:07.250"), or "–" when it has none.
 * @example
 * wallTime({ at: "2026-12-03T06:30:00.250Z" }); // "07:30:00.250" in Berlin
 */
export function wallTime(e) {
  const d = typeof e.at === "string" ? new Date(e.at) : null;
  if (!d || Number.isNaN(d.getTime())) return "–";
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
    pad(d.getMilliseconds(), 3)
  }`;
}

/**
 * Stream time of an event on its source's timeline ("12.34 s"), or "–" where `t` is no position
 * in audio: typed commands, and the commands' publish, confirm and error events (their `t` is
 * the devices runtime's latest stream time, whichever stream that came from).
 */
export function streamTime(e, kind) {
  if (typeof e.t !== "number" || !Number.isFinite(e.t)) return "–";
  if (kind === "typed") return "–";
  const positioned = AUDIO_TYPES.has(e.type) || (e.type === "intent" && e.origin === "asr");
  return positioned ? `${e.t.toFixed(2)} s` : "–";
}

/**
 * A wall-clock ISO time as people read it: "14:03:07" today, "3 Dec 14:03" on another day,
 * "–" when absent or unreadable.
 * @example
 * clockTime("2026-12-03T06:30:00Z", new Date("2026-12-03T09:00:00Z")); // "07:30:00" in Berlin
 */
export function clockTime(iso, now = new Date()) {
  const d = typeof iso === "string" ? new Date(iso) : null;
  if (!d || Number.isNaN(d.getTime())) return "–";
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return time;
  const month = d.toLocaleString("en", { month: "short" });
  return `${d.getDate()} ${month} ${time.slice(0, 5)}`;
}
