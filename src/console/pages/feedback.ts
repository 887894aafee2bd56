// 反馈: what students answered (delivered → clicks → 👍/👎, subscribers) per college and per post, and the
// routing the relay learnt from their votes, with a reset per college (the same as `feedback reset`).
import type { FeedbackPageView } from '../feedback-view.ts';
import { html, type Safe } from '../html.ts';
import { fmtTime } from '../layout.ts';

const n = (x: number) => x.toLocaleString('zh-CN');
const pct = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 1000) / 10}%` : '—');

/** Shown when no RELAY_SECRET is set: nothing is collected, and how to turn it on. */
export function feedbackOffBody(): Safe {
  return html`
<section class="card">
<h2>学生反馈未启用</h2>
<p>中继没有设置 <code>RELAY_SECRET</code>，所以不收集学生对内推的「有用 / 不对口」评价、不统计链接点击、不提供个人订阅，这里也没有数字可看。学生以密钥加盐的哈希记录，不存姓名，所以没有密钥就不记录。</p>
<h3>如何启用</h3>
<ol>
<li>生成一个至少 16 个字符的随机密钥，例如 <code>openssl rand -base64 24</code>。</li>
<li>在运行中继的环境里设置 <code>RELAY_SECRET=生成的密钥</code>（如 systemd 的 <code>Environment=</code> 或 docker 的 <code>-e</code>），妥善保管：换了密钥，以前的投票就对不上人了。</li>
<li>想统计链接点击，再设置 <code>RELAY_PUBLIC_URL</code>（学生能访问到的本服务地址，例如 <code>https://relay.example.edu.cn</code>）。</li>
<li>重启中继。之后每条速递都能评价：Telegram 和飞书点按钮，微信群里回复「3 不对口」「2 有用」，学生也可以私聊机器人「订阅 专业名」。</li>
</ol>
</section>`;
}

/** Shown when the console runs without the relay's feedback module (not the same as feedback off). */
export function feedbackNotWiredBody(): Safe {
  return html`<section class="card"><h2>反馈数据不可用</h2><p>这个控制台没有接入中继的反馈模块，所以看不到学生的评价和链接点击。用 <code>alumni-relay start</code> 启动中继（控制台随之启动）即可；命令行也可以用 <code>alumni-relay feedback show</code>。</p></section>`;
}

function collegeCard(c: FeedbackPageView['colleges'][number], fmt: (d: Date) => string): Safe {
  return html`<section class="card" id="college-${c.id}">
<h2>${c.name} <span class="count">学到的路由调整 ${c.adjustments.length} 项</span></h2>
<p class="small muted">${c.resetAt ? html`上次重置：${fmtTime(c.resetAt, fmt)}，此前的投票不再影响路由。` : '从未重置。'}负值表示学生认为这类依据把不对口的内推转了过来，正值表示有用；至少 3 位不同的学生意见一致才会变化，且随时间衰减。</p>
${
  c.adjustments.length === 0
    ? html`<p class="empty">暂无调整：还没有足够多的学生对这个学院的内推投票。</p>`
    : html`<div class="scroll"><table class="list compact"><thead><tr><th>依据</th><th class="num">权重</th><th class="num">投票学生</th><th class="num">有用</th><th class="num">不对口</th><th>最近变化</th></tr></thead><tbody>
${c.adjustments.slice(0, 50).map(
  (a) =>
    html`<tr><td>${a.label}</td><td class="num ${a.weight < 0 ? 'neg' : 'pos'}">${a.weight >= 0 ? '+' : '−'}${Math.abs(a.weight).toFixed(2)}</td><td class="num">${a.voters}</td><td class="num">${a.up}</td><td class="num">${a.down}</td><td class="nowrap small">${fmtTime(a.lastAt, fmt)}</td></tr>`,
)}
</tbody></table></div>${c.adjustments.length > 50 ? html`<p class="small muted">另有 ${c.adjustments.length - 50} 项较小的调整未列出。</p>` : ''}`
}
<div class="actions"><button class="danger" data-post="/api/feedback/reset/${encodeURIComponent(c.id)}" data-confirm="清除「${c.name}」学到的路由调整？此前的投票不再影响路由（有用 / 不对口的计数保留）。" data-ok="已重置"${c.adjustments.length === 0 ? html` disabled` : ''}>重置本学院的调整</button></div>
</section>`;
}

export function feedbackBody(v: FeedbackPageView, college: string | undefined, fmt: (d: Date) => string): Safe {
  const t = v.totals;
  const name = new Map(v.colleges.map((c) => [c.id, c.name]));
  // A card per college with something learnt (or reset); the rest in one line, so eleven empty cards do not bury them.
  const learnt = v.colleges.filter((c) => c.adjustments.length || c.resetAt);
  const quiet = v.colleges.filter((c) => !c.adjustments.length && !c.resetAt);
  return html`
