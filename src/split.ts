// Splitting text that is too long for one chat message. Shared by the digest renderer and adapters.

/** Length as the platforms count it: UTF-16 code units (Telegram documents its 4096 limit so). */
export const textLength = (s: string): number => s.length;

/**
 * Splits `text` into pieces of at most `max` units, breaking at line ends where possible,
 * else at a code-point boundary (never inside a surrogate pair).
 */
export function splitOnLines(text: string, max: number): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  if (text.length <= max) return [text];
  const out: string[] = [];
  let current = '';
  const flush = () => {
    if (current) out.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    flush();
    let rest = line;
    while (rest.length > max) {
      let cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  flush();
  return out.length ? out : [''];
}
