// A printable report (monthly, annual, or any range): the numbers the 就业质量报告 asks for — quantity,
// structure by college, major class, employer, region, cohort and degree — as charts and tables on A4.
// The browser prints it to PDF (the 打印 button calls window.print in console.js).
import { html, jsonBlock, type Safe } from '../html.ts';
import type { RangeSummary } from '../aggregate.ts';
import { table } from './analytics.ts';

export function reportPage(p: { s: RangeSummary; title: string; colleges: { id: string; name: string; referrals: number }[]; messages: number; delivered: number; generatedAt: string; university?: string }): Safe {
  const s = p.s;
  const share = s.referrals ? Math.round((s.openToAll / s.referrals) * 100) : 0;
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title}</title>
<link rel="stylesheet" href="/assets/console.css"><link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<script src="/vendor/echarts.min.js" defer></script><script src="/assets/console.js" defer></script>
</head><body class="report">
<div class="noprint report-bar"><a href="/analytics?from=${s.from}&to=${s.to}">← 返回分析</a><button class="primary" data-print>打印 / 存为 PDF</button></div>
<article>
<header><h1>${p.title}</h1><p>统计区间：${s.from} 至 ${s.to}　·　生成时间：${p.generatedAt}</p></header>
<section><h2>一、总体情况</h2>
<ul class="kpis"><li><b>${p.messages}</b><span>校友群消息（已记录）</span></li><li><b>${s.referrals}</b><span>识别内推</span></li><li><b>${s.digested}</b><span>推送给学生</span></li><li><b>${p.delivered}</b><span>推送送达</span></li><li><b>${share}%</b><span>不限专业</span></li><li><b>${s.scams}</b><span>拦截疑似诈骗</span></li></ul>
${jsonBlock('analytics-data', { ...s, colleges: p.colleges.map(({ id, name }) => ({ id, name })) })}
<div class="chart tall" data-chart="timeline"></div>
</section>
<section><h2>二、各学院</h2>
<table class="list compact"><thead><tr><th>学院</th><th class="num">内推</th></tr></thead><tbody>${p.colleges.map((c) => html`<tr><td>${c.name}</td><td class="num">${c.referrals}</td></tr>`)}</tbody></table></section>
<section class="two"><div><h2>三、专业类分布</h2><div class="chart" data-chart="classes"></div>${table(s.classes.slice(0, 15), '专业类')}</div>
<div><h2>四、用人单位 Top 15</h2>${table(s.companies.slice(0, 15), '企业')}</div></section>
<section class="two"><div><h2>五、地区分布</h2>${table(s.cities.slice(0, 15), '城市')}</div>
<div><h2>六、届别与学历</h2>${table(s.cohorts, '届别')}${table(s.degrees, '学历')}</div></section>
<footer><p class="small muted">数据来源：校友内推中继（alumni-relay）。“内推”指经识别、去重后的校友内推消息；“不限专业”指消息明确写明不限专业。</p></footer>
</article></body></html>`;
}
