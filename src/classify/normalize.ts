// Text folding shared by the classifier and the fingerprint: full-width ASCII → half-width,
// ideographic space → space, lowercase. One UTF-16 unit in, one out, so match offsets stay valid.

export function foldWidth(text: string): string {
  // Pieces are joined once at the end rather than appended with +=: a referral has a dozen or so
  // full-width marks, and += builds a rope that every later scan (Aho-Corasick, charCodeAt loops)
  // reads through an indirection, about twice as slow as the flat string join() returns.
  let parts: string[] | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let r = -1;
    if (c >= 0xff01 && c <= 0xff5e) r = c - 0xfee0;
    else if (c === 0x3000) r = 0x20;
    else if (c >= 0x41 && c <= 0x5a) r = c + 32;
    if (r >= 0) {
      (parts ??= []).push(text.slice(start, i), String.fromCharCode(r >= 0x41 && r <= 0x5a ? r + 32 : r));
      start = i + 1;
    }
  }
  if (!parts) return text;
  parts.push(text.slice(start));
  return parts.join('');
}
