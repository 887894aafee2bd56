// Errors that name the file they are about and say what to do, so an operator never meets a bare
// SyntaxError from deep inside JSON.parse.
import { relative } from 'node:path';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    /** The file the error is about, as the store was given it. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A path as the operator would type it: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * A JSON.parse message without the excerpt of the input V8 puts in it (`Unexpected token 'x', "…" is not
 * valid JSON`): the excerpt is someone's message text, which has no place in logs.
 */
export function parseReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '').slice(0, 200);
}

/** The (1-based) line and column of a character offset in `text`. */
export function lineAt(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: position - start + 1 };
}

/** The character offset a V8 JSON.parse error names, if it names one. */
export function parsePosition(err: unknown): number | undefined {
  const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}
