import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { parseRules, RulesError, type RulesProblem } from '../../src/rules/index.ts';

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
    expect(p!.message).toMatch(/YAML syntax/);
  });

  it('reports a misspelt key where it stands, with a suggestion', () => {
    const p = problems(minimal.replace('    classes:', '    clases:')).find((x) => x.path === 'colleges[0].clases');
    expect(p).toMatchObject({ line: 8, col: 5, path: 'colleges[0].clases' });
    expect(p!.message).toContain('did you mean "classes"');
  });

  it('reports an unknown class code and an unknown major code', () => {
    const ps = problems(minimal.replace('["0806"]', '["0806", "9999"]\n    majors: ["080699"]'));
    expect(ps.map((p) => [p.line, p.path])).toEqual([
      [8, 'colleges[0].classes[1]'],
      [9, 'colleges[0].majors[0]'],
    ]);
    expect(ps[0]!.message).toContain('unknown class code "9999"');
  });

  it('explains an unquoted class code', () => {
    const [p] = problems(minimal.replace('["0806"]', '[0806]'));
    expect(p!.message).toContain('in quotes');
  });

  it('reports a bad cron, a bad time zone and a duplicate college id', () => {
    const text = minimal
      .replace('sources:', 'defaults:\n  timezone: Mars/Olympus\nsources:')
      .replace('    classes: ["0806"]', '    classes: ["0806"]\n    digest: "61 9 * * *"') +
      '  - id: ee\n    name: 又一个\n    classes: ["0807"]\n    channels: [{ platform: wechat, chat: 学生群 }]\n';
    const ps = problems(text);
    expect(ps.map((p) => p.path)).toEqual(['defaults.timezone', 'colleges[0].digest', 'colleges[1].id']);
    expect(ps[1]!.message).toMatch(/not a valid cron/);
    expect(ps[1]).toMatchObject({ line: 11, col: 13 });
    expect(ps[2]!.message).toContain('duplicate college id "ee"');
  });

  it('rejects a cron with the wrong number of fields', () => {
    const [p] = problems(minimal.replace('sources:', 'defaults:\n  digest: "9 * *"\nsources:'));
    expect(p!.message).toMatch(/3 fields/);
  });

  it('rejects a channel that is also a source (a forwarding loop)', () => {
    const [p] = problems(minimal.replace('platform: telegram\n        chat: "-100123"', 'platform: wechat\n        chat: 校友群'));
    expect(p!.path).toBe('colleges[0].channels[0].chat');
    expect(p!.message).toMatch(/forwarding loop/);
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
    expect(kinds.some((k) => k.startsWith('2:3 unknown key "digst"'))).toBe(true);
    expect(ps.some((p) => p.path === 'colleges[0].classes[1]' && p.line === 9)).toBe(true);
    expect(ps.some((p) => p.path === 'colleges[0].digest' && p.line === 10)).toBe(true);
    expect(ps.some((p) => p.message.startsWith('YAML syntax'))).toBe(true);
    for (const p of ps) expect(p.file).toBe('rules/test.yaml');
  });

  it('rejects a college that could never receive anything and a college without channels', () => {
    const ps = problems(minimal.replace('    classes: ["0806"]\n', '').replace(/    channels:[\s\S]*$/, ''));
    expect(ps.map((p) => p.path).sort()).toEqual(['colleges[0].channels', 'colleges[0].classes']);
  });
});
