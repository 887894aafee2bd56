// alumni-relay console: actions (POST with the CSRF token), charts (ECharts), the rules editor.
// Served as a file (CSP: no inline script). Text from the server is put in the page with textContent only.
'use strict';
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || '';
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function toast(text, bad) {
    const t = $('#toast');
    if (!t) return;
    t.textContent = text;
    t.className = bad ? 'show bad' : 'show';
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.className = ''), 3500);
  }

  async function call(method, url, body, headers) {
    const res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: Object.assign({ 'content-type': 'application/json', 'x-csrf-token': csrf() }, headers || {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await res.json();
    } catch {
      /* not JSON */
    }
    return { status: res.status, ok: res.ok, data };
  }

  // ---- buttons that change something: data-post="/api/…" --------------------------------------
  document.addEventListener('click', async (ev) => {
    const btn = ev.target.closest('button[data-post]');
    if (!btn) return;
    ev.preventDefault();
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    const r = await call('POST', btn.dataset.post, {});
    if (r.ok) {
      toast(btn.dataset.ok || '已完成');
      const card = btn.closest('article, tr');
      if (card) card.classList.add('done');
      setTimeout(() => location.reload(), 600);
    } else {
      btn.disabled = false;
      toast(r.data.message || '操作失败（' + r.status + '）', true);
    }
  });
  $$('[data-print]').forEach((b) => b.addEventListener('click', () => window.print()));
  $$('img[data-refresh]').forEach((img) => {
    setInterval(() => (img.src = img.src.split('?')[0] + '?t=' + Date.now()), Number(img.dataset.refresh));
  });

  // ---- charts ------------------------------------------------------------------------------------
  function charts() {
    const block = $('#analytics-data');
    if (!block || !window.echarts) return;
    const d = JSON.parse(block.textContent);
    const names = {};
    (d.colleges || []).forEach((c) => (names[c.id] = c.name));
    const palette = ['#1f5fa8', '#2e9c8f', '#e0a030', '#c8553d', '#7a5ea8', '#4d8fd1', '#6bb36b', '#d47fa6', '#8c8c3f', '#5c6f7b'];
    const base = { color: palette, textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif' }, animation: false };
    const bar = (pairs) => ({
      ...base,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: pairs.map((p) => p[0]), axisLabel: { width: 110, overflow: 'truncate' } },
      series: [{ type: 'bar', data: pairs.map((p) => p[1]), barMaxWidth: 18, label: { show: true, position: 'right' } }],
    });
    const days = d.daily.map((x) => x.day);
    const collegeIds = Object.keys(names);
    const options = {
      timeline: {
        ...base,
        tooltip: { trigger: 'axis' },
        legend: { type: 'scroll', bottom: 0 },
        grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
        xAxis: { type: 'category', data: days },
        yAxis: { type: 'value', minInterval: 1 },
        series: (d.scope === '*' ? collegeIds.filter((id) => d.daily.some((x) => x.byCollege[id])) : [d.scope]).map((id) => ({
          name: names[id] || id,
          type: 'bar',
          stack: 'c',
          data: d.daily.map((x) => x.byCollege[id] || 0),
        })),
      },
      openToAll: {
        ...base,
        tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
        legend: { bottom: 0 },
        series: [{ type: 'pie', radius: ['45%', '70%'], data: [{ name: '不限专业', value: d.openToAll }, { name: '限定专业', value: d.referrals - d.openToAll }] }],
      },
      classes: bar(d.classes.slice(0, 10)),
      companies: bar(d.companies.slice(0, 10)),
      cities: bar(d.cities.slice(0, 10)),
      cohorts: bar(d.cohorts.slice(0, 10)),
      degrees: {
        ...base,
        tooltip: { trigger: 'item' },
        legend: { bottom: 0 },
        series: [{ type: 'pie', radius: '65%', data: d.degrees.map((p) => ({ name: p[0], value: p[1] })) }],
      },
    };
    const made = [];
    $$('[data-chart]').forEach((el) => {
      const opt = options[el.dataset.chart];
      if (!opt) return;
      const chart = window.echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption(opt);
      el.dataset.rendered = 'true';
      made.push(chart);
    });
    window.addEventListener('resize', () => made.forEach((c) => c.resize()));
    window.addEventListener('beforeprint', () => made.forEach((c) => c.resize()));
  }

  // ---- rules editor ------------------------------------------------------------------------------
  function rules() {
    const box = $('.rules');
    if (!box) return;
    const ta = $('#rules-text');
    const gutter = $('#rules-gutter');
    const problemsEl = $('#rules-problems');
    const diffBox = $('#rules-diff');
    const diffBody = $('#rules-diff-body');
    let hash = box.dataset.hash;
    let problemLines = new Set();

    function drawGutter() {
      const n = ta.value.split('\n').length;
      let s = '';
      for (let i = 1; i <= n; i++) s += (problemLines.has(i) ? '● ' : '') + i + '\n';
      gutter.textContent = s;
    }
    ta.addEventListener('input', drawGutter);
    ta.addEventListener('scroll', () => (gutter.scrollTop = ta.scrollTop));
    drawGutter();

    function goTo(line, col) {
      const lines = ta.value.split('\n');
      let pos = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
      pos += Math.max(0, (col || 1) - 1);
      ta.focus();
      ta.setSelectionRange(pos, pos);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (line - 4) * lh);
    }

    function showProblems(problems) {
      problemsEl.textContent = '';
      problemLines = new Set(problems.map((p) => p.line));
      drawGutter();
      if (!problems.length) return;
      const h = document.createElement('h3');
      h.textContent = '发现 ' + problems.length + ' 个问题，未保存';
      h.className = 'error';
      problemsEl.appendChild(h);
      const lines = ta.value.split('\n');
      problems.forEach((p) => {
        // The offending line, a caret under its column, and the message: the error inline, where it is.
        const item = document.createElement('div');
        item.className = 'problem';
        item.dataset.line = String(p.line);
        const where = document.createElement('button');
        where.className = 'link';
        where.textContent = '第 ' + p.line + ' 行第 ' + p.col + ' 列' + (p.path ? ' · ' + p.path : '');
        where.addEventListener('click', () => goTo(p.line, p.col));
        const code = document.createElement('pre');
        const src = lines[p.line - 1] || '';
        code.textContent = String(p.line).padStart(4) + ' | ' + src + '\n     | ' + ' '.repeat(Math.max(0, p.col - 1)) + '^';
        const msg = document.createElement('p');
        msg.textContent = p.message;
        item.append(where, code, msg);
        if (p.hint) {
          const hint = document.createElement('p');
          hint.className = 'hint';
          hint.textContent = '提示：' + p.hint;
          item.appendChild(hint);
        }
        problemsEl.appendChild(item);
      });
      goTo(problems[0].line, problems[0].col);
    }

    function showDiff(diff) {
      diffBody.textContent = '';
      diff.forEach((l) => {
        const row = document.createElement('span');
        row.className = l.op === '+' ? 'add' : l.op === '-' ? 'del' : l.op === '…' ? 'gap' : 'same';
        row.textContent = l.op === '…' ? '  …\n' : l.op + ' ' + String(l.line).padStart(4) + '  ' + l.text + '\n';
        diffBody.appendChild(row);
      });
    }

    async function check() {
      const r = await call('POST', '/api/rules/check', { text: ta.value });
      if (!r.ok) {
        toast(r.data.message || '检查失败', true);
        return null;
      }
      showProblems(r.data.problems);
      return r.data;
    }

    $('#rules-check').addEventListener('click', async () => {
      const r = await check();
      if (r?.ok) {
        problemsEl.textContent = '';
        const p = document.createElement('p');
        p.className = 'ok';
        p.textContent = '检查通过，没有发现问题。';
        problemsEl.appendChild(p);
      }
    });
    $('#rules-save').addEventListener('click', async () => {
      const r = await check();
      if (!r?.ok) return;
      if (!r.diff.some((l) => l.op === '+' || l.op === '-')) {
        toast('没有改动');
        return;
      }
      showDiff(r.diff);
      diffBox.hidden = false;
      diffBox.scrollIntoView({ block: 'nearest' });
    });
    $('#rules-cancel').addEventListener('click', () => (diffBox.hidden = true));
    $('#rules-reload').addEventListener('click', () => location.reload());
    $('#rules-confirm').addEventListener('click', async () => {
      const r = await call('PUT', '/api/rules', { text: ta.value }, { 'if-match': '"' + hash + '"' });
      diffBox.hidden = true;
      if (r.status === 400 && r.data.problems) {
        showProblems(r.data.problems);
        return;
      }
      if (r.status === 412) {
        problemsEl.textContent = '';
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = r.data.message + '（您的内容仍在编辑框中，可复制后重新加载）';
        problemsEl.appendChild(p);
        return;
      }
      if (!r.ok) {
        toast(r.data.message || '保存失败', true);
        return;
      }
      hash = r.data.hash;
      box.dataset.hash = hash;
      toast('已保存，等待中继重新加载…');
      void waitApplied();
    });

    async function waitApplied() {
      const badge = $('#rules-applied');
      badge.textContent = '等待中继重新加载';
      badge.className = 'state state-connecting';
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const r = await fetch('/api/rules', { credentials: 'same-origin' }).then((x) => x.json());
        if (r.applied && r.hash === hash) {
          badge.textContent = '中继已按此文件运行';
          badge.className = 'state state-up';
          toast('中继已重新加载新规则');
          return;
        }
      }
      badge.textContent = '中继尚未加载此文件（请查看日志）';
      badge.className = 'state state-down';
    }

    $$('button[data-version]').forEach((b) =>
      b.addEventListener('click', async () => {
        const r = await fetch('/api/rules/versions/' + encodeURIComponent(b.dataset.version), { credentials: 'same-origin' }).then((x) => x.json());
        showDiff(r.diff || []);
        diffBox.hidden = false;
        $('#rules-confirm').hidden = true;
        diffBox.scrollIntoView({ block: 'nearest' });
      }),
    );
    $('#rules-cancel').addEventListener('click', () => ($('#rules-confirm').hidden = false));
    $$('button[data-restore]').forEach((b) =>
      b.addEventListener('click', async () => {
        if (!window.confirm('恢复到这个版本？当前版本会先保留在历史中。')) return;
        const r = await call('POST', '/api/rules/versions/' + encodeURIComponent(b.dataset.restore) + '/restore', {}, { 'if-match': '"' + hash + '"' });
        if (!r.ok) {
          toast(r.data.message || '恢复失败', true);
          if (r.data.problems) showProblems(r.data.problems);
          return;
        }
        toast('已恢复');
        setTimeout(() => location.reload(), 600);
      }),
    );
  }

  // ---- 隐私: forget ---------------------------------------------------------------------------------
  function privacy() {
    const form = $('#forget-form');
    if (!form) return;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const senderId = form.senderId.value.trim();
      if (!window.confirm('确定删除发送者 ' + senderId + ' 的全部数据？此操作不可撤销。')) return;
      const r = await call('POST', '/api/privacy/forget', { senderId, confirm: form.confirm.value.trim() });
      const out = $('#forget-result');
      out.textContent = '';
      const p = document.createElement('p');
      p.className = r.ok ? 'ok' : 'error';
      p.textContent = r.ok
        ? '已删除：' + r.data.posts + ' 条消息，' + r.data.sources + ' 处转发来源，' + r.data.deliveries + ' 条已发送内容已清空。'
        : r.data.message || '删除失败';
      out.appendChild(p);
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    charts();
    rules();
    privacy();
  });
})();
