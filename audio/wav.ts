/**
 * WAV (RIFF/WAVE) parsing: PCM 8/16/24/32-bit integer, 32/64-bit float,
 * WAVE_FORMAT_EXTENSIBLE, any channel count and sample rate, chunks in any
 * order with odd-size padding. Bad files throw {@link WavError} naming the file
 * and the problem; nothing is guessed.
 * @module
 */

/** A WAV problem; the message names the file. */
export class WavError extends Error {
  override name = "WavError";
}

/** Decoded audio, downmixed to mono float in [-1, 1]. */
export interface DecodedWav {
  sampleRate: number;
  /** Channels in the file (the samples are their average). */
  channels: number;
  bitsPerSample: number;
  /** "pcm" (integer) or "float". */
  encoding: "pcm" | "float";
  samples: Float32Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: "Microsoft ADPCM",
  6: "A-law",
  7: "mu-law",
  0x11: "IMA ADPCM",
  0x55: "MP3",
  0x0161: "WMA",
};

/** Decoding options. */
export interface WavOptions {
  /** Name used in errors (a path, "upload", ...). */
  name?: string;
  /** Longest accepted duration in seconds (guards absurd sizes). */
  maxSeconds?: number;
}

/** The format fields of a WAV header. */
export interface WavFormat {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  encoding: "pcm" | "float";
}

/** The header of a WAV: its format and where the sample data lies. */
export interface WavHeader {
  format: WavFormat;
  dataStart: number;
  /** Declared data bytes, or null for "unknown length" (a recorder writing to a pipe). */
  dataBytes: number | null;
}

/**
 * Parse the header chunks up to the data chunk. Returns the format and the
 * byte range of the sample data. `streaming` accepts the "unknown length"
 * data sizes written by arecord to a pipe (0 or 0xFFFFFFFF).
 */
export function parseWavHeader(bytes: Uint8Array, name = "input", streaming = false): WavHeader {
  return scanWavHeader(bytes, name, streaming, bytes.length) as WavHeader;
}

/**
 * {@link parseWavHeader} on the first bytes of a longer input of `total` bytes
 * (Infinity when unknown: a FIFO, a device): returns `{ need }`, the prefix
 * length it has to see, while the header goes on past `bytes`.
 */
