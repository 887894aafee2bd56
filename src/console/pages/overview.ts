// 概览: today / 7 / 30 days as a funnel, platform states (with the WeChat QR when a scan is needed),
// each college's backlog and next digest, dead letters, the latest admin actions.
import type { AuditEntry } from '../../http/audit.ts';
import type { PlatformHealth } from '../../ports.ts';
import { html, type Safe } from '../html.ts';
import { fmtTime, PLATFORM_NAMES, stateBadge } from '../layout.ts';
import type { ConsoleService, Funnel } from '../service.ts';

const ACTIONS: Record<string, string> = {
  approve: '审核通过', reject: '驳回', retry: '重试投递', 'rules-save': '保存规则', 'rules-restore': '恢复规则版本',
  forget: '删除个人数据', login: '登录', 'login-failed': '登录失败', 'feedback-reset': '重置反馈调整',
};

function funnelCard(f: Funnel): Safe {
  const step = (label: string, n: number, hint: string) => html`<li><b>${n.toLocaleString('zh-CN')}</b><span>${label}</span><small>${hint}</small></li>`;
  return html`<section class="card funnel"><h2>${f.label}</h2><ol>
    ${step('收到消息', f.messages, '校友群消息')}
    ${step('识别内推', f.referrals, '去重后')}
    ${step('进入推送', f.digested, '已编入速递')}
    ${step('送达', f.delivered, '推送投递')}
  </ol><p class="muted">疑似诈骗拦截 ${f.scams} 条</p></section>`;
}

export function overviewBody(s: ConsoleService, platforms: PlatformHealth[], audit: AuditEntry[], fmt: (d: Date) => string): Safe {
  const t = s.tracker();
  const qr = platforms.find((p) => p.loginQr);
  return html`
${t.building ? html`<p class="notice">正在读取历史归档，较早月份的数字稍后补全。</p>` : ''}
<div class="grid3">${s.funnels().map(funnelCard)}</div>
<div class="grid2">
<section class="card"><h2>平台连接</h2>
${platforms.length === 0 ? html`<p class="muted">没有运行中的平台。</p>` : ''}
<table class="list"><thead><tr><th>平台</th><th>状态</th><th>最近消息</th></tr></thead><tbody>
${platforms.map((p) => html`<tr><td>${PLATFORM_NAMES[p.platform] ?? p.platform}</td><td>${stateBadge(p.state)}<small class="muted"> 自 ${fmtTime(p.since, fmt)}</small>${p.lastError ? html`<div class="error small">${p.lastError}</div>` : ''}</td><td>${fmtTime(p.lastMessageAt, fmt)}</td></tr>`)}
</tbody></table>
${qr ? html`<div class="qr"><p><b>微信需要扫码登录</b>：用中继账号的手机微信“扫一扫”。</p><img src="/api/wechat-qr.svg" alt="微信登录二维码" width="200" height="200" data-refresh="15000"><p class="small muted">二维码内容：<code>${qr.loginQr}</code></p></div>` : ''}
</section>
<section class="card"><h2>待处理</h2>
<ul class="kpis">
<li><a href="/review"><b>${t.held.size}</b><span>待审核（疑似诈骗）</span></a></li>
<li><a href="/review#dead"><b class="${t.deliveryCounts.dead ? 'bad' : ''}">${t.deliveryCounts.dead}</b><span>发送失败（死信）</span></a></li>
<li><b>${t.deliveryCounts.pending}</b><span>待发送</span></li>
</ul></section>
</div>
<section class="card"><h2>各学院下次推送</h2>
<table class="list"><thead><tr><th>学院</th><th class="num">待推送</th><th>下次推送</th><th class="num">频道</th></tr></thead><tbody>
${s.colleges().map((c) => html`<tr><td>${c.name}</td><td class="num">${c.backlog}</td><td>${c.next ?? '—'}</td><td class="num">${c.channels}</td></tr>`)}
</tbody></table></section>
<section class="card"><h2>最近操作</h2>
${audit.length === 0 ? html`<p class="muted">暂无操作记录。</p>` : ''}
<table class="list"><tbody>
${audit.map((a) => html`<tr><td class="nowrap small">${fmtTime(a.at, fmt)}</td><td class="nowrap">${a.who}</td><td class="nowrap">${ACTIONS[a.action] ?? a.action}</td><td class="small break">${a.target ?? ''} ${a.detail ?? ''}</td></tr>`)}
</tbody></table></section>`;
}
