/**
 * Pronunciation lexicon of the command ASR, computed at configuration time:
 * every word of the grammar gets one or more ARPAbet phone sequences from
 * cmudict (the copy that the `cmu-pronouncing-dictionary` npm package ships,
 * installed with the other npm packages), with the espeak-ng phonemizer as
 * the fallback for words cmudict does not know ("zigbee", "nanoleaf"). A new
 * device name therefore needs no retraining. Words that neither source can
 * pronounce are reported, never silently dropped.
 * @module
 */
import { fileURLToPath } from "node:url";
import { isPhone, type Phone } from "../core/phones.ts";
import { childEnv } from "../core/secrets.ts";
import SUPPLEMENT from "./supplement.json" with { type: "json" };

/**
 * The bundled cmudict: `cmu-pronouncing-dictionary`'s `index.js` (one
 * `"word": "PH ON ES",` line per entry), read as text, never imported.
 */
export const DEFAULT_CMUDICT = fileURLToPath(
  new URL("../node_modules/cmu-pronouncing-dictionary/index.js", import.meta.url),
);

/**
 * A pronunciation problem the user must fix in the configuration or the
 * device names (a bad `asr.pronunciations` entry, words nothing can
 * pronounce because espeak-ng is missing).
 */
export class LexiconError extends Error {
  override name = "LexiconError";
}

/** A word's pronunciations (one or more phone sequences) and where they came from. */
export interface LexiconEntry {
  prons: Phone[][];
  source: "user" | "cmudict" | "supplement" | "espeak";
}

/** Word -> pronunciations. */
export type Lexicon = Map<string, LexiconEntry>;

/** Options of {@link buildLexicon}. */
export interface LexiconOptions {
  /** cmudict path; defaults to {@link DEFAULT_CMUDICT}. */
  cmudict?: string;
  /** espeak-ng executable, or false to disable the fallback. */
  espeak?: string | false;
  /** espeak-ng voice used for phonemizing. */
  espeakVoice?: string;
  /** Pronunciations given by the user ("word" -> "G ER AA ZH"), taking precedence. */
  extra?: Record<string, string | string[]>;
}

/** The lexicon plus human-readable warnings (at most one line for all guessed words). */
export interface LexiconResult {
  lexicon: Lexicon;
  warnings: string[];
  /** Words whose pronunciation espeak-ng guessed (not in cmudict, not given by the user). */
  guessed: string[];
  /** Words without any pronunciation (the decoder cannot recognize them). */
  missing: string[];
}

/** Parse one ARPAbet string ("G ER0 AA1 ZH"), dropping stress digits. */
export function parseArpabet(text: string, where: string): Phone[] {
  const phones = text.trim().split(/\s+/).filter(Boolean).map((p) => p.replace(/[012]$/, ""));
  if (phones.length === 0) throw new Error(`${where}: empty pronunciation`);
  for (const p of phones) {
    if (!isPhone(p)) throw new Error(`${where}: unknown phone "${p}"`);
  }
  return phones as Phone[];
}

const JS_ENTRY = /^\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")\s*,?\s*$/;

/**
 * Parse the cmudict lines of the wanted words. Two layouts: the plain one
 * (`word PH ON ES`, `word(2) ...`, `# comments`; Debian's
 * cmudict-en-us.dict) and the npm package's module (`  "word(2)": "PH ON",`
 * inside `export const dictionary = {...}`). Malformed lines of wanted words
 * throw with `source:line`.
 */
export function parseCmudict(
  text: string,
  wanted: Set<string>,
  source = "cmudict",
): Map<string, Phone[][]> {
  const out = new Map<string, Phone[][]>();
  const lines = text.split("\n");
  const js = /^\s*(\/\*|export\s)/.test(text);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (js) {
      const m = JS_ENTRY.exec(line);
      if (!m) continue;
      line = `${JSON.parse(m[1])} ${JSON.parse(m[2])}`;
    }
    line = line.replace(/#.*$/, "").trim();
    if (!line) continue;
    const sp = line.search(/\s/);
    const key = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const word = key.replace(/\(\d+\)$/, "");
    if (!wanted.has(word)) continue;
    if (sp < 0) throw new Error(`${source}:${i + 1}: "${key}" has no phones`);
    const pron = parseArpabet(line.slice(sp), `${source}:${i + 1}`);
    const list = out.get(word) ?? [];
    if (!list.some((p) => p.join(" ") === pron.join(" "))) list.push(pron);
    out.set(word, list);
  }
  return out;
}

