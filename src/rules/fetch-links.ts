// defaults.fetchLinks: whether the relay may open a shared article's page to read its text (issue 15).
// Off by default: the relay then reads only the title and summary the platform shows on the link card.
// When on, only the listed hosts are fetched, never an address on a private network (src/media/link-fetch.ts).
//
//   defaults:
//     fetchLinks:
//       enabled: true
//       hosts: [mp.weixin.qq.com, "*.zhaopin.com"]
//       timeoutSeconds: 8
//       maxKB: 2048
import { z } from 'zod';
import type { LinkFetchOptions } from '../media/link-fetch.ts';

/** "mp.weixin.qq.com", "*.example.com" (every subdomain), "jobs.example.com:8443" (that port only). */
export const HOST_ENTRY = /^(\*\.)?[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*(?::\d{1,5})?$/;

export const FetchLinks = z
  .strictObject({
    enabled: z.boolean().default(false).describe('true：打开分享文章的网页读取正文（只读 hosts 里的网站，从不访问内网地址）；默认 false，只用链接卡片的标题和摘要'),
    hosts: z
      .array(z.string().trim().toLowerCase().regex(HOST_ENTRY))
      .min(1)
      .default(['mp.weixin.qq.com'])
      .describe('允许读取的网站（只写域名，不写 https:// 和路径）：mp.weixin.qq.com；"*.example.com" 表示它的所有子域名（要加引号）；需要非标准端口时写 域名:端口'),
    timeoutSeconds: z.number().min(1).max(60).default(8).describe('读取一个网页最多等待的秒数（含跳转），默认 8'),
    maxKB: z.number().int().min(16).max(16384).default(2048).describe('每个网页最多读取多少 KB（解压后），超出部分不读，默认 2048'),
    maxChars: z.number().int().min(100).max(20000).default(2000).describe('附加到内推上的网页文字最多几个字，默认 2000'),
  })
  .default({ enabled: false, hosts: ['mp.weixin.qq.com'], timeoutSeconds: 8, maxKB: 2048, maxChars: 2000 })
  .describe('是否读取分享文章的网页正文（默认关闭）');
export type FetchLinks = z.infer<typeof FetchLinks>;

/** The rules' settings as fetchLinkText's options (seconds and KB to ms and bytes). */
export function linkFetchOptions(settings: FetchLinks): LinkFetchOptions {
  return {
    enabled: settings.enabled,
    hosts: settings.hosts,
    timeoutMs: Math.round(settings.timeoutSeconds * 1000),
    maxBytes: settings.maxKB * 1024,
    maxChars: settings.maxChars,
  };
}

/** Hints for rules/messages.ts, by key. */
export const FETCH_LINKS_KEY_HINTS: Record<string, string> = {
  hosts: '只写网站的域名，例如 hosts: [mp.weixin.qq.com, "*.example.com"]（不写 https:// 和路径）',
  timeoutSeconds: '1 到 60 的秒数，默认 8',
  maxKB: '16 到 16384 的整数（KB），默认 2048',
  maxChars: '100 到 20000 的整数，默认 2000',
};

/** An admin who pasted a whole link where a host belongs: the host to write instead. */
export function hostOfPastedLink(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) return undefined;
  try {
    const url = new URL(value.trim());
    return url.port ? `${url.hostname}:${url.port}` : url.hostname;
  } catch {
    return undefined;
  }
}
