// 隐私: find a person by sender id or display name, then erase their data while the relay runs
// (the same erasure as `alumni-relay forget`: store, journal, archives, text of digests already sent).
import { html, type Safe } from '../html.ts';

export function privacyBody(query: string, found: { senderId: string; names: string[]; posts: number; platforms: string[] }[]): Safe {
  return html`
<section class="card">
<h2>查找发送者</h2>
<form method="get" action="/privacy" class="filters"><label>发送者 ID 或显示名<input name="q" value="${query}" required maxlength="200"></label><button class="primary" type="submit">查找</button></form>
<p class="muted small">按显示名只查找近期（约 35 天内）的消息；按发送者 ID 删除时会覆盖全部归档。</p>
${query && found.length === 0 ? html`<p class="empty">近期消息中没有找到“${query}”。如知道其发送者 ID，可直接在下方删除。</p>` : ''}
${found.length ? html`<table class="list"><thead><tr><th>发送者 ID</th><th>显示名</th><th class="num">近期消息</th></tr></thead><tbody>${found.map((f) => html`<tr><td><code>${f.senderId}</code></td><td>${f.names.map((n) => html`<bdi>${n}</bdi> `)}</td><td class="num">${f.posts}</td></tr>`)}</tbody></table>` : ''}
</section>
<section class="card">
<h2>删除个人数据</h2>
<p>将删除此人发布的全部内推（含归档）、其在他人转发中的来源记录，以及已发送速递中含其内容的文本。<b>不可撤销。</b></p>
<form id="forget-form" class="stack">
<label>发送者 ID<input name="senderId" required maxlength="200" value="${found.length === 1 ? found[0]!.senderId : ''}"></label>
<label>再次输入发送者 ID 以确认<input name="confirm" required maxlength="200" autocomplete="off"></label>
<button class="danger" type="submit">删除此人的数据</button>
</form>
<div id="forget-result" aria-live="polite"></div>
</section>`;
}
