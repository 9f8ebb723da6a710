/**
 * HTTP helpers shared by the routes: an error type that becomes a JSON
 * response, size-limited body reading, and JSON body validation with messages
 * that name the field.
 * @module
 */
import type { z } from "zod";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Hono's HTTPException with response headers (`Retry-After`, `WWW-Authenticate`,
 * `Connection: close`): the app turns it into `{ "error": message }` with this status.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const busy = new HttpError(429, "busy; retry", { "Retry-After": "2" });
 * assert.deepEqual([busy.status, busy.message], [429, "busy; retry"]);
 * assert.equal(busy.headers["Retry-After"], "2");
 * ```
 */
export class HttpError extends HTTPException {
  override name = "HttpError";
  constructor(
    status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status as ContentfulStatusCode, { message });
  }
}

const CLOSE = { Connection: "close" };

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Read a request body, refusing with 413 as soon as it grows past `limit`
 * bytes (the declared Content-Length is checked first, so a large upload is
 * refused before it is read) and with 408 when it has not fully arrived within
 * `timeoutMs` (a trickling client). Both answers close the connection.
 */
export async function readBodyLimited(
  req: Request,
  limit: number,
  what = "body",
  timeoutMs = 30000,
): Promise<Uint8Array<ArrayBuffer>> {
  // The connection closes after a refused body: its unread rest would be taken as the next request.
  const tooLarge = () =>
    new HttpError(413, `${what} too large: the limit is ${sizeText(limit)}`, CLOSE);
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    // Drain nothing: cancelling lets the server close the connection early.
    await req.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), timeoutMs));
  try {
    while (true) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "timeout") {
        await reader.cancel().catch(() => {});
        throw new HttpError(
          408,
          `${what} not received within ${timeoutMs} ms (${total} bytes arrived)`,
          CLOSE,
        );
      }
      const { done, value } = next;
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value as Uint8Array<ArrayBuffer>);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

/** Turn zod issues into one line per field: `text: must not be empty`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys: string[] }).keys;
      return `unknown field${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}`;
    }
    return `${path || "body"}: ${issue.message}`;
  }).join("; ");
}

/**
 * Read a JSON body (Content-Type application/json, at most `limit` bytes) and
 * validate it: 415 for another media type, 413 when too large, 400 for bad
 * JSON or a failed schema, each with a message naming the problem.
 */
export async function readJson<T>(
  req: Request,
  schema: z.ZodType<T>,
  limit: number,
  timeoutMs?: number,
): Promise<T> {
  const type = mediaType(req);
  if (type !== "application/json") {
    await req.body?.cancel().catch(() => {});
    throw new HttpError(
      415,
      `expected Content-Type: application/json, got ${type ? JSON.stringify(type) : "none"}`,
    );
  }
  const bytes = await readBodyLimited(req, limit, "JSON body", timeoutMs);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid JSON body: not valid UTF-8");
  }
  if (!text.trim()) throw new HttpError(400, "invalid JSON body: the body is empty");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, `invalid request: ${describeIssues(result.error)}`);
  return result.data;
}
