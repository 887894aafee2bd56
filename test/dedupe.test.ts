import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE, normalizeForFingerprint, simhash } from '../src/dedupe.ts';

const BASE = `【国网河南省电力公司2026届校园招聘内推】
岗位：电气工程师（变电运维方向）、继电保护专责
专业要求：电气工程及其自动化、电力系统及其自动化等相关专业，本科及以上学历。
工作地点：郑州、洛阳、新乡
待遇：五险一金+企业年金，年薪12-18万，提供人才公寓。
投递方式：简历发送至 hr-henan@sgcc.example.com，邮件标题注明“姓名+学校+岗位”。
网申链接：https://zhaopin.sgcc.example.com/campus/2026?id=8831&utm_source=wechat&from=groupmessage
截止时间：2026年12月5日。内推码：SG2026HN`;

// The same referral as people actually repost it.
const REPOSTS: [string, string][] = [
  ['identical repost', BASE],
  ['forwarded with a note on top', `转自电气学院校友群，学弟学妹们冲！\n${BASE}`],
  ['a line added at the end', `${BASE}\n有问题可以私聊我，19级电气校友。`],
  ['punctuation and spacing changed', BASE.replace(/，/g, ',').replace(/。/g, '.').replace(/：/g, ': ').replace(/\n/g, '  ')],
  ['emoji sprinkled in', BASE.replace('【', '🔥🔥【').replace('待遇', '💰待遇').replace('截止', '⏰截止')],
  ['different tracking parameters', BASE.replace('utm_source=wechat&from=groupmessage', 'utm_source=qq&spm=a1.b2&share_token=zz9')],
  ['full-width letters and digits', BASE.replace('2026届', '２０２６届').replace('SG2026HN', 'ＳＧ２０２６ＨＮ')],
  ['one detail edited', BASE.replace('郑州、洛阳、新乡', '郑州、洛阳、新乡、开封')],
];

// Different referrals from the same company: shared boilerplate, different job.
const SAME_COMPANY: [string, string][] = [
  ['another role and majors', `【国网河南省电力公司2026届校园招聘内推】
岗位：信息通信运维工程师、网络安全专责
专业要求：计算机科学与技术、通信工程、网络空间安全等相关专业，硕士及以上学历。
工作地点：郑州
待遇：五险一金+企业年金，年薪14-20万，提供人才公寓。
投递方式：简历发送至 hr-henan@sgcc.example.com，邮件标题注明“姓名+学校+岗位”。
网申链接：https://zhaopin.sgcc.example.com/campus/2026?id=8840
截止时间：2026年12月12日。内推码：SG2026IT`],
  ['finance role of the same company', `国网河南电力2026届校招·财务岗内推
岗位：财务会计、审计专责，负责电费核算、成本管理与内部审计工作。
专业要求：会计学、财务管理、审计学，本科及以上，有CPA证书者优先。
工作地点：郑州、南阳。待遇五险一金，年薪10-15万。
简历投递：hr-henan@sgcc.example.com，截止2026年12月20日。`],
];

describe('normalizeForFingerprint', () => {
  it('drops whitespace, punctuation, emoji and tracking params; folds width and case', () => {
    expect(normalizeForFingerprint('Ｈｅｌｌｏ， World！🔥 https://a.cn/x?id=3&utm_source=wx')).toBe('helloworldhttpsacnxid3');
    expect(normalizeForFingerprint('内推：电气 工程师。')).toBe('内推电气工程师');
  });
  it('keeps non-tracking query parameters', () => {
    expect(normalizeForFingerprint('https://a.cn/jobs?id=42&spm=x')).toBe('httpsacnjobsid42');
  });
});

