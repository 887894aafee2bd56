import { html, type Safe } from '../html.ts';

export function loginPage(p: { csrf: string; next: string; passwordSet: boolean; error?: string; name?: string }): Safe {
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 校友内推中继</title><link rel="stylesheet" href="/assets/console.css"><link rel="icon" href="/assets/icon.svg" type="image/svg+xml"></head>
<body class="login">
<form method="post" action="/login" class="card login-card">
  <div class="brand"><span class="logo" aria-hidden="true">荐</span><span><b>校友内推中继</b><small>就业指导中心控制台</small></span></div>
  ${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
  ${p.passwordSet
    ? html`<label>姓名<input name="name" autocomplete="username" required maxlength="40" value="${p.name ?? ''}" placeholder="记入操作日志"></label>
  <label>管理员密码<input name="password" type="password" autocomplete="current-password" required></label>
  <input type="hidden" name="_csrf" value="${p.csrf}"><input type="hidden" name="next" value="${p.next}">
  <button type="submit" class="primary">登录</button>`
    : html`<p>未设置管理员密码。请打开中继启动时在终端打印的一次性登录链接，或设置 <code>RELAY_ADMIN_PASSWORD</code> 后重启。</p>`}
</form>
</body></html>`;
}
