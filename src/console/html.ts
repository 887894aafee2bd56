// Server-side HTML with escaping by default: every interpolated value is escaped unless it is already
// `Safe` (built by this same template). User text (posts, sender names, rules) can never become markup.

export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C) can reorder what an admin reads
 * ("exe.pdf" shown for "fdp.exe"): they are shown as visible code points instead of acting.
 */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!).replace(BIDI, (c) => `⟦U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟧`);
}

type Value = string | number | boolean | null | undefined | Safe | Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Safe) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Safe {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Safe(out);
}

/** JSON for a <script type="application/json"> block: `<` escaped so "</script>" cannot end it. */
export function jsonBlock(id: string, data: unknown): Safe {
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return new Safe(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}
