/**
 * `POST /api/audio` (bearer token): a WAV body, or multipart/form-data with a `file`
 * field, run through `deps.runAudio` within `audioTimeoutMs`. Bodies are read side by
 * side (at most `maxUploadReads`; a slow sender holds only its own slot, for at most
 * `bodyTimeoutMs`); the pipeline takes one file at a time (a Pi has little CPU to spare
 * next to the live pipeline), others get 429 with Retry-After.
 * @module
 */
import type { Context, Hono } from "hono";
import type { EarshotEvent } from "../../core/events.ts";
import { round3 } from "../../core/math.ts";
import { parseWavHeader, WavError } from "../../audio/wav.ts";
import type { ApiContext, AudioOutcome } from "../deps.ts";
import { HttpError, mediaType, readBodyLimited } from "../http.ts";
import { requireToken, safeMessage, withTimeout } from "../middleware.ts";

const AUDIO_TYPES = new Set([
  "",
  "audio/wav",
  "audio/x-wav",
  "audio/wave",
  "audio/vnd.wave",
  "application/octet-stream",
]);

const MULTIPART = "multipart/form-data";

/** A WAV error as a 400; anything else unchanged. */
function badWav(err: unknown): unknown {
  return err instanceof WavError ? new HttpError(400, err.message) : err;
}

/**
 * The file of a multipart body (`file` field, at most `maxBytes`) or the body itself.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeWav } from "../../audio/wav.ts";
 * const wav = new Uint8Array(encodeWav(new Float32Array(1600), 16000)); // 100 ms of silence
 * const body = await uploadedFile(wav, "audio/wav", "audio/wav", 1 << 20); // a plain WAV body
 * assert.deepEqual([body.bytes, body.name], [wav, "upload"]);
 * const form = new FormData();
 * form.append("file", new File([wav], "kitchen.wav", { type: "audio/wav" }));
 * const request = new Request("http://localhost/", { method: "POST", body: form });
 * const raw = new Uint8Array(await request.arrayBuffer());
 * const type = request.headers.get("content-type")!;
 * const part = await uploadedFile(raw, "multipart/form-data", type, 1 << 20);
 * assert.deepEqual([part.bytes, part.name], [wav, "kitchen.wav"]);
 * ```
 */
export async function uploadedFile(
  raw: Uint8Array<ArrayBuffer>,
  type: string,
  contentType: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; name: string }> {
  if (type !== MULTIPART) return { bytes: raw, name: "upload" };
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
  } catch (err) {
    throw new HttpError(400, `invalid multipart body: ${safeMessage(err)}`);
  }
  const file = form.get("file");
  if (!(file instanceof File)) {
    throw new HttpError(400, 'multipart body has no file field named "file"');
  }
  if (file.size > maxBytes) {
    throw new HttpError(413, `audio upload too large: the limit is ${maxBytes} bytes`);
  }
  return { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name || "upload" };
}

/** The format and length of a WAV file, or a 400 naming the problem. */
export function wavInfo(bytes: Uint8Array, name: string) {
  if (!bytes.length) throw new HttpError(400, "empty body: expected a WAV file");
  try {
    const header = parseWavHeader(bytes, name);
    const format = header.format;
    const dataBytes = header.dataBytes ?? bytes.length - header.dataStart;
    return { format, seconds: dataBytes / format.blockAlign / format.sampleRate };
  } catch (err) {
    throw badWav(err);
  }
}

/** Register the upload route; `ctx.audioBusy` is set while a file is processed. */
export function audioRoutes(app: Hono, ctx: ApiContext): void {
  const { deps, limits } = ctx;
  let uploadReads = 0;

  /** Refuse before reading: bad `levels`, media type, no pipeline, too many reads. */
  const admit = async (c: Context) => {
    const refuse = async (err: HttpError) => {
      await c.req.raw.body?.cancel().catch(() => {});
      throw err;
    };
    const levels = c.req.query("levels");
    if (levels !== undefined && !["0", "1", "true", "false"].includes(levels)) {
      throw new HttpError(
        400,
        `levels: expected 0, 1, true or false, got ${JSON.stringify(levels)}`,
      );
    }
    const type = mediaType(c.req.raw);
    if (!AUDIO_TYPES.has(type) && type !== MULTIPART) {
      await refuse(
        new HttpError(
          415,
          `expected a WAV body (Content-Type audio/wav) or multipart/form-data with a "file" ` +
            `field, got ${JSON.stringify(type)}`,
        ),
      );
    }
    if (!deps.runAudio) {
      await refuse(
        new HttpError(503, "audio uploads are not available: the pipeline is not running"),
      );
    }
    if (uploadReads >= limits.maxUploadReads) {
      await refuse(
        new HttpError(429, `${uploadReads} audio uploads are arriving; retry when one is done`, {
          "Retry-After": "2",
          Connection: "close",
        }),
      );
    }
    return { type, keepLevels: levels === "1" || levels === "true" };
  };

  /** Read the body in one of the `maxUploadReads` slots (multipart framing: 64 KiB more). */
  const read = async (c: Context, type: string) => {
    uploadReads++;
    try {
      return await readBodyLimited(
        c.req.raw,
        limits.maxAudioBytes + (type === MULTIPART ? 65536 : 0),
        "audio upload",
        limits.bodyTimeoutMs,
      );
    } finally {
      uploadReads--;
    }
  };

  /** Run the pipeline on the file; failures become 400 (bad WAV), 504 or 500. */
  const run = async (bytes: Uint8Array, name: string) => {
    try {
      return await withTimeout<EarshotEvent[] | AudioOutcome>(
        deps.runAudio!(bytes),
        limits.audioTimeoutMs,
        "audio processing",
      );
    } catch (err) {
      if (err instanceof HttpError || err instanceof WavError) throw badWav(err);
      ctx.logError(`audio upload ${name}: ${err instanceof Error ? err.stack : err}`);
      throw new HttpError(500, `audio processing failed: ${safeMessage(err)}`);
    }
  };

  app.post("/api/audio", async (c) => {
    await requireToken(c, deps.token);
    const { type, keepLevels } = await admit(c);
    const raw = await read(c, type);
    if (ctx.audioBusy) {
      throw new HttpError(429, "another audio upload is being processed; retry when it is done", {
        "Retry-After": "2",
      });
    }
    ctx.audioBusy = true;
    try {
      const { bytes, name } = await uploadedFile(
        raw,
        type,
        c.req.header("content-type") ?? "",
        limits.maxAudioBytes,
      );
      const { format, seconds } = wavInfo(bytes, name);
      const started = performance.now();
      const outcome = await run(bytes, name);
      const wallMs = performance.now() - started;
      const { events, pipelineMs = wallMs, session } = Array.isArray(outcome)
        ? { events: outcome, session: undefined }
        : outcome;
      ctx.metrics.observeUpload(seconds, pipelineMs / 1000);
      return c.json({
        file: {
          name,
          sampleRate: format.sampleRate,
          channels: format.channels,
          bitsPerSample: format.bitsPerSample,
          encoding: format.encoding,
          seconds: round3(seconds),
        },
        ...(session !== undefined ? { session } : {}),
        wallMs: Math.round(wallMs * 10) / 10,
        pipelineMs: Math.round(pipelineMs * 10) / 10,
        /** Pipeline seconds per audio second. */
        realTimeFactor: seconds > 0 ? Math.round((pipelineMs / 1000 / seconds) * 1e4) / 1e4 : null,
        events: keepLevels ? events : events.filter((e) => e.type !== "level"),
      });
    } finally {
      ctx.audioBusy = false;
    }
  });
}