describe('simhash', () => {
  it('is 16 hex digits and deterministic', () => {
    expect(simhash(BASE)).toMatch(/^[0-9a-f]{16}$/);
    expect(simhash(BASE)).toBe(simhash(BASE));
    expect(simhash('')).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each(REPOSTS)('a repost (%s) is a near duplicate', (_name, text) => {
    expect(hammingDistance(simhash(BASE), simhash(text))).toBeLessThanOrEqual(NEAR_DUPLICATE_MAX_DISTANCE);
  });

  it.each(SAME_COMPANY)('a different referral from the same company (%s) is not', (_name, text) => {
    expect(hammingDistance(simhash(BASE), simhash(text))).toBeGreaterThan(NEAR_DUPLICATE_MAX_DISTANCE);
  });

  it('leaves a margin between the worst repost and the closest different referral', () => {
    const worstRepost = Math.max(...REPOSTS.map(([, t]) => hammingDistance(simhash(BASE), simhash(t))));
    const closestOther = Math.min(...SAME_COMPANY.map(([, t]) => hammingDistance(simhash(BASE), simhash(t))));
    expect(worstRepost).toBeLessThanOrEqual(NEAR_DUPLICATE_MAX_DISTANCE - 2);
    expect(closestOther).toBeGreaterThanOrEqual(NEAR_DUPLICATE_MAX_DISTANCE + 2);
  });

  it('holds for a short referral too, where each edit moves more bits', () => {
    const short = '字节跳动2026届校招内推：后端开发工程师（北京/上海），计算机相关专业本科及以上，内推码ABCD12，投递链接 https://jobs.example.com/s/abc ，12月10日截止。';
    const repost = `【转】${short}\n欢迎学弟学妹私聊咨询～`;
    const otherRole = '字节跳动2026届校招内推：前端开发工程师（杭州），计算机相关专业本科及以上，内推码ABCD12，投递链接 https://jobs.example.com/s/abd ，12月18日截止。';
    expect(hammingDistance(simhash(short), simhash(repost))).toBeLessThanOrEqual(NEAR_DUPLICATE_MAX_DISTANCE);
    expect(hammingDistance(simhash(short), simhash(otherRole))).toBeGreaterThan(NEAR_DUPLICATE_MAX_DISTANCE);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => /^[0-9a-f]{16}$/.test(simhash(s))));
  });
});

/**
 * The definition the fast simhash must keep (fingerprints are stored, so they may never drift): a
 * ±1 vote per bit of two seeded 32-bit hashes of every 3-unit shingle of normalizeForFingerprint.
 */
function referenceSimhash(text: string): string {
  const norm = normalizeForFingerprint(text);
  const h = (a: number, b: number, c: number, seed: number): number => {
    let x = (0x811c9dc5 ^ seed) >>> 0;
    x = Math.imul(x ^ a, 0x01000193);
    x = Math.imul(x ^ b, 0x01000193);
    x = Math.imul(x ^ c, 0x01000193);
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    x ^= x >>> 16;
    return x >>> 0;
  };
  const v = new Array<number>(64).fill(0);
  const add = (a: number, b: number, c: number): void => {
    const hi = h(a, b, c, 0x9e3779b9);
    const lo = h(a, b, c, 0x7f4a7c15);
    for (let bit = 0; bit < 32; bit++) {
      v[bit]! += ((hi >>> (31 - bit)) & 1) * 2 - 1;
      v[32 + bit]! += ((lo >>> (31 - bit)) & 1) * 2 - 1;
    }
  };
  const n = norm.length;
  if (n > 0 && n < 3) add(norm.charCodeAt(0), n > 1 ? norm.charCodeAt(1) : -1, -1);
  for (let i = 0; i + 3 <= n; i++) add(norm.charCodeAt(i), norm.charCodeAt(i + 1), norm.charCodeAt(i + 2));
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (v[b]! > 0) hi |= 1 << (31 - b);
    if (v[32 + b]! > 0) lo |= 1 << (31 - b);
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

describe('simhash is the reference definition, however it is computed', () => {
  const pieces = fc.constantFrom(
    '内推', '电气工程师', '，', '。', 'Ａ', 'ａ', '\u3000', 'Σ', 'σ', 'İ', 'A\u030A', 'Ａ\u0301', '①', 'ﬁ', 'ｶ', 'ﾊﾟ', '㍿', '²',
    '🔥', '\ud800', 'ß', 'ǅ', 'https://a.cn/?utm_source=1&id=2', 'HTTPS://B.CN/X?spm=3', ' ', 'x', '9', 'Q',
  );

  it.each([['', ''], ['one unit', '内'], ['two units', '内推'], ['three', '内推码'], ['the base referral', BASE], ['emoji', '恭喜🎉🎉']])(
    '%s',
    (_name, text) => expect(simhash(text)).toBe(referenceSimhash(text)),
  );

  it('for job-shaped text with width, case, emoji, Σ, İ and links', () => {
    fc.assert(fc.property(fc.array(pieces, { maxLength: 30 }).map((a) => a.join('')), (s) => simhash(s) === referenceSimhash(s)), { numRuns: 2000 });
  });

  it('for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => simhash(s) === referenceSimhash(s)), { numRuns: 1000 });
  });
});

describe('hammingDistance', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('8000000000000001', '0000000000000000')).toBe(2);
  });
  it('treats malformed fingerprints as maximally distant', () => {
    expect(hammingDistance('xyz', '0000000000000000')).toBe(64);
  });
  it('is symmetric', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => hammingDistance(simhash(a), simhash(b)) === hammingDistance(simhash(b), simhash(a))));
  });
});
