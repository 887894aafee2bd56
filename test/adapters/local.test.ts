import { describe, expect, it } from 'vitest';
import { LocalAdapter, LOCAL_BOT_ID, normalize, toPlainText } from '../../adapters/local/index.ts';
import { adapterContract } from './contract.ts';

adapterContract('local', async () => {
  const adapter = new LocalAdapter({ print: () => {}, maxChars: 500 });
  const group = '东电校友会·北京分会';
  return {
    adapter,
    group,
    channel: '电气学院2026届就业信息群',
    maxChars: 500,
    injectGroupText: (text, sender = { id: 'u-1', name: '校友' }) =>
      adapter.post({ platform: 'wechat', group, senderId: sender.id, senderName: sender.name, text }),
    injectOwnText: (text) => adapter.post({ platform: 'wechat', group, senderId: LOCAL_BOT_ID, text }),
    sentTexts: async (chat) => adapter.sent.filter((s) => s.chat === chat).map((s) => s.text),
    failNextSendWith429: (chat, seconds) => adapter.failNextSend(chat, seconds * 1000),
    close: async () => {},
  };
});

describe('local normalize', () => {
  it('drops empty, own and malformed messages', () => {
    expect(normalize({ group: 'g', senderId: 'u', text: '   ' })).toBeNull();
    expect(normalize({ group: 'g', senderId: LOCAL_BOT_ID, text: 'hi' })).toBeNull();
    expect(normalize({ group: '', senderId: 'u', text: 'hi' })).toBeNull();
    expect(normalize(null as never)).toBeNull();
  });

  it('keeps the platform a sample names', () => {
    const m = normalize({ platform: 'lark', group: 'oc_1', senderId: 'u', text: ' 内推 ' }, new Date('2026-11-21T00:00:00Z'));
    expect(m).toMatchObject({ platform: 'lark', chatId: 'oc_1', text: '内推', sentAt: '2026-11-21T00:00:00.000Z' });
  });
});

describe('toPlainText', () => {
  it('reads Telegram HTML and Lark posts as text', () => {
    expect(toPlainText({ format: 'html', body: '<b>A&amp;B</b> <a href="https://x.cn/j">投递</a>' })).toBe('A&B 投递 https://x.cn/j');
    const post = { zh_cn: { title: 'T', content: [[{ tag: 'text', text: '1. ' }, { tag: 'a', text: '链接', href: 'https://x.cn' }]] } };
    expect(toPlainText({ format: 'lark-post', body: JSON.stringify(post) })).toBe('T\n1. 链接 https://x.cn');
  });
});
