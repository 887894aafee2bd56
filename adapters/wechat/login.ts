// What a person sees when the bot's WeChat account needs a QR scan.
// 2026-11: wechaty emits 'scan' with the QR content and a ScanStatus (2 Waiting, 5 Timeout: show a
// code; 3 Scanned, 4 Confirmed: the phone is on it); https://wechaty.js.org/docs/howto/event/ shows the
// code as https://wechaty.js.org/qrcode/<encoded content> and draws it with qrcode-terminal.
import { createRequire } from 'node:module';

/**
 * The page that shows the QR content as an image (the link wechaty's docs print). Ours, not wechaty's
 * qrcodeValueToImageUrl: a value imported from 'wechaty' loads its whole main entry (see index.ts).
 */
export const qrcodeValueToImageUrl = (qrcode: string): string => `https://wechaty.js.org/qrcode/${encodeURIComponent(qrcode)}`;

/** wechaty-puppet's ScanStatus by number (the comment above; the enum itself is a value from 'wechaty'). */
export const SCAN_STATUS = ['Unknown', 'Cancel', 'Waiting', 'Scanned', 'Confirmed', 'Timeout'] as const;
export const SCAN_WAITING = 2;
export const SCAN_TIMEOUT = 5;

/** The QR content drawn for a terminal, or '' when qrcode-terminal cannot draw it. */
export function drawQr(qrcode: string): string {
  let drawing = '';
  const qrcodeTerminal = createRequire(import.meta.url)('qrcode-terminal') as {
    generate(text: string, opts: { small?: boolean }, cb: (qr: string) => void): void;
  };
  qrcodeTerminal.generate(qrcode, { small: true }, (qr) => {
    drawing = qr;
  });
  return drawing;
}

/** The bilingual login banner: the drawn code, how to scan it, a link to open, where the session is kept. */
export function loginInstructions(qrcode: string, drawing: string, sessionDir: string): string {
  const url = qrcodeValueToImageUrl(qrcode);
  return [
    '',
    '==== 微信登录 / WeChat login ====',
    drawing,
    '请用机器人要使用的微信号扫描上面的二维码：手机微信 → 右上角「+」→「扫一扫」，再在手机上点「登录」。',
    'Scan the code above with the WeChat account the bot will use: WeChat on the phone → "+" (top right) → "Scan", then tap "Log In" on the phone.',
    `二维码显示不全？在浏览器打开 / If the code does not show properly, open: ${url}`,
    `登录信息保存在 ${sessionDir}，重启后一般无需再扫码。 / The session is kept in ${sessionDir}; restarts usually need no new scan.`,
    '',
  ].join('\n');
}