/** IPA symbols (stress and length removed) -> ARPAbet, longest match first. */
const IPA_TABLE: [string, Phone[]][] = ([
  ["aɪɚ", ["AY", "ER"]],
  ["aʊɚ", ["AW", "ER"]],
  ["aɪə", ["AY", "ER"]],
  ["ɛɹ", ["EH", "R"]],
  ["eɹ", ["EH", "R"]],
  ["ɪɹ", ["IH", "R"]],
  ["ʊɹ", ["UH", "R"]],
  ["ɔɹ", ["AO", "R"]],
  ["oɹ", ["AO", "R"]],
  ["ɑɹ", ["AA", "R"]],
  ["ɪə", ["IH", "R"]],
  ["eə", ["EH", "R"]],
  ["ʊə", ["UH", "R"]],
  ["əl", ["AH", "L"]],
  ["aɪ", ["AY"]],
  ["aʊ", ["AW"]],
  ["ɔɪ", ["OY"]],
  ["oʊ", ["OW"]],
  ["əʊ", ["OW"]],
  ["eɪ", ["EY"]],
  ["tʃ", ["CH"]],
  ["dʒ", ["JH"]],
  ["ɚ", ["ER"]],
  ["ɝ", ["ER"]],
  ["ɜ", ["ER"]],
  ["i", ["IY"]],
  ["ɪ", ["IH"]],
  ["ᵻ", ["IH"]],
  ["e", ["EY"]],
  ["ɛ", ["EH"]],
  ["æ", ["AE"]],
  ["a", ["AE"]],
  ["ɑ", ["AA"]],
  ["ɒ", ["AA"]],
  ["ɔ", ["AO"]],
  ["o", ["OW"]],
  ["ʊ", ["UH"]],
  ["u", ["UW"]],
  ["ʌ", ["AH"]],
  ["ə", ["AH"]],
  ["ɐ", ["AH"]],
  ["p", ["P"]],
  ["b", ["B"]],
  ["t", ["T"]],
  ["d", ["D"]],
  ["k", ["K"]],
  ["ɡ", ["G"]],
  ["g", ["G"]],
  ["f", ["F"]],
  ["v", ["V"]],
  ["θ", ["TH"]],
  ["ð", ["DH"]],
  ["s", ["S"]],
  ["z", ["Z"]],
  ["ʃ", ["SH"]],
  ["ʒ", ["ZH"]],
  ["h", ["HH"]],
  ["m", ["M"]],
  ["n", ["N"]],
  ["ŋ", ["NG"]],
  ["l", ["L"]],
  ["ɫ", ["L"]],
  ["ɹ", ["R"]],
  ["r", ["R"]],
  ["j", ["Y"]],
  ["w", ["W"]],
  ["ʍ", ["W"]],
  ["ɾ", ["T"]],
  ["ʔ", ["T"]],
  ["x", ["K"]],
  ["ç", ["HH"]],
] as [string, Phone[]][]).sort((a, b) => b[0].length - a[0].length);

const SYLLABIC = "\u0329";

/**
 * Convert espeak-ng IPA output (`espeak-ng -q --ipa --sep=_`, e.g.
 * "z_ˈɪ_ɡ_b_iː") to ARPAbet. Syllabic consonants ("n̩") get a schwa (AH N).
 * Throws naming the symbol when an IPA symbol has no mapping.
 */
export function ipaToArpabet(ipa: string): Phone[] {
  const s = ipa.normalize("NFD").replace(/[ˈˌː_\s\u0361-]/g, "");
  const out: Phone[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === SYLLABIC) {
      // Syllabic consonant: insert AH before the consonant just emitted.
      const last = out.pop();
      if (last) out.push("AH", last);
      i++;
      continue;
    }
    const hit = IPA_TABLE.find(([sym]) => s.startsWith(sym, i));
    if (!hit) {
      throw new Error(`no ARPAbet mapping for IPA symbol "${s[i]}" in "${ipa}"`);
    }
    out.push(...hit[1]);
    i += hit[0].length;
  }
  return out;
}

/**
 * Phonemize words with espeak-ng (one process for all words). Words whose
 * output cannot be mapped are returned in `failed` with the reason.
 */
export async function espeakPronounce(
  words: string[],
  espeak = "espeak-ng",
  voice = "en-us",
): Promise<{ prons: Map<string, Phone[]>; failed: Map<string, string>; notInstalled?: true }> {
  const prons = new Map<string, Phone[]>();
  const failed = new Map<string, string>();
  if (words.length === 0) return { prons, failed };
  let stdout: string;
  try {
    const child = new Deno.Command(espeak, {
      args: ["-q", "--ipa", "--sep=_", "-v", voice],
      clearEnv: true,
      env: childEnv(),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(words.join("\n") + "\n"));
    await writer.close();
    const res = await child.output();
    if (!res.success) {
      throw new Error(`exit ${res.code}: ${new TextDecoder().decode(res.stderr).trim()}`);
    }
    stdout = new TextDecoder().decode(res.stdout);
  } catch (err) {
    for (const w of words) failed.set(w, `espeak-ng failed: ${(err as Error).message}`);
    return err instanceof Deno.errors.NotFound ? { prons, failed, notInstalled: true } : {
      prons,
      failed,
    };
  }
  const lines = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length !== words.length) {
    // Line structure lost (espeak split or merged clauses): fall back to one call per word.
    if (words.length > 1) {
      for (const w of words) {
        const one = await espeakPronounce([w], espeak, voice);
        one.prons.forEach((p, k) => prons.set(k, p));
        one.failed.forEach((r, k) => failed.set(k, r));
      }
      return { prons, failed };
    }
    failed.set(words[0], `espeak-ng gave ${lines.length} lines for one word`);
    return { prons, failed };
  }
  words.forEach((w, i) => {
    try {
      const p = ipaToArpabet(lines[i].replace(/\s+/g, ""));
      if (p.length === 0) failed.set(w, "espeak-ng gave no phones");
      else prons.set(w, p);
    } catch (err) {
      failed.set(w, (err as Error).message);
    }
  });
  return { prons, failed };
}

