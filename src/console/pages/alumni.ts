// 校友: contribution records per alumnus for a month (as `report contributors`), CSV, the mentor
// programme as counts only (no contact of anyone), and what each alumni group would be sent
// (acknowledgement and monthly thanks, as `preview ack|daily|thanks --group`).
import type { ContributorLine, MentorCounts, MonthTotals } from '../alumni-view.ts';
import { html, type Safe } from '../html.ts';
import { PLATFORM_NAMES } from '../layout.ts';

export interface GroupPreview {
  key: string;
  name: string;
  platform: string;
  /** The group's `ack:` setting. */
  ack: 'reply' | 'daily' | 'off';
  thanks: boolean;
  messages: { title: string; text: string; example: boolean; off: boolean }[];
}

export interface AlumniPageView {
  month: string;
  prev: string;
  next: string;
  rows: ContributorLine[];
  totals: MonthTotals;
  attribution: 'name' | 'initials' | 'none';
  mentorsOn: boolean;
  mentors: MentorCounts;
  groups: GroupPreview[];
}

const ATTRIBUTION: Record<AlumniPageView['attribution'], string> = { name: '署全名', initials: '只署姓（如「王校友」）', none: '不署名' };
const ACK: Record<GroupPreview['ack'], string> = { reply: '回复原消息', daily: '每日小结', off: '关闭' };
/** Rows on the page (most referrals first); the CSV has everyone. */
const ROW_LIMIT = 100;
const monthLabel = (m: string) => `${m.slice(0, 4)} 年 ${Number(m.slice(5))} 月`;

/** Shown when the relay was started without the alumni features wired to the console. */
export function alumniOffBody(): Safe {
  return html`<section class="card"><h2>校友记录不可用</h2><p>这个控制台没有接入中继的校友模块，所以看不到贡献记录、导师计划和校友群消息预览。用 <code>alumni-relay start</code> 启动中继（控制台随之启动）即可；命令行也可以用 <code>alumni-relay report contributors --month YYYY-MM</code> 和 <code>alumni-relay preview ack --group 群名</code>。</p></section>`;
}

export function alumniBody(v: AlumniPageView): Safe {
  const t = v.totals;
  return html`
<form class="card filters" method="get" action="/alumni">
  <label>月份<input type="month" name="month" value="${v.month}" required></label>
  <button type="submit" class="primary">查看</button>
  <a class="button" href="/alumni?month=${v.prev}">上个月</a>
  <a class="button" href="/alumni?month=${v.next}">下个月</a>
</form>
<ul class="kpis card">
  <li><b>${t.people}</b><span>分享内推的校友</span></li>
  <li><b>${t.referrals}</b><span>内推</span></li>
  <li><b>${t.clicks}</b><span>学生点开</span></li>
  <li><b>${t.likes}</b><span>学生点赞（有用）</span></li>
</ul>
<section class="card"><h2>${monthLabel(v.month)}贡献记录 <a class="csv" href="/api/alumni/contributors.csv?month=${v.month}">导出 CSV</a></h2>
<p class="small muted">每条内推只记在第一位发布者名下。署名按隐私设置：${ATTRIBUTION[v.attribution]}；发过「/relay optout」的校友不署名，数字照常计入。</p>
${
  v.rows.length === 0
    ? html`<p class="empty">${monthLabel(v.month)}没有校友内推记录。</p>`
    : html`<div class="scroll"><table class="list"><thead><tr><th>校友</th><th>平台</th><th class="num">内推</th><th class="num">学院</th><th class="num">学生群</th><th class="num">约学生数</th><th class="num">点开</th><th class="num">点赞</th></tr></thead><tbody>
${v.rows.slice(0, ROW_LIMIT).map(
  (r) =>
    html`<tr><td>${r.named ? html`<bdi>${r.shown}</bdi>` : html`<span class="muted">${r.shown}</span>`}<div class="small muted"><code>${r.senderId}</code></div></td><td class="nowrap">${PLATFORM_NAMES[r.platform] ?? r.platform}</td><td class="num">${r.referrals}</td><td class="num">${r.colleges}</td><td class="num">${r.channels}</td><td class="num">${r.members ?? '—'}</td><td class="num">${r.clicks}</td><td class="num">${r.likes}</td></tr>`,
)}
</tbody></table></div>${v.rows.length > ROW_LIMIT ? html`<p class="small muted">只列出前 ${ROW_LIMIT} 位，另有 ${v.rows.length - ROW_LIMIT} 位校友的记录在 CSV 里。</p>` : ''}`
}
</section>
<section class="card"><h2>校友导师计划</h2>
${v.mentorsOn ? '' : html`<p class="notice">导师计划未开启（规则 <code>alumni.mentors: off</code>）。开启后校友可私聊机器人「导师 报名 专业」，学生私聊「找导师 专业」。</p>`}
<ul class="kpis">
  <li><b>${v.mentors.mentors}</b><span>报名的导师</span></li>
  <li><b>${v.mentors.waiting}</b><span>等待匹配的学生</span></li>
  <li><b>${v.mentors.proposed}</b><span>待导师确认</span></li>
  <li><b>${v.mentors.introduced}</b><span>已介绍（进行中）</span></li>
</ul>
<p class="small muted">只显示数量：导师接受之前，任何人的联系方式都不会给对方，这里也不显示。</p>
</section>
<h2 class="section">发到校友群的消息预览</h2>
<p class="small muted">用本群最近的真实数据生成；没有数据时用示例数据并注明。实际发送走发件箱，遵守平台限速。</p>
${v.groups.length === 0 ? html`<p class="empty">规则里没有校友群。</p>` : ''}
${v.groups.map(
  (g) => html`<section class="card" id="group-${g.key}"><h2><bdi>${g.name}</bdi> <span class="count">${PLATFORM_NAMES[g.platform] ?? g.platform} · 回执：${ACK[g.ack]} · 月度致谢：${g.thanks ? '开' : '关'}</span></h2>
<div class="channels">${g.messages.map(
    (m) =>
      html`<div class="channel ch-${g.platform}"><h3>${m.title}${m.example ? '（示例数据）' : ''}${m.off ? html` <span class="tag warn">本群当前设置下不会发送</span>` : ''}</h3><div class="bubble"><pre class="plain">${m.text}</pre></div></div>`,
  )}</div>
</section>`,
)}`;
}
