// fetchLinkText against a real loopback HTTP server. The server is on 127.0.0.1, which the real address
// check refuses, so most tests inject `isAllowedAddress` (127.0.0.1 and the public internet) and a resolver
// that names hosts; the default check is tested on its own, including that it refuses this very server.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/media/html-text.ts';
import { checkUrl, fetchLinkText, type LinkFetchOptions } from '../../src/media/link-fetch.ts';
import { ipv6Groups, isPublicAddress } from '../../src/media/public-address.ts';

// A WeChat 公众号 article as its public page is laid out (og:title, #activity-name, #js_content hidden until JS runs).
const ARTICLE = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="国家电网 2027 届校园招聘 &amp; 内推">
<title></title><style>.rich_media_title{font-size:22px}</style>
<script>var msg_title = "not this"; document.write("<div>not this either</div>");</script></head>
<body id="activity-detail"><div id="js_article" class="rich_media"><div class="rich_media_inner">
<h1 class="rich_media_title" id="activity-name">国家电网 2027 届校园招聘</h1>
<div class="rich_media_content js_underline_content" id="js_content" style="visibility: hidden;">
<section><p>招聘岗位：<strong>电气工程师</strong></p><p>专业要求：电气工程及其自动化、自动化</p>
<div><p>投递方式：邮箱 hr@example.com，截止&nbsp;12月31日</p></div><script>alert("x")</script></section></div>
<div class="rich_media_tool" id="js_toobar3">阅读 在看 分享</div></div></div></body></html>`;

// "招聘电气工程师" in GBK (TextEncoder only writes UTF-8).
const GBK_ZHAOPIN = Buffer.from('d5d0c6b8b5e7c6f8b9a4b3cccaa6', 'hex');

const BOMB = gzipSync(Buffer.concat([Buffer.from('<html><body><p>'), Buffer.alloc(64 * 1024 * 1024, 'a')]));
let server: Server;
let port = 0;
const TLS = { cert: readFileSync(new URL('../fixtures/tls/relay-test.cert.pem', import.meta.url)), key: readFileSync(new URL('../fixtures/tls/relay-test.key.pem', import.meta.url)) };
let tlsServer: Server;
let tlsPort = 0;
let requests: string[] = [];
/** /huge: set once the server saw its endless response closed by the client. */
let hugeClosed: Promise<number>;
let hugeClosedResolve: (bytes: number) => void = () => undefined;

function route(req: IncomingMessage, res: ServerResponse): void {
  requests.push(req.url ?? '');
  const html = (body: string | Buffer, type = 'text/html; charset=utf-8') => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  };
  switch (req.url) {
    case '/article':
      return void html(ARTICLE);
    case '/gbk':
      return void html(Buffer.concat([Buffer.from('<html><head><title>GBK</title></head><body><p>'), GBK_ZHAOPIN, Buffer.from('</p></body></html>')]), 'text/html; charset=GBK');
    case '/gbk-meta':
      return void html(Buffer.concat([Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><p>'), GBK_ZHAOPIN, Buffer.from('</p></body></html>')]), 'text/html');
    case '/no-type':
      res.writeHead(200);
      return void res.end('<!DOCTYPE html><html><body><p>没有类型的页面</p></body></html>');
    case '/no-type-binary':
      res.writeHead(200);
      return void res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
    case '/png':
      res.writeHead(200, { 'content-type': 'image/png' });
      return void res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    case '/gzip':
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
      return void res.end(gzipSync('<html><body><article><p>压缩的页面</p></article></body></html>'));
    case '/gzip-bomb':
      // 64 MB of text compresses to ≈ 64 KB: the cap must apply to what comes out of gunzip.
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
      return void res.end(BOMB);
    case '/huge': {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><head><title>Endless</title></head><body>');
      let written = 0;
      let closed = false;
      res.on('close', () => {
        closed = true;
        hugeClosedResolve(written);
      });
      const chunk = Buffer.from(`<p>${'内推'.repeat(2000)}</p>`);
      const pump = () => {
        while (!closed && written < 512 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      return void pump();
    }
    case '/hang':
      return; // never answers
    case '/dribble': {
      res.writeHead(200, { 'content-type': 'text/html' });
      const t = setInterval(() => res.write('<p>a</p>'), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    case '/to-article':
      res.writeHead(302, { location: '/article' });
      return void res.end();
    case '/to-private':
      res.writeHead(302, { location: `http://internal.test:${port}/article` });
      return void res.end();
    case '/to-loopback-literal':
      res.writeHead(301, { location: `http://127.0.0.2:${port}/article` });
      return void res.end();
    case '/to-offlist':
      res.writeHead(307, { location: `http://elsewhere.test:${port}/article` });
      return void res.end();
    case '/to-ftp':
      res.writeHead(302, { location: 'ftp://relay.test/file' });
      return void res.end();
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      return void res.end();
    case '/empty':
      return void html('<html><body><script>only()</script></body></html>');
    default:
      res.writeHead(404, { 'content-type': 'text/html' });
      return void res.end('<p>not found</p>');
  }
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  tlsServer = createTlsServer(TLS, route);
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsPort = (tlsServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => tlsServer.close(() => r()));
});
beforeEach(() => {
  requests = [];
  hugeClosed = new Promise((r) => (hugeClosedResolve = r));
});