/** Words must be lower-case letters with inner apostrophes or hyphens. */
const WORD_RE = /^[a-z][a-z'\-]*$/;

/**
 * Build the lexicon of a word list: user pronunciations first, then cmudict,
 * then the project's supplement for built-in sentence words cmudict lacks
 * (`supplement.json`), then espeak-ng. The words espeak-ng had to guess share one warning line
 * (`guessed` lists them); words nothing could pronounce share another
 * (`missing`). Throws {@link LexiconError} for a bad user pronunciation and
 * when words outside cmudict need espeak-ng but it is not installed.
 *
 * @example
 * ```ts
 * const { lexicon, warnings } = await buildLexicon(["kitchen", "zigbee"]);
 * lexicon.get("kitchen"); // { prons: [["K","IH","CH","AH","N"]], source: "cmudict" }
 * warnings; // ['pronunciations guessed by espeak-ng (not in cmudict): zigbee (Z IH G B IY)']
 * ```
 */
export async function buildLexicon(
  words: Iterable<string>,
  options: LexiconOptions = {},
): Promise<LexiconResult> {
  const lexicon: Lexicon = new Map();
  const warnings: string[] = [];
  const missing: string[] = [];
  const guessed: string[] = [];
  const unusable: string[] = [];
  const wanted = new Set<string>();
  for (const raw of words) {
    const w = raw.toLowerCase();
    if (!WORD_RE.test(w)) {
      unusable.push(`"${raw}" (not a plain lower-case word)`);
      missing.push(raw);
      continue;
    }
    wanted.add(w);
  }
  for (const [word, value] of Object.entries(options.extra ?? {})) {
    const w = word.toLowerCase();
    if (!wanted.has(w)) continue;
    const list = Array.isArray(value) ? value : [value];
    try {
      lexicon.set(w, {
        prons: list.map((p, i) => parseArpabet(String(p), `asr.pronunciations.${word}[${i}]`)),
        source: "user",
      });
    } catch (err) {
      throw new LexiconError((err as Error).message);
    }
  }
  const todo = new Set([...wanted].filter((w) => !lexicon.has(w)));
  const path = options.cmudict ?? DEFAULT_CMUDICT;
  if (todo.size > 0) {
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      warnings.push(`cmudict ${path}: cannot read (${(err as Error).message}); using espeak-ng`);
    }
    if (text) {
      for (const [w, prons] of parseCmudict(text, todo, path)) {
        lexicon.set(w, { prons, source: "cmudict" });
        todo.delete(w);
      }
    }
  }
  for (const w of [...todo]) {
    const entry = (SUPPLEMENT as Record<string, string[] | string>)[w];
    if (w === "$comment" || !Array.isArray(entry)) continue;
    lexicon.set(w, {
      prons: entry.map((p, i) => parseArpabet(p, `asr/supplement.json: ${w}[${i}]`)),
      source: "supplement",
    });
    todo.delete(w);
  }
  if (todo.size > 0) {
    const list = [...todo].sort();
    if (options.espeak === false) {
      for (const w of list) {
        unusable.push(`"${w}" (not in cmudict, espeak-ng fallback off)`);
        missing.push(w);
      }
    } else {
      const espeak = options.espeak ?? "espeak-ng";
      const { prons, failed, notInstalled } = await espeakPronounce(
        list.map((w) => w.replace(/-/g, " ")),
        espeak,
        options.espeakVoice ?? "en-us",
      );
      if (notInstalled) {
        throw new LexiconError(
          `no pronunciation for ${list.join(", ")}: not in cmudict, and espeak-ng (${espeak}) ` +
            `is not installed to guess them. Install espeak-ng, rename the devices, or give ` +
            `the words in asr.pronunciations (ARPAbet, e.g. {"${list[0]}": "Z IH G B IY"})`,
        );
      }
      const shown: string[] = [];
      for (const w of list) {
        const p = prons.get(w.replace(/-/g, " "));
        if (p) {
          lexicon.set(w, { prons: [p], source: "espeak" });
          guessed.push(w);
          shown.push(`${w} (${p.join(" ")})`);
        } else {
          const why = failed.get(w.replace(/-/g, " ")) ?? "no output";
          unusable.push(`"${w}" (${why})`);
          missing.push(w);
        }
      }
      if (shown.length) {
        warnings.push(`pronunciations guessed by espeak-ng (not in cmudict): ${shown.join(", ")}`);
      }
    }
  }
  if (unusable.length) {
    warnings.push(`no pronunciation, cannot be recognized: ${unusable.join(", ")}`);
  }
  return { lexicon, warnings, missing, guessed };
}