export function scanWavHeader(
  bytes: Uint8Array,
  name: string,
  streaming: boolean,
  total: number,
): WavHeader | { need: number } {
  const fail = (msg: string): never => {
    throw new WavError(`${name}: ${msg}`);
  };
  if (bytes.length < 12) {
    if (total > bytes.length) return { need: 12 };
    fail(`not a WAV file (only ${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  const riff = tag(0);
  if (riff === "RIFX") fail("big-endian RIFX WAV is not supported");
  if (riff === "RF64") fail("RF64 WAV is not supported");
  if (riff !== "RIFF" || tag(8) !== "WAVE") {
    fail(`not a WAV file (starts with ${JSON.stringify(riff)}, expected "RIFF....WAVE")`);
  }
  let pos = 12;
  let format: WavFormat | null = null;
  while (true) {
    if (pos + 8 > bytes.length) {
      if (pos + 8 <= total) return { need: pos + 8 };
      break;
    }
    const id = tag(pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16) fail(`fmt chunk too short (${size} bytes)`);
      if (body + size > total) fail("truncated fmt chunk");
      if (body + size > bytes.length) return { need: body + size };
      format = readFormat(view, body, size, fail);
    } else if (id === "data") {
      if (!format) fail("data chunk before fmt chunk");
      const available = total - body;
      const unknown = size === 0xffffffff || (streaming && size === 0);
      if (!unknown && size > available && !streaming) {
        fail(`truncated: data chunk declares ${size} bytes but only ${available} are present`);
      }
      return { format: format!, dataStart: body, dataBytes: unknown ? null : size };
    }
    if (size > total - body && !streaming) {
      fail(`chunk "${printable(id)}" at byte ${pos} declares ${size} bytes past the end of file`);
    }
    pos = body + size + (size & 1);
  }
  return fail(format ? "no data chunk" : "no fmt chunk");
}

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, "?");
}

function readFormat(
  view: DataView,
  at: number,
  size: number,
  fail: (msg: string) => never,
): WavFormat {
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) fail(`WAVE_FORMAT_EXTENSIBLE fmt chunk too short (${size} bytes)`);
    // SubFormat GUID: first two bytes are the format code.
    formatTag = view.getUint16(at + 24, true);
  }
  let encoding: "pcm" | "float";
  if (formatTag === WAVE_FORMAT_PCM) encoding = "pcm";
  else if (formatTag === WAVE_FORMAT_IEEE_FLOAT) encoding = "float";
  else {
    const known = FORMAT_NAMES[formatTag];
    return fail(
      `unsupported codec ${known ?? `format tag 0x${formatTag.toString(16)}`}` +
        " (only PCM integer and IEEE float)",
    );
  }
  if (channels < 1 || channels > 256) fail(`absurd channel count ${channels}`);
  if (sampleRate < 1000 || sampleRate > 768000) fail(`absurd sample rate ${sampleRate} Hz`);
  const okBits = encoding === "pcm" ? [8, 16, 24, 32] : [32, 64];
  if (!okBits.includes(bitsPerSample)) {
    fail(`unsupported ${bitsPerSample}-bit ${encoding === "pcm" ? "integer" : "float"} samples`);
  }
  const expectAlign = channels * (bitsPerSample / 8);
  if (blockAlign !== expectAlign) {
    fail(`block align ${blockAlign} does not match ${channels} channels x ${bitsPerSample} bits`);
  }
  return { formatTag, channels, sampleRate, blockAlign, bitsPerSample, encoding };
}

/**
 * Convert interleaved sample bytes to mono float (channel average). `bytes`
 * must hold whole frames (a multiple of blockAlign).
 */
export function decodeSamples(bytes: Uint8Array, f: WavFormat): Float32Array {
  const frames = Math.floor(bytes.length / f.blockAlign);
  const out = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bps = f.bitsPerSample / 8;
  const ch = f.channels;
  const read = sampleReader(view, f);
  for (let i = 0, p = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < ch; c++, p += bps) sum += read(p);
    out[i] = sum / ch;
  }
  return out;
}

function sampleReader(view: DataView, f: WavFormat): (p: number) => number {
  if (f.encoding === "float") {
    const get = f.bitsPerSample === 32
      ? (p: number) => view.getFloat32(p, true)
      : (p: number) => view.getFloat64(p, true);
    // NaN/Inf would poison every later stage: map them to 0 and clip.
    return (p) => {
      const v = get(p);
      return Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
    };
  }
  switch (f.bitsPerSample) {
    case 8:
      return (p) => (view.getUint8(p) - 128) / 128;
    case 16:
      return (p) => view.getInt16(p, true) / 32768;
    case 24:
      return (p) => {
        const v = view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16);
        return v / 8388608;
      };
    default:
      return (p) => view.getInt32(p, true) / 2147483648;
  }
}

/** Decode a whole WAV file held in memory. */
export function decodeWav(bytes: Uint8Array, options: WavOptions = {}): DecodedWav {
  const name = options.name ?? "input";
  const { format, dataStart, dataBytes } = parseWavHeader(bytes, name);
  const end = dataBytes === null ? bytes.length : dataStart + dataBytes;
  let data = bytes.subarray(dataStart, end);
  const rem = data.length % format.blockAlign;
  if (rem !== 0) {
    if (dataBytes !== null) {
      throw new WavError(
        `${name}: data chunk size ${data.length} is not a multiple of the frame size ${format.blockAlign}`,
      );
    }
    data = data.subarray(0, data.length - rem);
  }
  const seconds = data.length / format.blockAlign / format.sampleRate;
  const max = options.maxSeconds ?? 24 * 3600;
  if (seconds > max) {
    throw new WavError(`${name}: ${seconds.toFixed(0)} s of audio exceeds the limit of ${max} s`);
  }
  return {
    sampleRate: format.sampleRate,
    channels: format.channels,
    bitsPerSample: format.bitsPerSample,
    encoding: format.encoding,
    samples: decodeSamples(data, format),
  };
}

/** Read and decode a WAV file; errors name the path. */
export async function readWav(path: string, options: WavOptions = {}): Promise<DecodedWav> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new WavError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return decodeWav(bytes, { ...options, name: options.name ?? path });
}

/** Options of {@link openWavStream}. */
export interface WavStreamOptions {
  /** Frames per chunk handed out (default 8192). */
  chunkFrames?: number;
  /** Longest accepted duration of a regular file, in seconds (FIFOs and devices are endless). */
  maxSeconds?: number;
  /** Stops reading (and a wait for a FIFO's writer). */
  signal?: AbortSignal;
  /** Called once when opening takes over `waitNoticeMs` (a FIFO without a writer). */
  onWaiting?: (reason: string) => void;
  /** Default 1000 ms. */
  waitNoticeMs?: number;
}

/** An open WAV input: its format, and its samples in chunks. */
export interface WavStream {
  name: string;
  format: WavFormat;
  /** Declared data bytes (null: unknown, read to the end). */
  dataBytes: number | null;
  /** Whether the input is a regular file (else a FIFO, a device or stdin). */
  regular: boolean;
  /** Mono float chunks of up to `chunkFrames` frames; closes the file at the end. */
  chunks(): AsyncGenerator<Float32Array>;
  close(): void;
}

/** The most header bytes (fmt, LIST, ... before the data chunk) read into memory. */
const MAX_HEADER_BYTES = 16 << 20;

/** A read that an abort cuts short (the file is closed, the pending read left behind). */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
const ABORTED = Symbol("aborted");

/**
 * Open a WAV file, FIFO or device for reading in chunks, so memory does not
 * grow with the input (an endless recorder pipe works too). The header is
 * checked like {@link decodeWav} does (errors name the path); a FIFO whose
 * writer has not come yet is reported through `onWaiting`. Returns null when
 * `signal` aborted before the input opened.
 *
 * @example
 * ```ts
 * const wav = await openWavStream("assets/demo.wav");
 * let n = 0;
 * for await (const samples of wav!.chunks()) n += samples.length;
 * console.log(wav!.format.sampleRate, n); // 16000, all the samples
 * ```
 */
export async function openWavStream(
  path: string,
  options: WavStreamOptions = {},
): Promise<WavStream | null> {
  const fail = (msg: string): never => {
    throw new WavError(`${path}: ${msg}`);
  };
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    return fail(`cannot read: ${(err as Error).message}`);
  }
  if (info.isDirectory) fail("cannot read: is a directory");
  const regular = info.isFile;
  const signal = options.signal;
  let notice: ReturnType<typeof setTimeout> | undefined;
  if (!regular && options.onWaiting) {
    const kind = info.isFifo ? "FIFO" : "input";
    notice = setTimeout(
      () => options.onWaiting!(`${kind} ${path}: waiting for a writer`),
      options.waitNoticeMs ?? 1000,
    );
  }
  let file: Deno.FsFile;
  try {
    const opened = await abortable(Deno.open(path, { read: true }), signal);
    if (opened === ABORTED) return null;
    file = opened;
  } catch (err) {
    return fail(`cannot read: ${(err as Error).message}`);
  } finally {
    clearTimeout(notice);
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      file.close();
    } catch { /* already closed */ }
  };
  signal?.addEventListener("abort", close, { once: true });
  /** Read up to `n` bytes; null at the end (or when aborted). */
  const readSome = async (n: number): Promise<Uint8Array | null> => {
    const buf = new Uint8Array(n);
    let got: number | null | typeof ABORTED;
    try {
      got = await abortable(file.read(buf), signal);
    } catch (err) {
      if (closed) return null;
      return fail(`cannot read: ${(err as Error).message}`);
    }
    if (got === ABORTED || got === null) return null;
    return buf.subarray(0, got);
  };
  try {
    // Header: grow a prefix until the scanner has seen up to the data chunk.
    let total = regular ? info.size : Infinity;
    let prefix = new Uint8Array(0);
    let header: WavHeader | null = null;
    while (!header) {
      const r = scanWavHeader(prefix, path, !regular, total);
      if (!("need" in r)) {
        header = r;
        break;
      }
      if (r.need > MAX_HEADER_BYTES) {
        fail(`over ${MAX_HEADER_BYTES >> 20} MiB of header chunks before the data chunk`);
      }
      const more = await readSome(Math.max(4096, r.need - prefix.length));
      if (more === null) {
        if (signal?.aborted) {
          close();
          return null;
        }
        total = prefix.length; // ended early: the scanner names what is missing
        continue;
      }
      const next = new Uint8Array(prefix.length + more.length);
      next.set(prefix);
      next.set(more, prefix.length);
      prefix = next;
    }
    const { format, dataStart, dataBytes } = header;
    const fileData = regular ? info.size - dataStart : Infinity;
    const dataLen = dataBytes ?? fileData;
    if (regular) {
      if (dataBytes !== null && dataBytes % format.blockAlign !== 0) {
        fail(
          `data chunk size ${dataBytes} is not a multiple of the frame size ${format.blockAlign}`,
        );
      }
      const seconds = Math.floor(dataLen / format.blockAlign) / format.sampleRate;
      const max = options.maxSeconds ?? 24 * 3600;
      if (seconds > max) fail(`${seconds.toFixed(0)} s of audio exceeds the limit of ${max} s`);
    }
    const chunkBytes = (options.chunkFrames ?? 8192) * format.blockAlign;
    const first = prefix.subarray(dataStart);
    return {
      name: path,
      format,
      dataBytes,
      regular,
      close,
      async *chunks() {
        let left = dataLen;
        let carry = first.subarray(0, Math.min(first.length, left));
        left -= carry.length;
        try {
          while (true) {
            const whole = carry.length - (carry.length % format.blockAlign);
            if (whole >= chunkBytes || (left <= 0 && whole > 0)) {
              const n = Math.min(whole, chunkBytes - (chunkBytes % format.blockAlign));
              yield decodeSamples(carry.subarray(0, n), format);
              carry = carry.subarray(n);
              continue;
            }
            if (left <= 0 || signal?.aborted) break;
            const more = await readSome(Math.min(chunkBytes, left));
            if (more === null) break; // end of input (a truncated pipe ends where it ends)
            left -= more.length;
            const next = new Uint8Array(carry.length + more.length);
            next.set(carry);
            next.set(more, carry.length);
            carry = next;
          }
          const rest = carry.length % format.blockAlign;
          if (rest && dataBytes !== null && regular && !signal?.aborted) {
            fail(`ended inside a frame (${rest} trailing bytes)`);
          }
        } finally {
          signal?.removeEventListener("abort", close);
          close();
        }
      },
    };
  } catch (err) {
    signal?.removeEventListener("abort", close);
    close();
    throw err;
  }
}

/** Encode mono float samples as 16-bit PCM WAV (for fixtures, uploads and tests). */
export function encodeWav(
  samples: Float32Array,
  sampleRate: number,
  bits: 16 | 32 = 16,
): Uint8Array {
  const bps = bits / 8;
  const out = new Uint8Array(44 + samples.length * bps);
  const v = new DataView(out.buffer);
  const str = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  str(0, "RIFF");
  v.setUint32(4, 36 + samples.length * bps, true);
  str(8, "WAVE");
  str(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, bits === 16 ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * bps, true);
  v.setUint16(32, bps, true);
  v.setUint16(34, bits, true);
  str(36, "data");
  v.setUint32(40, samples.length * bps, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    if (bits === 16) v.setInt16(44 + i * 2, Math.round(s * 32767), true);
    else v.setFloat32(44 + i * 4, s, true);
  }
  return out;
}
