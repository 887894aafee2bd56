// 预览: the next digest of each college, per channel, as that platform would show it: WeChat/local as plain
// text in a chat bubble, Telegram's HTML inside a sandboxed frame (no scripts, no same origin), a Lark
// post drawn from its JSON elements (text and links only, escaped).
import type { OutboundMessage } from '../../domain.ts';
import { escapeHtml, html, Safe } from '../html.ts';
import { PLATFORM_NAMES } from '../layout.ts';
import type { ConsoleService } from '../service.ts';

type LarkEl = { tag: string; text?: string; href?: string };

export function larkPostHtml(body: string): Safe {
  let post: { title?: string; content?: LarkEl[][] } | undefined;
  try {
    const parsed = JSON.parse(body) as Record<string, { title?: string; content?: LarkEl[][] }>;
    post = parsed.zh_cn ?? Object.values(parsed)[0];
  } catch {
    return html`<pre class="plain">${body}</pre>`;
  }
  const el = (e: LarkEl) =>
    e.tag === 'a' && e.href && /^https?:\/\//i.test(e.href) ? html`<a href="${e.href}" rel="noopener noreferrer" target="_blank">${e.text ?? e.href}</a>` : html`${e.text ?? ''}`;
  return html`<div class="lark-post">${post?.title ? html`<h4>${post.title}</h4>` : ''}${(post?.content ?? []).map((line) => html`<p>${line.map(el)}</p>`)}</div>`;
}

/** The one inline style of the console (inside the Telegram preview frame); its hash is allowed by the CSP. */
export const TELEGRAM_FRAME_STYLE = 'body{font:14px/1.5 system-ui,"WenQuanYi Micro Hei",sans-serif;margin:8px;white-space:pre-wrap;word-break:break-word}a{color:#2481cc}';

function telegramFrame(body: string): Safe {
  const doc = `<!doctype html><meta charset="utf-8"><style>${TELEGRAM_FRAME_STYLE}</style>${body}`;
  // srcdoc is an attribute: the whole document is escaped once more; sandbox="" runs no script in it.
  return new Safe(`<iframe class="tg-frame" sandbox="" referrerpolicy="no-referrer" title="Telegram 预览" srcdoc="${escapeHtml(doc)}"></iframe>`);
}

export function partHtml(part: OutboundMessage): Safe {
  if (part.format === 'html') return telegramFrame(part.body);
  if (part.format === 'lark-post') return larkPostHtml(part.body);
  return html`<pre class="plain">${part.body}</pre>`;
}

export function previewBody(s: ConsoleService, collegeId?: string): Safe {
  const colleges = s.preview(collegeId);
  const all = s.deps.rules().colleges;
  return html`
<form class="card filters" method="get" action="/preview">
  <label>学院<select name="college"><option value="">全部学院</option>${all.map((c) => html`<option value="${c.id}"${c.id === collegeId ? html` selected` : ''}>${c.name}</option>`)}</select></label>
  <button type="submit" class="primary">查看</button>
</form>
${colleges.map((c) => html`<section class="card preview" id="college-${c.id}"><h2>${c.name} <span class="count">${c.items} 条</span></h2>
${c.items === 0 ? html`<p class="empty">暂无新内推：下次推送时间到了也不会发送空的速递。</p>` : ''}
<div class="channels">${c.channels.map((ch) => html`<div class="channel ch-${ch.platform}"><h3>${PLATFORM_NAMES[ch.platform] ?? ch.platform} · <bdi>${ch.name ?? ch.chat}</bdi></h3>${ch.parts.map((p, i) => html`<div class="bubble">${ch.parts.length > 1 ? html`<small class="muted">第 ${i + 1}/${ch.parts.length} 条</small>` : ''}${partHtml(p)}</div>`)}</div>`)}</div>
</section>`)}`;
}
