// The frame every console page shares: header, navigation (a scrolling tab bar on a phone), footer.
import { html, type Safe } from './html.ts';

export const NAV = [
  ['/', '概览'],
  ['/analytics', '分析'],
  ['/review', '审核'],
  ['/rules', '规则'],
  ['/preview', '预览'],
  ['/feedback', '反馈'],
  ['/alumni', '校友'],
  ['/privacy', '隐私'],
] as const;

export interface PageFrame {
  title: string;
  /** The nav path that is current. */
  active: string;
  csrf: string;
  who: string;
  body: Safe;
  /** Load ECharts (served from the project, never a CDN). */
  charts?: boolean;
  /** A badge on the 审核 tab (held + dead). */
  reviewCount?: number;
}

export function layout(p: PageFrame): Safe {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${p.csrf}">
<title>${p.title} · 校友内推中继 · 就业指导中心</title>
<link rel="stylesheet" href="/assets/console.css"><link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
${p.charts ? html`<script src="/vendor/echarts.min.js" defer></script>` : ''}
<script src="/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true">荐</span><span><b>校友内推中继</b><small>就业指导中心控制台</small></span></div>
  <form method="post" action="/logout" class="who"><span>${p.who}</span><input type="hidden" name="_csrf" value="${p.csrf}"><button type="submit" class="link">退出</button></form>
</header>
<nav class="tabs" aria-label="主导航">
${NAV.map(([href, label]) => html`<a href="${href}"${p.active === href ? html` class="on" aria-current="page"` : ''}>${label}${href === '/review' && p.reviewCount ? html`<span class="badge">${p.reviewCount}</span>` : ''}</a>`)}
</nav>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
<div id="toast" role="status" aria-live="polite"></div>
<footer>alumni-relay · 数据仅供本校就业工作使用</footer>
</body>
</html>`;
}

export function stateBadge(state: string): Safe {
  const label: Record<string, string> = { up: '在线', connecting: '连接中', down: '断开', stopped: '已停止' };
  return html`<span class="state state-${state}">${label[state] ?? state}</span>`;
}

export const PLATFORM_NAMES: Record<string, string> = { wechat: '微信', lark: '飞书', telegram: 'Telegram', local: '本地演示' };

export function fmtTime(iso: string | undefined, fmt: (d: Date) => string): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isFinite(t) ? fmt(new Date(t)) : '—';
}
