// multipart/form-data as the Bot API receives uploads (https://core.telegram.org/bots/api#sending-files):
// fields are strings (objects JSON-encoded), files are parts with a filename, referenced from fields as
// "attach://<part name>". Just enough of RFC 7578 for the fake Telegram server.

export interface UploadedFile {
  filename: string;
  bytes: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, UploadedFile>;
}

/** The boundary of a multipart/form-data content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /multipart\/form-data;\s*boundary="?([^";]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('no multipart boundary in the body');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    pos += 2; // CRLF after the delimiter
    const next = body.indexOf(delimiter, pos);
    if (next < 0) throw new Error('unterminated multipart body');
    const part = body.subarray(pos, next - 2); // without the CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw new Error('multipart part without a name');
    const filename = /filename="?([^";\r\n]+)"?/i.exec(headers)?.[1];
    if (filename !== undefined) files[name] = { filename, bytes: Buffer.from(content) };
    else fields[name] = content.toString('utf8');
    pos = next;
  }
  return { fields, files };
}

/** A form field as the Bot API reads it: JSON for objects and arrays, the string otherwise. */
export function fieldValue(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}
