// A pino logger whose JSON lines a test can read (what the relay said, and why).
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/log.ts';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function recordingLogger(level = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
