// The long-connection side of the Lark fake: the SDK's protobuf frames (pbbp2.Frame) and a minimal
// server-side WebSocket (RFC 6455, just what the SDK's `ws` client needs).
import type { Socket } from 'node:net';

// ───────────────────────────── protobuf frames (pbbp2.Frame) ─────────────────────────────

export const FRAME_CONTROL = 0;
export const FRAME_DATA = 1;

export interface PbFrame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload: Buffer;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, b: Buffer) => Buffer.concat([tag(field, 2), varint(b.length), b]);

export function encodeFrame(f: PbFrame): Buffer {
  const parts = [tag(1, 0), varint(f.SeqID), tag(2, 0), varint(f.LogID), tag(3, 0), varint(f.service), tag(4, 0), varint(f.method)];
  for (const h of f.headers) parts.push(bytesField(5, Buffer.concat([bytesField(1, Buffer.from(h.key)), bytesField(2, Buffer.from(h.value))])));
  parts.push(bytesField(8, f.payload));
  return Buffer.concat(parts);
}

export function decodeFrame(buf: Buffer): PbFrame {
  const frame: PbFrame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [], payload: Buffer.alloc(0) };
  const fields = readFields(buf);
  for (const [field, value] of fields) {
    if (typeof value === 'number') {
      if (field === 1) frame.SeqID = value;
      else if (field === 2) frame.LogID = value;
      else if (field === 3) frame.service = value;
      else if (field === 4) frame.method = value;
    } else if (field === 5) {
      const h = { key: '', value: '' };
      for (const [f2, v2] of readFields(value)) {
        if (f2 === 1 && typeof v2 !== 'number') h.key = v2.toString('utf8');
        if (f2 === 2 && typeof v2 !== 'number') h.value = v2.toString('utf8');
      }
      frame.headers.push(h);
    } else if (field === 8) frame.payload = value;
  }
  return frame;
}

function readFields(buf: Buffer): [number, number | Buffer][] {
  const out: [number, number | Buffer][] = [];
  let i = 0;
  const readVarint = (): number => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, result));
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push([field, readVarint()]);
    else if (wire === 2) {
      const len = readVarint();
      out.push([field, buf.subarray(i, i + len)]);
      i += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** One server-side WebSocket: binary frames out (unmasked), masked frames in. */
export class FakeWsConnection {
  private buffer = Buffer.alloc(0);

  constructor(
    private readonly socket: Socket,
    private readonly onFrame: (frame: PbFrame) => void,
  ) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('error', () => socket.destroy());
    // http.Server sockets are half-open capable: without this, a client that goes away never 'close's here.
    socket.on('end', () => socket.destroy());
  }

  feed(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (b.length < off + maskLen + len) return;
      const mask = b.subarray(off, off + maskLen);
      const payload = Buffer.from(b.subarray(off + maskLen, off + maskLen + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      this.buffer = b.subarray(off + maskLen + len);
      if (opcode === 0x8) {
        this.write(0x8, Buffer.alloc(0));
        this.socket.end();
        return;
      }
      if (opcode === 0x9) this.write(0xa, payload);
      else if (opcode === 0x2) {
        try {
          this.onFrame(decodeFrame(payload));
        } catch {
          /* a frame we cannot read is ignored, as a lenient server would */
        }
      }
    }
  }

  sendFrame(frame: PbFrame): void {
    this.write(0x2, encodeFrame(frame));
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    let head: Buffer;
    if (payload.length < 126) head = Buffer.from([0x80 | opcode, payload.length]);
    else if (payload.length < 65536) {
      head = Buffer.alloc(4);
      head[0] = 0x80 | opcode;
      head[1] = 126;
      head.writeUInt16BE(payload.length, 2);
    } else {
      head = Buffer.alloc(10);
      head[0] = 0x80 | opcode;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([head, payload]));
  }

  destroy(): void {
    this.socket.destroy();
  }
}
