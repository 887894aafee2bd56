// How alumni appear in digests, and masking of personal contact details in forwarded text.
import type { Privacy } from '../rules/schema.ts';

/** Strips group-nickname annotations such as "王磊（2012级电气）" or "Li Na | 南网". */
function bareName(displayName: string): string {
  return displayName.replace(/[（(【\[|｜-].*$/u, '').trim() || displayName.trim();
}

export function attribute(displayName: string, mode: Privacy['attribution']): string | undefined {
  if (mode === 'none' || !displayName.trim()) return undefined;
  const name = bareName(displayName);
  if (mode === 'name') return name;
  const first = [...name][0] ?? '';
  if (/\p{Script=Han}/u.test(first)) return `${first}校友`;
  const initials = name.split(/\s+/).filter(Boolean).map((w) => `${[...w][0]!.toUpperCase()}.`).join(' ');
  return initials ? `${initials} (alumni)` : undefined;
}

const PHONE = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;
// "微信：abc_123", "vx: abc123", "加V abc123": personal ids follow such a cue. Company emails and
// official accounts stay, because students need them to apply.
const WECHAT_ID = /((?:微信|微信号|wechat|weixin|vx|VX|wx|WX|加V|加v)\s*[:：]?\s*)([a-zA-Z][-_a-zA-Z0-9]{5,19})/g;

export function maskContacts(text: string): string {
  return text.replace(PHONE, '$1****$2').replace(WECHAT_ID, (_m, cue: string, id: string) => `${cue}${id.slice(0, 2)}***（已隐藏，请联系发布者）`);
}
