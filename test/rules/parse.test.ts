import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { formatProblem, loadRulesFile, parseRules, RulesError, type RulesProblem } from '../../src/rules/index.ts';

const catalog = loadCatalog();
const minimal = `
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

function problems(text: string, file = 'rules/test.yaml'): RulesProblem[] {
  try {
    parseRules(text, file, catalog);
  } catch (err) {
    if (err instanceof RulesError) return err.problems;
    throw err;
  }
  throw new Error('expected a RulesError');
}

describe('parseRules', () => {
  it('accepts the shipped example and fills defaults', () => {
    const rules = parseRules(readFileSync('rules/routing.yaml', 'utf8'), 'rules/routing.yaml', catalog);
    expect(rules.colleges.length).toBeGreaterThanOrEqual(9);
    expect(rules.defaults.timezone).toBe('Asia/Shanghai');
    const minimalRules = parseRules(minimal, 'm.yaml', catalog);
    expect(minimalRules.defaults).toMatchObject({ timezone: 'Asia/Shanghai', digest: '0 9 * * *', detection: { threshold: 0.5 } });
    expect(minimalRules.privacy.attribution).toBe('initials');
    expect(minimalRules.colleges[0]).toMatchObject({ keywords: [], openToAll: false, majors: [] });
  });

  it('reports a YAML syntax error with file:line:column', () => {
    const [p] = problems('sources:\n  - platform: wechat\n    group: [unclosed\ncolleges: []\n');
    expect(p).toMatchObject({ file: 'rules/test.yaml', line: 4, col: 1 });
    expect(p!.message).toMatch(/YAML 语法错误/);
    expect(p!.hint).toMatch(/括号|缩进/);
  });

  it('reports a misspelt key where it stands, with a suggestion', () => {
    const p = problems(minimal.replace('    classes:', '    clases:')).find((x) => x.path === 'colleges[0].clases');
    expect(p).toMatchObject({ line: 8, col: 5, path: 'colleges[0].clases' });
    expect(p!.message).toBe('未知的键 "clases"');
    expect(p!.hint).toBe('是不是 "classes"？');
  });

  it('reports an unknown class code and an unknown major code', () => {
    const ps = problems(minimal.replace('["0806"]', '["0806", "9999"]\n    majors: ["080699"]'));
    expect(ps.map((p) => [p.line, p.path])).toEqual([
      [8, 'colleges[0].classes[1]'],
      [9, 'colleges[0].majors[0]'],
    ]);
    expect(ps[0]!.message).toContain('没有专业类代码 "9999"');
    expect(ps[0]!.hint).toBe('相近的专业类："1400"（交叉学科类）、"1305"（设计学类）、"1304"（美术学类）');
    // 080699 is no major: the hint offers majors of its class, 0806 电气类.
    expect(ps[1]!.hint).toMatch(/^相近的专业：("0806\w+"（[^）]+）、?){3}$/);
  });

  it('explains an unquoted class code', () => {
    const [p] = problems(minimal.replace('["0806"]', '[0806]'));
    expect(p!.message).toContain('这里是数字 806');
    expect(p!.hint).toContain('写成 "0806"');
  });

  it('reports a bad cron, a bad time zone and a duplicate college id', () => {
    const text = minimal
      .replace('sources:', 'defaults:\n  timezone: Mars/Olympus\nsources:')
      .replace('    classes: ["0806"]', '    classes: ["0806"]\n    digest: "61 9 * * *"') +
      '  - id: ee\n    name: 又一个\n    classes: ["0807"]\n    channels: [{ platform: wechat, chat: 学生群 }]\n';
    const ps = problems(text);
    expect(ps.map((p) => p.path)).toEqual(['defaults.timezone', 'colleges[0].digest', 'colleges[1].id']);
    expect(ps[1]!.message).toMatch(/不是有效的 cron 表达式/);
    expect(ps[1]!.hint).toContain('"30 8 * * 1-5"');
    expect(ps[0]!.message).toBe('未知时区 "Mars/Olympus"');
    expect(ps[1]).toMatchObject({ line: 11, col: 13 });
    expect(ps[2]!.message).toContain('学院 id "ee" 重复');
  });

  it('rejects a cron with the wrong number of fields', () => {
    const [p] = problems(minimal.replace('sources:', 'defaults:\n  digest: "9 * *"\nsources:'));
    expect(p!.message).toMatch(/有 3 段/);
  });

  it('rejects a channel that is also a source (a forwarding loop)', () => {
    const [p] = problems(minimal.replace('platform: telegram\n        chat: "-100123"', 'platform: wechat\n        chat: 校友群'));
    expect(p!.path).toBe('colleges[0].channels[0].chat');
    expect(p!.message).toMatch(/转发循环/);
  });

  it('reports every kind of problem in one run, in file order', () => {
    const text = `defaults:
  digst: "0 9 * * *"