const NAMES: Record<string, string[]> = {
  'relay.test': ['127.0.0.1'],
  'internal.test': ['10.0.0.7'],
  'elsewhere.test': ['127.0.0.1'],
  'split.test': ['127.0.0.1', '192.168.1.20'], // one good answer and one private: refused
};
const resolve = async (host: string) => {
  const found = NAMES[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: 4 }));
};

/** Options for the loopback server: it may be reached, everything else private is refused as by default. */
const opts = (extra: Partial<LinkFetchOptions> = {}): LinkFetchOptions => ({
  hosts: [`relay.test:${port}`, `internal.test:${port}`, `split.test:${port}`],
  resolve,
  isAllowedAddress: (a) => a === '127.0.0.1' || isPublicAddress(a),
  timeoutMs: 3000,
  ...extra,
});
const url = (path: string, host = 'relay.test') => `http://${host}:${port}${path}`;

describe('fetchLinkText (loopback server, address check injected)', () => {
  it("reads a WeChat article's title and #js_content, without scripts, styles or the toolbar", async () => {
    const r = await fetchLinkText(url('/article'), opts());
    expect(r).toEqual({
      title: '国家电网 2027 届校园招聘 & 内推',
      text: '国家电网 2027 届校园招聘 & 内推\n\n招聘岗位：电气工程师\n专业要求：电气工程及其自动化、自动化\n投递方式：邮箱 hr@example.com，截止 12月31日',
      url: url('/article'),
      truncated: false,
    });
  });

  it('https: connects to the checked address but verifies the certificate against the host name', async () => {
    const hosts = [`relay.test:${tlsPort}`, `elsewhere.test:${tlsPort}`];
    const https = (host: string) => `https://${host}:${tlsPort}/article`;
    expect(await fetchLinkText(https('relay.test'), opts({ hosts, ca: TLS.cert }))).toMatchObject({ title: '国家电网 2027 届校园招聘 & 内推', url: https('relay.test') });
    // the same server and address under another name: its certificate does not match
    expect(await fetchLinkText(https('elsewhere.test'), opts({ hosts, ca: TLS.cert }))).toEqual({ refused: 'the page could not be read (ERR_TLS_CERT_ALTNAME_INVALID)' });
    // a certificate nobody vouches for
    expect(await fetchLinkText(https('relay.test'), opts({ hosts }))).toEqual({ refused: 'the page could not be read (DEPTH_ZERO_SELF_SIGNED_CERT)' });
  });

  it('bounds the text at maxChars', async () => {
    const r = await fetchLinkText(url('/article'), opts({ maxChars: 30 }));
    expect('text' in r && r.text.length).toBe(30);
    expect(r).toMatchObject({ truncated: true, text: expect.stringMatching(/…$/) });
  });

  it('decodes GBK by header and GB2312 by <meta>', async () => {
    expect(await fetchLinkText(url('/gbk'), opts())).toMatchObject({ title: 'GBK', text: 'GBK\n\n招聘电气工程师' });
    expect(await fetchLinkText(url('/gbk-meta'), opts())).toMatchObject({ text: '招聘电气工程师' });
  });

  it('reads a gzip page, and a page without a content type only when it looks like HTML', async () => {
    expect(await fetchLinkText(url('/gzip'), opts())).toMatchObject({ text: '压缩的页面' });
    expect(await fetchLinkText(url('/no-type'), opts())).toMatchObject({ text: '没有类型的页面' });
    expect(await fetchLinkText(url('/no-type-binary'), opts())).toEqual({ refused: expect.stringMatching(/not a web page/) });
  });

  it('refuses what is not HTML, an error status, and a page with no text', async () => {
    expect(await fetchLinkText(url('/png'), opts())).toEqual({ refused: 'not a web page (image/png)' });
    expect(await fetchLinkText(url('/missing'), opts())).toEqual({ refused: 'the page answered HTTP 404' });
    expect(await fetchLinkText(url('/empty'), opts())).toEqual({ refused: 'the page has no readable text' });
  });

  it('stops reading at maxBytes: an endless page is cut off (the connection closed) and read as far as it got', async () => {
    const started = Date.now();
    const r = await fetchLinkText(url('/huge'), opts({ maxBytes: 64 * 1024 }));
    expect(r).toMatchObject({ title: 'Endless', truncated: true });
    expect(Date.now() - started).toBeLessThan(10_000); // not the 512 MB the server would send
    const written = await hugeClosed; // the server saw the client hang up
    expect(written).toBeLessThan(512 * 1024 * 1024);
  });

  it('applies the cap after decompression (a gzip bomb)', async () => {
    // ≈ 64 KB on the wire, under the 256 KB cap: only a cap on the decompressed bytes cuts it off.
    const r = await fetchLinkText(url('/gzip-bomb'), opts({ maxBytes: 256 * 1024, maxChars: 100 }));
    expect(r).toMatchObject({ truncated: true });
    expect('text' in r && r.text.length).toBe(100);
  });

  it('gives up at the deadline: no answer, or a body that trickles forever', async () => {
    for (const path of ['/hang', '/dribble']) {
      const started = Date.now();
      expect(await fetchLinkText(url(path), opts({ timeoutMs: 300 }))).toEqual({ refused: 'no complete answer within 300 ms' });
      expect(Date.now() - started).toBeLessThan(5000); // the 300 ms deadline, with room for a loaded machine
    }
  });

  it('follows an allowed redirect', async () => {
    expect(await fetchLinkText(url('/to-article'), opts())).toMatchObject({ url: url('/article'), title: '国家电网 2027 届校园招聘 & 内推' });
  });

  it('refuses a redirect to a private address, to a host not on the list, to another scheme, and endless redirects', async () => {
    expect(await fetchLinkText(url('/to-private'), opts())).toEqual({ refused: 'internal.test resolves to 10.0.0.7, a private, loopback or otherwise non-public address' });
    expect(requests).toEqual(['/to-private']); // nothing went to the private address
    expect(await fetchLinkText(url('/to-offlist'), opts())).toEqual({ refused: `redirected to a link that is not allowed: elsewhere.test:${port} is not on the fetchLinks host list` });
    expect(await fetchLinkText(url('/to-ftp'), opts())).toEqual({ refused: 'redirected to a link that is not allowed: only http and https links are fetched, not ftp' });
    expect(await fetchLinkText(url('/loop'), opts({ maxRedirects: 2 }))).toEqual({ refused: 'more than 2 redirects' });
    expect(requests.filter((r) => r === '/loop')).toHaveLength(3);
  });

  it('tries each checked address in turn when the first does not answer', async () => {
    const twoAddresses = async () => ['127.0.0.2', '127.0.0.1'].map((address) => ({ address, family: 4 })); // nothing listens on .2
    const allowed = (a: string) => a === '127.0.0.1' || a === '127.0.0.2';
    const r = await fetchLinkText(url('/article', 'multi.test'), opts({ hosts: [`multi.test:${port}`], resolve: twoAddresses, isAllowedAddress: allowed }));
    expect(r).toMatchObject({ title: '国家电网 2027 届校园招聘 & 内推' });
  });

  it('asks DNS once per hop and connects to the address it checked (a rebinding second answer is never used)', async () => {
    const answers = [['127.0.0.1'], ['10.9.9.9']]; // a rebinding name: a checked first answer, then a private one
    let asked = 0;
    const rebinding = async () => (answers[Math.min(asked++, 1)] ?? []).map((address) => ({ address, family: 4 }));
    const r = await fetchLinkText(url('/article', 'rebind.test'), opts({ hosts: [`rebind.test:${port}`], resolve: rebinding }));
    expect(r).toMatchObject({ title: '国家电网 2027 届校园招聘 & 内推' });
    expect(asked).toBe(1); // and Node did not resolve rebind.test itself (the system resolver knows no such name)
    expect(requests).toEqual(['/article']);
  });

  it('refuses a host with any private address among its answers, an unknown host, and hosts not on the list', async () => {
    expect(await fetchLinkText(url('/article', 'split.test'), opts())).toEqual({ refused: expect.stringContaining('split.test resolves to 192.168.1.20') });
    expect(await fetchLinkText(url('/article', 'nowhere.test'), opts({ hosts: [`nowhere.test:${port}`] }))).toEqual({ refused: 'nowhere.test could not be resolved' });
    expect(await fetchLinkText(url('/article', 'elsewhere.test'), opts())).toEqual({ refused: `elsewhere.test:${port} is not on the fetchLinks host list` });
    expect(await fetchLinkText('not a url', opts())).toEqual({ refused: 'not a valid link' });
    expect(await fetchLinkText(url('/article'), opts({ enabled: false }))).toEqual({ refused: 'link fetching is off (defaults.fetchLinks.enabled)' });
    expect(requests).toEqual([]);
  });
});

