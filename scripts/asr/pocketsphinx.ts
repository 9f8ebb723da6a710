/**
 * Running Debian's `pocketsphinx_batch` (0.8+5prealpha) as a benchmark peer
 * and reading its output: one bounded process over a control file, its wall
 * time and peak memory, and the `-hyp` / `-hypseg` files. Used by
 * scripts/asr/peer_pocketsphinx.ts (grammar decoding) and
 * scripts/wake/peer_pocketsphinx.ts (keyphrase spotting). Never shipped.
 * @module
 */

/** Where pocketsphinx-en-us installs the acoustic model. */
export const EN_US_HMM = "/usr/share/pocketsphinx/model/en-us/en-us";

/**
 * pocketsphinx_batch arguments for 16 kHz WAV input: the en-us model, files
 * `<dir>/<ctl entry>.wav` with a `headerBytes` header skipped.
 */
export function wavInputArgs(dir: string, headerBytes = 44): string[] {
  return [
    "-hmm",
    EN_US_HMM,
    "-samprate",
    "16000",
    "-adcin",
    "yes",
    "-adchdr",
    String(headerBytes),
    "-cepdir",
    dir,
    "-cepext",
    ".wav",
  ];
}

/** One finished (or killed) pocketsphinx_batch run. */
export interface BatchRun {
  /** Exit status; 124 or 137 when the time limit killed it. */
  code: number;
  timedOut: boolean;
  /** Wall seconds of the process. */
  wallS: number;
  /** Peak resident memory in KiB (from GNU time; null when /usr/bin/time is missing). */
  maxRssKb: number | null;
  /** From the log's "TOTAL x seconds speech, y seconds CPU, z seconds wall" (null if absent). */
  speechS: number | null;
  cpuS: number | null;
  /** Last lines of the log (for errors). */
  logTail: string;
}

let gnuTime: boolean | undefined;

/**
 * Run `nice -n <nice> pocketsphinx_batch <args> -logfn <log>` under `timeout`.
 * Throws when the program is missing; a non-zero exit is returned, not thrown.
 */
export async function runBatch(
  args: string[],
  opts: { log: string; timeoutS: number; nice?: number },
): Promise<BatchRun> {
  if (gnuTime === undefined) {
    gnuTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
  }
  const timeFile = `${opts.log}.time`;
  const cmd = [
    "timeout",
    "-k",
    "10",
    String(opts.timeoutS),
    ...(gnuTime ? ["/usr/bin/time", "-o", timeFile, "-f", "%e %M"] : []),
    "nice",
    "-n",
    String(opts.nice ?? 5),
    "pocketsphinx_batch",
    ...args,
    "-logfn",
    opts.log,
  ];
  const t0 = performance.now();
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "piped" })
      .output();
  } catch (err) {
    throw new Error(`cannot run pocketsphinx_batch: ${(err as Error).message}`);
  }
  const wall = (performance.now() - t0) / 1000;
  const log = await Deno.readTextFile(opts.log).catch(() => "");
  if (!log && out.code === 127) {
    throw new Error("pocketsphinx_batch not found (Debian package pocketsphinx)");
  }
  let maxRssKb: number | null = null;
  let wallS = wall;
  if (gnuTime) {
    const t = (await Deno.readTextFile(timeFile).catch(() => "")).trim().split("\n").pop() ?? "";
    const m = /^([\d.]+) (\d+)$/.exec(t);
    if (m) {
      wallS = Number(m[1]);
      maxRssKb = Number(m[2]);
    }
    await Deno.remove(timeFile).catch(() => {});
  }
  const tot = /TOTAL ([\d.]+) seconds speech, ([\d.]+) seconds CPU/.exec(log);
  return {
    code: out.code,
    timedOut: out.code === 124 || out.code === 137,
    wallS,
    maxRssKb,
    speechS: tot ? Number(tot[1]) : null,
    cpuS: tot ? Number(tot[2]) : null,
    logTail: (log + new TextDecoder().decode(out.stderr)).trim().split("\n").slice(-5).join("\n"),
  };
}

/** `-hyp` file: utterance id -> hypothesis text ("" when PocketSphinx found none). */
export function parseHyp(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(.*)\((\S+) -?\d+\)\s*$/.exec(line);
    if (m) out.set(m[2], m[1].trim());
  }
  return out;
}

/** One segment of a `-hypseg` line. */
export interface HypSegment {
  /** Start frame (10 ms frames). */
  sf: number;
  ascr: number;
  lscr: number;
  /** Word as printed ("<sil>", "to(2)", or a whole keyphrase with spaces). */
  word: string;
}

/** One `-hypseg` line: scores of the best path and its segments. */
export interface HypSeg {
  id: string;
  total: number;
  /** Acoustic score of the whole path (log base 1.0001, shifted; see {@link scoreToNats}). */
  ascr: number;
  lscr: number;
  segments: HypSegment[];
  /** End frame of the last segment printed. */
  ef: number;
}

/**
 * Parse a `-hypseg` file (`uttid S scl T total A ascr L lscr {sf ascr lscr word}* ef`). Words
 * may contain spaces (keyphrases): a segment is three integers followed by everything up to
 * the next three integers.
 */
export function parseHypseg(text: string): Map<string, HypSeg> {
  const out = new Map<string, HypSeg>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) S -?\d+ T (-?\d+) A (-?\d+) L (-?\d+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const tok = m[5].split(/\s+/).filter(Boolean);
    const isInt = (s: string | undefined) => s !== undefined && /^-?\d+$/.test(s);
    const segments: HypSegment[] = [];
    let i = 0;
    while (i + 3 < tok.length && isInt(tok[i]) && isInt(tok[i + 1]) && isInt(tok[i + 2])) {
      const words: string[] = [];
      let j = i + 3;
      while (j < tok.length && !(isInt(tok[j]) && (j + 1 === tok.length || isInt(tok[j + 1])))) {
        words.push(tok[j++]);
      }
      segments.push({
        sf: Number(tok[i]),
        ascr: Number(tok[i + 1]),
        lscr: Number(tok[i + 2]),
        word: words.join(" "),
      });
      i = j;
    }
    out.set(m[1], {
      id: m[1],
      total: Number(m[2]),
      ascr: Number(m[3]),
      lscr: Number(m[4]),
      segments,
      ef: isInt(tok[i]) ? Number(tok[i]) : segments.at(-1)?.sf ?? 0,
    });
  }
  return out;
}

/**
 * PocketSphinx path scores in nats: log base 1.0001, right-shifted by
 * SENSCR_SHIFT (10 bits) in this version.
 */
export function scoreToNats(score: number): number {
  return score * 1024 * Math.log(1.0001);
}