<ul class="kpis card">
  <li><b>${n(t.delivered)}</b><span>送达（条 × 群）</span></li>
  <li><b>${n(t.clicks)}</b><span>点开链接</span></li>
  <li><b>${n(t.up)}</b><span>有用</span></li>
  <li><b>${n(t.down)}</b><span>不对口</span></li>
  <li><b>${n(v.subscribers)}</b><span>个人订阅</span></li>
</ul>
<section class="card"><h2>各学院漏斗</h2>
<div class="scroll"><table class="list"><thead><tr><th>学院</th><th class="num">送达</th><th class="num">点开</th><th class="num">点开率</th><th class="num">有用</th><th class="num">不对口</th><th class="num">订阅</th></tr></thead><tbody>
${v.colleges.map(
  (c) =>
    html`<tr><td><a href="#college-${c.id}">${c.name}</a></td><td class="num">${n(c.counts.delivered)}</td><td class="num">${n(c.counts.clicks)}</td><td class="num">${pct(c.counts.clicks, c.counts.delivered)}</td><td class="num">${n(c.counts.up)}</td><td class="num">${n(c.counts.down)}</td><td class="num">${n(c.counts.subscribers)}</td></tr>`,
)}
</tbody></table></div>
<p class="small muted">送达按「一条内推送到一个学生群」计；点开只在设置了 RELAY_PUBLIC_URL 时统计；订阅按订阅了本学院专业的学生计。</p>
</section>
<section class="card" id="posts"><h2>各条内推 <span class="count">${v.posts.length < v.postTotal ? `前 ${v.posts.length} 条，共 ${v.postTotal} 条` : `${v.postTotal} 条`}</span></h2>
<form class="filters" method="get" action="/feedback#posts"><label>学院<select name="college"><option value="">全部学院</option>${v.colleges.map((c) => html`<option value="${c.id}"${c.id === college ? html` selected` : ''}>${c.name}</option>`)}</select></label><button type="submit">筛选</button></form>
${
  v.posts.length === 0
    ? html`<p class="empty">还没有送达的内推。</p>`
    : html`<div class="scroll"><table class="list compact"><thead><tr><th>内推</th><th>学院</th><th class="num">送达</th><th class="num">点开</th><th class="num">有用</th><th class="num">不对口</th></tr></thead><tbody>
${v.posts.map(
  (p) =>
    html`<tr><td>${p.label}<div class="small muted"><code>${p.postId.slice(0, 8)}</code> · ${fmtTime(p.receivedAt, fmt)}</div></td><td class="small">${name.get(p.collegeId) ?? p.collegeId}</td><td class="num">${p.delivered}</td><td class="num">${p.clicks}</td><td class="num">${p.up}</td><td class="num">${p.down}</td></tr>`,
)}
</tbody></table></div>`
}
</section>
<h2 class="section">学到的路由调整</h2>
${learnt.map((c) => collegeCard(c, fmt))}
${
  quiet.length
    ? html`<section class="card" id="no-adjustments"><p class="muted">${learnt.length ? '其余' : '各'}学院暂无学到的调整（还没有足够多的学生投票）：${quiet.map((c) => c.name).join('、')}。</p></section>`
    : ''
}`;
}