sources:
  - platform: wechat
    group: 校友群
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806", "9999"]
    digest: "0 25 * * *"
    channels:
      - platform: telegram
        chat: "-100123"
  - id: cs
    name: [oops
`;
    const ps = problems(text);
    const kinds = ps.map((p) => `${p.line}:${p.col} ${p.message.split(/[;:(]/)[0]}`);
    expect(kinds.some((k) => k.startsWith('2:3 未知的键 "digst"'))).toBe(true);
    expect(ps.some((p) => p.path === 'colleges[0].classes[1]' && p.line === 9)).toBe(true);
    expect(ps.some((p) => p.path === 'colleges[0].digest' && p.line === 10)).toBe(true);
    expect(ps.some((p) => p.message.startsWith('YAML 语法错误'))).toBe(true);
    for (const p of ps) expect(p.file).toBe('rules/test.yaml');
  });

  it('rejects a college that could never receive anything and a college without channels', () => {
    const ps = problems(minimal.replace('    classes: ["0806"]\n', '').replace(/    channels:[\s\S]*$/, ''));
    expect(ps.map((p) => p.path).sort()).toEqual(['colleges[0].channels', 'colleges[0].classes']);
  });

  it('suggests the key meant at any depth, from the keys allowed there', () => {
    const text = minimal
      .replace('sources:', 'defaults:\n  detection: { treshold: 0.4 }\nsources:')
      .replace('        chat: "-100123"', '        chta: "-100123"')
      .replace('    group: 校友群', '    group: 校友群\n    nmae: 北京');
    const ps = problems(text);
    const byPath = new Map(ps.map((p) => [p.path, p]));
    expect(byPath.get('defaults.detection.treshold')?.hint).toBe('是不是 "threshold"？');
    expect(byPath.get('sources[0].nmae')?.hint).toBe('是不是 "name"？');
    expect(byPath.get('colleges[0].channels[0].chta')?.hint).toBe('是不是 "chat"？');
    // Nothing close: the keys that are allowed there, not every key of the schema.
    const [far] = problems(minimal.replace('    group: 校友群', '    group: 校友群\n    remark: 北京'));
    expect(far!.hint).toBe('这里可用的键：platform、group、name、ack、hints、guideEvery、thanks');
  });

  it('tells an admin to quote a Telegram chat id written as a number', () => {
    const [p] = problems(minimal.replace('chat: "-100123"', 'chat: -1001234'));
    expect(p).toMatchObject({ path: 'colleges[0].channels[0].chat', line: 11 });
    expect(p!.message).toBe('应为文本，这里是数字 -1001234');
    expect(p!.hint).toBe('Telegram 的 chat id 是数字，要加引号：chat: "-1001234"');
  });

  it('guesses a misspelt platform, a misspelt time zone, and a college id that is not a slug', () => {
    const text = minimal
      .replace('sources:', 'defaults:\n  timezone: Asia/Shanghia\nsources:')
      .replace('platform: wechat', 'platform: wechatt')
      .replace('id: ee', 'id: EE College');
    const hints = Object.fromEntries(problems(text).map((p) => [p.path, p.hint]));
    expect(hints).toEqual({
      'defaults.timezone': '是不是 "Asia/Shanghai"？',
      'sources[0].platform': '是不是 "wechat"？',
      'colleges[0].id': '例如 id: ee-college',
    });
  });

  it('says a major code belongs in majors and a class code in classes', () => {
    const ps = problems(minimal.replace('["0806"]', '["080601"]\n    majors: ["0807"]'));
    expect(ps.map((p) => p.hint)).toEqual(['"080601" 是专业代码（电气工程及其自动化），写到 majors 里', '"0807" 是专业类代码（电子信息类），写到 classes 里']);
  });

  it('names a missing rules file and how to point at another one', () => {
    let err: unknown;
    try {
      loadRulesFile('/nonexistent/routing.yaml', catalog);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RulesError);
    expect(formatProblem((err as RulesError).problems[0]!)).toBe(
      '/nonexistent/routing.yaml:1:1: 文件不存在。提示：检查路径；规则文件默认是项目里的 rules/routing.yaml，也可以用 --rules 或环境变量 RELAY_RULES 指定',
    );
  });
});