describe('fetchLinkText with the default address check', () => {
  // The default resolver and check: nothing private is ever connected to, whatever the allowlist says.
  const real = (hosts: string[]): LinkFetchOptions => ({ hosts, timeoutMs: 3000 });

  it.each([
    ['IPv4 loopback', () => `http://127.0.0.1:${port}/article`],
    ['a hostname resolving to loopback (localhost)', () => `http://localhost:${port}/article`],
    ['IPv6 loopback', () => `http://[::1]:${port}/article`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port}/article`],
    ['loopback written as one number', () => `http://2130706433:${port}/article`],
  ])('refuses %s and sends nothing', async (_what, link) => {
    const host = new URL(link()).host;
    const r = await fetchLinkText(link(), real([host]));
    expect(r).toEqual({ refused: expect.stringMatching(/non-public address/) });
    expect(requests).toEqual([]);
  });

  it('refuses a hostname the resolver maps to a private address (10.x, 192.168.x, 169.254.x, fc00::/7)', async () => {
    for (const address of ['10.1.2.3', '192.168.0.9', '169.254.169.254', 'fd00::5', '172.20.0.1', '100.64.0.1']) {
      const r = await fetchLinkText('http://article.test/', { hosts: ['article.test'], resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
      expect(r).toEqual({ refused: `article.test resolves to ${address}, a private, loopback or otherwise non-public address` });
    }
  });

  it('refuses a redirect to a loopback address literal before connecting', async () => {
    // relay.test (127.0.0.1) is let through by the injected check; 127.0.0.2 meets the default one.
    const r = await fetchLinkText(url('/to-loopback-literal'), opts({ hosts: [`relay.test:${port}`, `127.0.0.2:${port}`] }));
    expect(r).toEqual({ refused: '127.0.0.2, a private, loopback or otherwise non-public address' });
    expect(requests).toEqual(['/to-loopback-literal']);
  });
});

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1', '192.0.2.1',
    '::1', '::', 'fc00::1', 'fdff:ffff::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', 'ff0e::1', '2001:db8::1', '2001::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:c0a8:101', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1', '::127.0.0.1',
    'localhost', '', 'not an address', '1.2.3', '::ffff:999.1.1.1',
  ])('refuses %s', (a) => {
    expect(isPublicAddress(a)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '101.226.103.106', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '240e:1::1', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'allows %s',
    (a) => {
      expect(isPublicAddress(a)).toBe(true);
    },
  );

  it('judges an IPv4 address the same in every IPv6 form that embeds it (mapped, NAT64, 6to4)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hi = ((a << 8) | b).toString(16);
        const lo = ((c << 8) | d).toString(16);
        const expected = isPublicAddress(v4);
        for (const form of [`::ffff:${v4}`, `::ffff:${hi}:${lo}`, `0:0:0:0:0:ffff:${hi}:${lo}`, `64:ff9b::${v4}`, `2002:${hi}:${lo}::1`]) {
          expect([form, isPublicAddress(form)]).toEqual([form, expected]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every address in the private, loopback and link-local IPv4 ranges', () => {
    const inRange = (first: number[], second: [number, number] = [0, 255]) =>
      fc.tuple(fc.constantFrom(...first), fc.integer({ min: second[0], max: second[1] }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map((t) => t.join('.'));
    const privateV4 = fc.oneof(inRange([10]), inRange([127]), inRange([172], [16, 31]), inRange([192], [168, 168]), inRange([169], [254, 254]), inRange([224, 230, 239, 240, 255]));
    fc.assert(fc.property(privateV4, (a) => !isPublicAddress(a) && !isPublicAddress(`::ffff:${a}`)), { numRuns: 2000 });
  });

  it('refuses every ULA, link-local and multicast IPv6 address', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const v6 = (firstMin: number, firstMax: number) => fc.tuple(fc.integer({ min: firstMin, max: firstMax }), fc.array(group, { minLength: 7, maxLength: 7 })).map(([f, rest]) => [f.toString(16), ...rest].join(':'));
    fc.assert(fc.property(fc.oneof(v6(0xfc00, 0xfdff), v6(0xfe80, 0xfebf), v6(0xff00, 0xffff)), (a) => !isPublicAddress(a)), { numRuns: 2000 });
  });

  it('reads any IPv6 spelling the way the URL parser does', () => {
    fc.assert(
      fc.property(fc.ipV6(), (a) => {
        const canonical = new URL(`http://[${a}]/`).hostname.slice(1, -1);
        expect(ipv6Groups(a)).toEqual(ipv6Groups(canonical));
        expect(ipv6Groups(a)).toHaveLength(8);
        expect(isPublicAddress(a)).toBe(isPublicAddress(canonical));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkUrl (the allowlist)', () => {
  it('matches exact hosts on their default ports, wildcard subdomains, named ports, and nothing else', () => {
    const hosts = ['mp.weixin.qq.com', '*.example.com', 'jobs.test:8443'];
    expect(checkUrl(new URL('https://mp.weixin.qq.com/s/abc'), hosts)).toBeUndefined();
    expect(checkUrl(new URL('http://MP.WEIXIN.QQ.COM./s/abc'), hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://a.b.example.com/'), hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://jobs.test:8443/'), hosts)).toBeUndefined();
    expect(checkUrl(new URL('https://example.com/'), hosts)).toMatch(/not on the fetchLinks host list/);
    expect(checkUrl(new URL('https://evilexample.com/'), hosts)).toMatch(/not on the fetchLinks host list/);
    expect(checkUrl(new URL('https://mp.weixin.qq.com.evil.cn/'), hosts)).toMatch(/not on the fetchLinks host list/);
    expect(checkUrl(new URL('https://mp.weixin.qq.com:8080/'), hosts)).toMatch(/not on the fetchLinks host list/);
    expect(checkUrl(new URL('https://jobs.test/'), hosts)).toMatch(/not on the fetchLinks host list/);
    expect(checkUrl(new URL('https://user:pw@mp.weixin.qq.com/'), hosts)).toBe('links with a user name or password are not fetched');
    expect(checkUrl(new URL('file:///etc/passwd'), hosts)).toBe('only http and https links are fetched, not file');
  });
});

describe('htmlToText', () => {
  it('keeps text around a stray "<" and drops a tag cut off at the end', () => {
    expect(htmlToText('<body><p>1 < 2 and 3 <= 4</p><p>cut <b')).toEqual({ text: '1 < 2 and 3 <= 4\ncut' });
    expect(htmlToText('<p title="a>b">x &#x56fd;&#22269; &lt;y&gt; &unknown;</p>')).toEqual({ text: 'x 国国 <y> &unknown;' });
  });

  it('never throws and stays linear on hostile markup', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '/', 'p', 'div', 'script', '"', "'", '=', '!--', '-->', ' ', '字', '&', ';', '#x41') }), (s) => {
        const r = htmlToText(s);
        expect(typeof r.text).toBe('string');
      }),
      { numRuns: 500 },
    );
    // A regex that backtracks would take minutes here (the test's time-out); the tokenizer is one pass.
    for (const hostile of ['<a <a '.repeat(100_000), '<p x="'.repeat(100_000), '<div>'.repeat(100_000), '<!--'.repeat(100_000), '<'.repeat(500_000)]) expect(htmlToText(hostile).text.length).toBeLessThanOrEqual(hostile.length);
  });
});
