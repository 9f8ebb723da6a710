/**
 * The bearer token that guards every mutating endpoint: taken from the config
 * (`api.token` / `EARSHOT_API_TOKEN`), else read from `api.tokenFile`, else
 * generated on first start and stored there with 0600 permissions.
 * Comparison is constant-time (both sides are hashed to fixed-length digests).
 * @module
 */

/** Shortest token accepted from a file or the config. */
export const MIN_TOKEN_LENGTH = 16;

/** A token problem; `message` names the file. */
export class TokenError extends Error {
  override name = "TokenError";
}

/** Where the token came from. */
export interface ResolvedToken {
  token: string;
  /** "config": api.token; "file": read from tokenFile; "generated": written to tokenFile now. */
  source: "config" | "file" | "generated";
  /** The token file, when one was used. */
  file?: string;
}

const TOKEN_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/** A fresh 256-bit token, base64url without padding (43 characters). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function checkTokenText(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new TokenError(
      `${where}: token is too short (${token.length} characters, need ${MIN_TOKEN_LENGTH})`,
    );
  }
  if (!TOKEN_CHARS.test(token)) {
    throw new TokenError(`${where}: token may only hold letters, digits and . _ ~ + / = -`);
  }
  return token;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}

/**
 * Resolve the API token. A token file readable by group or others is refused
 * (like ssh does with keys), because the token may already have leaked.
 */
export async function resolveToken(
  options: { token?: string; tokenFile: string },
): Promise<ResolvedToken> {
  if (options.token !== undefined) {
    return { token: checkTokenText(options.token, "api.token"), source: "config" };
  }
  const file = options.tokenFile;
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new TokenError(`${file}: cannot read token file: ${(err as Error).message}`);
    }
  }
  if (info) {
    if (!info.isFile) throw new TokenError(`${file}: token file is not a regular file`);
    if (info.mode !== null && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
      throw new TokenError(
        `${file}: token file is accessible by other users (mode ${mode}); ` +
          `run "chmod 600 ${file}" or delete it to generate a new token`,
      );
    }
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      throw new TokenError(`${file}: cannot read token file: ${(err as Error).message}`);
    }
    return { token: checkTokenText(text.trim(), file), source: "file", file };
  }
  const token = generateToken();
  try {
    await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // createNew: never overwrite a file another process created meanwhile.
    await Deno.writeTextFile(file, token + "\n", { mode: 0o600, createNew: true });
    await Deno.chmod(file, 0o600);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return resolveToken(options);
    throw new TokenError(`${file}: cannot write token file: ${(err as Error).message}`);
  }
  return { token, source: "generated", file };
}

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * Constant-time string equality: both sides are hashed to 32 bytes and every
 * byte is compared, so the time depends on neither the position of the first
 * difference nor the length of the guess.
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
