import type { Classification, Post, PostFields } from '../../src/domain.ts';

let n = 0;

export function classification(over: Omit<Partial<Classification>, 'fields'> & { fields?: Partial<PostFields> } = {}): Classification {
  return {
    isJob: true,
    jobScore: 0.95,
    isScam: false,
    scamScore: 0.01,
    detection: [{ term: '内推', weight: 2, kind: 'job-term' }],
    openToAll: false,
    classes: [{ code: '0806', name: '电气类', confidence: 0.9, evidence: [{ term: '电气工程及其自动化', weight: 3, kind: 'major-name' }] }],
    colleges: ['electrical'],
    ...over,
    fields: { roles: [], links: [], emails: [], degrees: [], ...over.fields },
  };
}

export function post(over: Partial<Post> & { fields?: Partial<PostFields>; colleges?: string[] } = {}): Post {
  const id = over.id ?? `p${++n}`;
  const { fields, colleges, ...rest } = over;
  return {
    id,
    text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业，本科/硕士，南京。',
    fingerprint: (BigInt(n) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, '0'),
    sources: [{ platform: 'wechat', chatId: '东电校友会·北京分会', messageId: `m${n}`, senderId: 'u1', senderName: '王磊（2012级电气）', sentAt: '2026-11-20T01:00:00.000Z' }],
    receivedAt: '2026-11-20T01:00:00.000Z',
    status: 'active',
    classification: classification({ fields, ...(colleges ? { colleges } : {}) }),
    digestedFor: [],
    ...rest,
  };
}
