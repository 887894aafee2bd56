// 分析: filters, charts (ECharts, drawn by console.js from the JSON block), the same numbers as tables
// (readable without JavaScript and printable), CSV per dimension, upcoming deadlines.
import { html, jsonBlock, type Safe } from '../html.ts';
import type { RangeSummary } from '../aggregate.ts';
import type { DeadlineItem } from '../tracker.ts';

export interface AnalyticsView {
  summary: RangeSummary;
  colleges: { id: string; name: string }[];
  deadlines: DeadlineItem[];
  messages: number;
  building: boolean;
}

const DIMS: [keyof RangeSummary & ('classes' | 'companies' | 'cities' | 'cohorts' | 'degrees'), string][] = [
  ['classes', '专业类'],
  ['companies', '企业 Top'],
  ['cities', '城市'],
  ['cohorts', '届别'],
  ['degrees', '学历要求'],
];

export function table(rows: [string, number][], head: string): Safe {
  if (rows.length === 0) return html`<p class="muted">所选范围内暂无数据。</p>`;
  return html`<table class="list compact"><thead><tr><th>${head}</th><th class="num">内推</th></tr></thead><tbody>${rows.map(([k, n]) => html`<tr><td>${k}</td><td class="num">${n}</td></tr>`)}</tbody></table>`;
}

export function analyticsBody(v: AnalyticsView): Safe {
  const s = v.summary;
  const qs = (extra: string) => `from=${s.from}&to=${s.to}&college=${encodeURIComponent(s.scope === '*' ? '' : s.scope)}${extra}`;
  const share = s.referrals ? Math.round((s.openToAll / s.referrals) * 100) : 0;
  const collegeName = new Map(v.colleges.map((c) => [c.id, c.name]));
  return html`
${v.building ? html`<p class="notice">正在读取历史归档，较早月份稍后补全。</p>` : ''}
<form class="card filters" method="get" action="/analytics">
  <label>开始<input type="date" name="from" value="${s.from}"></label>
  <label>结束<input type="date" name="to" value="${s.to}"></label>
  <label>学院<select name="college"><option value="">全部学院</option>${v.colleges.map((c) => html`<option value="${c.id}"${c.id === s.scope ? html` selected` : ''}>${c.name}</option>`)}</select></label>
  <button type="submit" class="primary">查询</button>
  <a class="button" href="/report?${qs('')}">打印报告</a>
</form>
<ul class="kpis card">
  <li><b>${s.referrals}</b><span>内推</span></li>
  <li><b>${s.digested}</b><span>已推送给学生</span></li>
  <li><b>${share}%</b><span>不限专业占比</span></li>
  <li><b>${s.scams}</b><span>疑似诈骗</span></li>
</ul>
${jsonBlock('analytics-data', { ...s, colleges: v.colleges })}
<section class="card"><h2>内推数量趋势（按学院）<a class="csv" href="/api/analytics.csv?${qs('&dim=daily')}">导出 CSV</a></h2>
<div class="chart tall" data-chart="timeline" role="img" aria-label="内推数量趋势图"></div>
<details><summary>数据表</summary><table class="list compact"><thead><tr><th>日期</th><th class="num">内推</th><th class="num">已推送</th></tr></thead><tbody>${s.daily.map((d) => html`<tr><td>${d.day}</td><td class="num">${d.referrals}</td><td class="num">${d.digested}</td></tr>`)}</tbody></table></details>
</section>
<div class="grid2">
<section class="card"><h2>不限专业占比</h2><div class="chart" data-chart="openToAll" role="img" aria-label="不限专业占比"></div></section>
${DIMS.map(([key, label]) => html`<section class="card"><h2>${label}<a class="csv" href="/api/analytics.csv?${qs(`&dim=${key}`)}">导出 CSV</a></h2><div class="chart" data-chart="${key}" role="img" aria-label="${label}"></div><details><summary>数据表</summary>${table(s[key], label)}</details></section>`)}
</div>
<section class="card"><h2>即将截止</h2>
${v.deadlines.length === 0 ? html`<p class="muted">暂无即将截止的内推。</p>` : ''}
<table class="list"><thead><tr><th>截止日期</th><th>企业</th><th>城市</th><th>学院</th></tr></thead><tbody>
${v.deadlines.map((d) => html`<tr><td class="nowrap">${d.deadline}</td><td>${d.company ?? '—'}</td><td>${d.city ?? '—'}</td><td class="small">${d.colleges.map((c) => collegeName.get(c) ?? c).join('、')}</td></tr>`)}
</tbody></table></section>`;
}
