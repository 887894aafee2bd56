// 规则: routing.yaml in an editor. 检查 validates exactly like `rules check` and shows each problem under
// its line; 保存 first shows the diff, then saves with If-Match (another tab's save → a conflict).
import { html, type Safe } from '../html.ts';
import type { RulesVersion } from '../rules-file.ts';

export function rulesBody(p: { text: string; hash: string; applied: boolean; versions: RulesVersion[]; file: string; fmt: (d: Date) => string }): Safe {
  return html`
<section class="card rules" data-hash="${p.hash}">
  <div class="bar">
    <span class="file"><code>${p.file}</code></span>
    <span id="rules-applied" class="state ${p.applied ? 'state-up' : 'state-connecting'}">${p.applied ? '中继已按此文件运行' : '等待中继重新加载'}</span>
  </div>
  <div class="editor">
    <pre id="rules-gutter" aria-hidden="true"></pre>
    <textarea id="rules-text" spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off" aria-label="routing.yaml">${p.text}</textarea>
  </div>
  <div class="actions">
    <button id="rules-check">检查</button>
    <button id="rules-save" class="primary">预览改动并保存</button>
    <button id="rules-reload" class="link">放弃修改，重新加载</button>
  </div>
  <div id="rules-problems" aria-live="polite"></div>
  <div id="rules-diff" hidden>
    <h3>将要保存的改动</h3>
    <pre class="diff" id="rules-diff-body"></pre>
    <div class="actions"><button id="rules-confirm" class="primary">确认保存</button><button id="rules-cancel">取消</button></div>
  </div>
</section>
<section class="card"><h2>历史版本</h2>
<p class="muted small">每次保存前的版本都会保留（最近 30 个），可查看改动或恢复。</p>
${p.versions.length === 0
  ? html`<p class="empty">暂无历史版本。</p>`
  : html`<table class="list"><thead><tr><th>被替换于</th><th>替换人</th><th></th></tr></thead><tbody>
${p.versions.map((v) => html`<tr><td class="nowrap">${p.fmt(new Date(v.savedAt))}</td><td>${v.who}</td><td class="actions"><button data-version="${v.id}">对比</button><button data-restore="${v.id}">恢复</button></td></tr>`)}
</tbody></table>`}</section>`;
}
