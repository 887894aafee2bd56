// defaults.fetchLinks in routing.yaml: off by default, an allowlist of hosts, problems in the admin's words.
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { parseRules, RulesError, type RulesProblem } from '../../src/rules/index.ts';
import { linkFetchOptions } from '../../src/rules/fetch-links.ts';
import { checkUrl } from '../../src/media/link-fetch.ts';

const catalog = loadCatalog();
const withDefaults = (defaults: string) => `
defaults:
${defaults}
sources:
  - platform: wechat
    group: 校友群
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels:
      - platform: telegram
        chat: "-100123"
`;

function problems(text: string): RulesProblem[] {
  try {
    parseRules(text, 'rules/test.yaml', catalog);
  } catch (err) {
    if (err instanceof RulesError) return err.problems;
    throw err;
  }
  throw new Error('expected a RulesError');
}

describe('defaults.fetchLinks', () => {
  it('is off by default, with WeChat articles as the one allowed host once turned on', () => {
    const rules = parseRules(withDefaults('  timezone: Asia/Shanghai'), 'm.yaml', catalog);
    expect(rules.defaults.fetchLinks).toEqual({ enabled: false, hosts: ['mp.weixin.qq.com'], timeoutSeconds: 8, maxKB: 2048, maxChars: 2000 });
    expect(linkFetchOptions(rules.defaults.fetchLinks)).toEqual({ enabled: false, hosts: ['mp.weixin.qq.com'], timeoutMs: 8000, maxBytes: 2048 * 1024, maxChars: 2000 });
  });

  it('takes an allowlist (wildcards and ports), normalised, and gives fetchLinkText its options', () => {
    const rules = parseRules(withDefaults('  fetchLinks:\n    enabled: true\n    hosts: [MP.weixin.qq.com, "*.zhaopin.com", "jobs.example.cn:8443"]\n    timeoutSeconds: 5\n    maxKB: 512'), 'm.yaml', catalog);
    const opts = linkFetchOptions(rules.defaults.fetchLinks);
    expect(opts).toEqual({ enabled: true, hosts: ['mp.weixin.qq.com', '*.zhaopin.com', 'jobs.example.cn:8443'], timeoutMs: 5000, maxBytes: 512 * 1024, maxChars: 2000 });
    expect(checkUrl(new URL('https://mp.weixin.qq.com/s/x'), opts.hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://www.zhaopin.com/job/1'), opts.hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://jobs.example.cn:8443/'), opts.hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://weixin.qq.com/'), opts.hosts)).toMatch(/not on the fetchLinks host list/);
  });

  it('says what is wrong, where, and how to fix it', () => {
    const ps = problems(withDefaults('  fetchLinks:\n    enabeld: true\n    hosts: ["https://mp.weixin.qq.com/s/abc", "bad host"]\n    timeoutSeconds: 600'));
    const byPath = new Map(ps.map((p) => [p.path, p]));
    expect(byPath.get('defaults.fetchLinks.enabeld')).toMatchObject({ line: 4, message: '未知的键 "enabeld"', hint: '是不是 "enabled"？' });
    expect(byPath.get('defaults.fetchLinks.hosts[0]')).toMatchObject({ line: 5, message: '"https://mp.weixin.qq.com/s/abc" 是一个链接，这里只写网站的域名', hint: '写成 mp.weixin.qq.com' });
    expect(byPath.get('defaults.fetchLinks.hosts[1]')).toMatchObject({ message: '"bad host" 格式不对', hint: expect.stringContaining('只写网站的域名') });
    expect(byPath.get('defaults.fetchLinks.timeoutSeconds')).toMatchObject({ line: 6, message: '应不大于 60，这里是 600', hint: '1 到 60 的秒数，默认 8' });
    expect(problems(withDefaults('  fetchLinks:\n    enabled: true\n    hosts: []'))[0]).toMatchObject({ path: 'defaults.fetchLinks.hosts' });
  });
});
