// What a person sees when the bot's WeChat account needs a QR scan.
// 2026-11: wechaty emits 'scan' with the QR content and a ScanStatus (2 Waiting, 5 Timeout: show a
// code; 3 Scanned, 4 Confirmed: the phone is on it); https://wechaty.js.org/docs/howto/event/ shows the
// code as https://wechaty.js.org/qrcode/<encoded content> and draws it with qrcode-terminal.
import { createRequire } from 'node:module';
import { qrcodeValueToImageUrl } from 'wechaty';

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
