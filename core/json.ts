/**
 * JSON parsing for user files: a syntax error names the file, line and column.
 * @module
 */

/** Where a JSON.parse error happened, as ":line:column" (empty when unknown). */
export function jsonErrorPlace(text: string, err: Error): string {
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return "";
  const before = text.slice(0, Number(pos[1])).split("\n");
  return `:${before.length}:${before[before.length - 1].length + 1}`;
}

/**
 * Parse `text`; on a syntax error throw `makeError("<source>:<line>:<col>: invalid JSON: ...")`.
 */
export function parseJsonText(
  text: string,
  source: string,
  makeError: (message: string) => Error,
): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw makeError(
      `${source}${jsonErrorPlace(text, err as Error)}: invalid JSON: ${(err as Error).message}`,
    );
  }
}
