/**
 * The status page's sign-in cookie: `GET /?token=<API token>` exchanges the token for a cookie
 * (HttpOnly, SameSite=Strict) so a phone opens the page once with the token and never again,
 * and the token leaves the address bar. The cookie holds an expiry and an HMAC of it keyed by
 * the API token: no server-side sessions, it survives restarts, a new token voids every cookie,
 * and a stolen cookie does not reveal the token (which the POST routes want as a bearer).
 * @module
 */
import { tokensEqual } from "./token.ts";

/** The cookie's name. */
export const SESSION_COOKIE = "earshot_session";

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function mac(token: string, expires: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, encoder.encode(`earshot session ${expires}`));
  return base64url(new Uint8Array(sig));
}

/**
 * A cookie value valid until `expiresMs` (wall ms) for `token`.
 * @example
 * ```ts
 * const value = await sessionValue("s3cret-token-0123456789", Date.now() + 86400_000);
 * await sessionValid(value, "s3cret-token-0123456789"); // true
 * ```
 */
export async function sessionValue(token: string, expiresMs: number): Promise<string> {
  const expires = Math.floor(expiresMs / 1000);
  return `${expires}.${await mac(token, expires)}`;
}

/** Whether a cookie value was made with `token` and has not expired (constant-time compare). */
export async function sessionValid(
  value: string | undefined,
  token: string,
  nowMs = Date.now(),
): Promise<boolean> {
  const m = value === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  const ok = await tokensEqual(m[2], await mac(token, expires));
  return ok && expires * 1000 > nowMs;
}

/** The `Set-Cookie` header value for `value`, kept `maxAgeS` seconds. */
export function sessionCookie(value: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict`;
}

/** The session cookie's value in a `Cookie` header, if any. */
export function sessionFromCookies(header: string | undefined): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}
