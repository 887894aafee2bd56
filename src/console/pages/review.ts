// 审核: suspected scams held back, with the evidence; approve (released to the next digests, as
// "/relay approve") or reject. Dead letters with their last error and a retry.
import type { Delivery, Post } from '../../domain.ts';
import { html, type Safe } from '../html.ts';
import { fmtTime, PLATFORM_NAMES } from '../layout.ts';

export function reviewBody(held: Post[], dead: Delivery[], collegeName: (id: string) => string, sourceName: (platform: string, chat: string) => string, fmt: (d: Date) => string): Safe {
  return html`
<section class="card"><h2>待审核 <span class="count">${held.length}</span></h2>
<p class="muted small">这些消息疑似诈骗，未转发给任何学生。审核通过后进入相应学院的下次推送；驳回后不再推送。</p>
${held.length === 0 ? html`<p class="empty">没有待审核的消息。</p>` : ''}
${held.map((p) => {
  const src = p.sources[0];
  const c = p.classification;
  return html`<article class="post" id="post-${p.id}">
  <header><code>${p.id.slice(0, 8)}</code><span class="score">诈骗分 ${c.scamScore.toFixed(2)}</span><time>${fmtTime(p.receivedAt, fmt)}</time></header>
  <p class="text">${p.text}</p>
  <p class="meta">${src ? html`<bdi>${src.senderName}</bdi> · ${PLATFORM_NAMES[src.platform] ?? src.platform} · <bdi>${sourceName(src.platform, src.chatId)}</bdi>` : ''}${p.sources.length > 1 ? html` · 另有 ${p.sources.length - 1} 个群转发` : ''}</p>
  <p class="evidence">${c.detection.map((e) => html`<span class="tag ${e.weight < 0 || e.kind === 'scam-term' ? 'warn' : ''}">${e.term} <small>${e.weight > 0 ? '+' : ''}${e.weight}</small></span>`)}</p>
  <p class="meta">将推送到：${c.colleges.length ? c.colleges.map(collegeName).join('、') : '（未匹配学院，通过后也不会推送）'}</p>
  <div class="actions">
    <button class="primary" data-post="/api/review/${p.id}/approve" data-confirm="审核通过这条消息？它将进入下次推送。" data-ok="已通过">通过</button>
    <button class="danger" data-post="/api/review/${p.id}/reject" data-confirm="驳回这条消息？" data-ok="已驳回">驳回</button>
  </div>
</article>`;
})}
</section>
<section class="card" id="dead"><h2>发送失败（死信） <span class="count">${dead.length}</span></h2>
${dead.length === 0 ? html`<p class="empty">没有发送失败的投递。</p>` : html`<table class="list"><thead><tr><th>学院 / 频道</th><th>原因</th><th class="num">次数</th><th></th></tr></thead><tbody>
${dead.map((d) => html`<tr><td>${collegeName(d.collegeId)}<div class="small muted">${PLATFORM_NAMES[d.channel.platform] ?? d.channel.platform} · <bdi>${d.channel.chat}</bdi> · ${fmtTime(d.createdAt, fmt)}</div></td><td class="small">${d.lastError ?? '—'}</td><td class="num">${d.attempts}</td><td><button data-post="/api/deliveries/${d.id}/retry" data-ok="已重新排队">重试</button></td></tr>`)}
</tbody></table>`}</section>`;
}
