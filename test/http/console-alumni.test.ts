// 校友 in the console over a real Store and a real AlumniService (and FeedbackService for clicks and 👍):
// records per alumnus as `report contributors` aggregates them, named per privacy.attribution and opt-outs,
// the CSV, mentor counts without anyone's contact, the ack/thanks previews per group, escaping.
import { describe, expect, it } from 'vitest';
import { previewText } from '../../src/alumni/preview.ts';
import { ALUMNI_GROUP, HOSTILE, withAlumni, type AlumniSeed } from './relay-seed.ts';
import { consoleRig } from './rig.ts';

const GROUP_KEY = `wechat:${ALUMNI_GROUP}`;
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&amp;/g, '&');

describe('校友 page', () => {
  it('shows the month’s records per alumnus from the alumni module, named as the monthly thanks would', async () => {
    const seed: Partial<AlumniSeed> = {};
    const rig = await consoleRig({ extra: withAlumni(seed, { feedback: true }) });
    await rig.login();
    const alumni = seed.alumni!;
    const rows = alumni.contributors('2026-11');
    expect(rows.map((r) => [r.key, r.referrals, r.clicks, r.likes])).toEqual([
      ['wechat:u-wang', 2, 2, 1],
      ['wechat:u-evil', 1, 0, 0],
      ['wechat:u-zhang', 1, 0, 0],
    ]);
    // No ?month: the current month in the rules' timezone.
    const res = await rig.request({ method: 'GET', url: '/alumni' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<input type="month" name="month" value="2026-11" required>');
    expect(res.body).toContain('<a href="/alumni" class="on" aria-current="page">校友</a>');
    const table = res.body.slice(res.body.indexOf('贡献记录'), res.body.indexOf('校友导师计划'));
    // privacy.attribution is `initials` in the rules: 王磊（2012级电气） is 王校友; 张伟 opted out.
    expect(table).toContain('<bdi>王校友</bdi>');
    expect(table).not.toContain('王磊');
    expect(table).toContain('不署名（本人选择）');
    expect(table).not.toContain('张伟');
    // The numbers of each row are the module's (referrals, colleges, groups, students, clicks, 👍).
    const wang = table.split('<tr>').find((r) => r.includes('<bdi>王校友</bdi>'))!;
    const r0 = rows[0]!;
    expect([...wang.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual([r0.referrals, r0.colleges, r0.channels, r0.members ?? '—', r0.clicks, r0.likes].map(String));
    expect(res.body).toMatch(/<b>3<\/b><span>分享内推的校友<\/span>/);
    expect(res.body).toMatch(/<b>4<\/b><span>内推<\/span>/);
    // Another month: nothing, said plainly.
    const oct = await rig.request({ method: 'GET', url: '/alumni?month=2026-10' });
    expect(oct.body).toContain('2026 年 10 月没有校友内推记录。');
  });

  it('downloads the records as CSV (the columns of `report contributors --csv`), formula-safe, names as shown', async () => {
    const rig = await consoleRig({ extra: withAlumni() });
    expect((await rig.request({ method: 'GET', url: '/api/alumni/contributors.csv?month=2026-11' })).statusCode).toBe(401);
    await rig.login();
    const res = await rig.request({ method: 'GET', url: '/api/alumni/contributors.csv?month=2026-11' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="alumni-contributors-2026-11.csv"');
    const lines = res.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('month,platform,sender_id,name,referrals,colleges,student_groups,students,clicks,likes,opted_out');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^2026-11,wechat,u-wang,王校友,2,1,2,,0,0,no$/);
    expect(lines.find((l) => l.includes('u-zhang'))).toMatch(/^2026-11,wechat,u-zhang,,1,1,2,,0,0,yes$/);
    expect(res.body).not.toContain('张伟');
    const bad = await rig.request({ method: 'GET', url: '/api/alumni/contributors.csv?month=2026-13' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('YYYY-MM');
  });

  it('counts mentors and matches without showing anyone’s name or handle', async () => {
    const rig = await consoleRig({ extra: withAlumni() });
    await rig.login();
    const body = (await rig.request({ method: 'GET', url: '/alumni' })).body;
    const section = body.slice(body.indexOf('校友导师计划'), body.indexOf('发到校友群的消息预览'));
    expect(section).toMatch(/<b>1<\/b><span>报名的导师<\/span>/);
    expect(section).toMatch(/<b>1<\/b><span>等待匹配的学生<\/span>/);
    expect(section).toMatch(/<b>1<\/b><span>待导师确认<\/span>/);
    expect(section).toMatch(/<b>0<\/b><span>已介绍（进行中）<\/span>/);
    expect(section).toContain('导师计划未开启');
    for (const secret of ['liu_mentor_secret', 'student_jia_secret', 'ou_student_yi_secret', '刘导师', '同学甲', '同学乙']) expect(body).not.toContain(secret);
  });

  it('previews each alumni group’s acknowledgement (in its ack mode) and monthly thanks, as `preview` does', async () => {
    const seed: Partial<AlumniSeed> = {};
    const rig = await consoleRig({ extra: withAlumni(seed) });
    await rig.login();
    const body = (await rig.request({ method: 'GET', url: '/alumni?month=2026-11' })).body;
    const alumni = seed.alumni!;
    const cfg = alumni.config();
    for (const [key, s] of cfg.sources) {
      const card = body.slice(body.indexOf(`id="group-${key}"`));
      expect(card, key).toContain(s.name);
      const texts = [...card.slice(0, card.indexOf('</section>')).matchAll(/<pre class="plain">([\s\S]*?)<\/pre>/g)].map((m) => decode(m[1]!));
      const ack = previewText(s.ack === 'daily' ? 'daily' : 'ack', key, cfg, alumni.entries(), alumni.optedOut(), rig.deps.now());
      const thanks = previewText('thanks', key, cfg, alumni.entries(), alumni.optedOut(), rig.deps.now(), '2026-11');
      expect(texts, key).toEqual([ack.text, thanks.text]);
    }
    // The seeded group's thanks is real: its month, the named contributor, not the one who opted out.
    const bj = body.slice(body.indexOf(`id="group-${GROUP_KEY}"`));
    const thanks = bj.slice(bj.indexOf('月度致谢 · 2026-11'), bj.indexOf('</section>'));
    expect(thanks).toContain('校友内推月度致谢 · 2026年11月');
    expect(thanks).toContain('王校友（2 条）');
    expect(thanks).not.toContain('张伟');
    expect(thanks).not.toContain('示例数据');
  });

  it('escapes alumni names and companies everywhere on the page', async () => {
    const rig = await consoleRig({ extra: withAlumni() });
    await rig.login();
    const body = (await rig.request({ method: 'GET', url: '/alumni' })).body;
    expect(body).not.toContain(HOSTILE);
    expect(body).not.toMatch(/<img src=x/);
    expect(body).toContain('&lt;');
    const q = await rig.request({ method: 'GET', url: `/alumni?month=${encodeURIComponent('"><script>alert(1)</script>')}` });
    expect(q.statusCode).toBe(200);
    expect(q.body).not.toContain('<script>alert(1)');
    expect(q.body).toContain('value="2026-11"');
  });

  it('says so when the console runs without the alumni module', async () => {
    const rig = await consoleRig();
    await rig.login();
    const res = await rig.request({ method: 'GET', url: '/alumni' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('校友记录不可用');
    expect(res.body).toContain('alumni-relay report contributors --month YYYY-MM');
    expect((await rig.request({ method: 'GET', url: '/api/alumni/contributors.csv' })).statusCode).toBe(503);
  });
});
