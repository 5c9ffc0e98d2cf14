/**
 * The container's log as the json-file log driver left it on the dead box
 * (`containers/<id>/<id>-json.log`, one JSON object a line: `log`, `stream`,
 * `time`): the last lines, read backwards from the end within a byte bound so a
 * log of gigabytes costs no more than its tail, split into stdout and stderr
 * with each line's time in front, as a live triage keeps them.
 */
import { lstat, open } from 'node:fs/promises';

export interface LogTail {
  stdout: Buffer;
  stderr: Buffer;
  /** Lines that were not json-file records (a torn last line, or tampering). */
  unreadable: number;
}

const CHUNK = 64 * 1024;

/** The last `lines` records of a json-file log, reading at most `maxBytes` from its end. */
export async function readJsonFileLogTail(
  file: string,
  lines: number,
  maxBytes: number,
): Promise<LogTail> {
  const info = await lstat(file);
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  const handle = await open(file, 'r');
  const chunks: Buffer[] = [];
  let newlines = 0;
  let position = info.size;
  try {
    while (position > 0 && newlines <= lines && info.size - position < maxBytes) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, position);
      for (const b of chunk) if (b === 0x0a) newlines++;
      chunks.unshift(chunk);
    }
  } finally {
    await handle.close();
  }
  let text = Buffer.concat(chunks);
  // Unless the start of the file was reached, the first line is only the end of one.
  if (position > 0) text = text.subarray(text.indexOf(0x0a) + 1);
  const records = text.toString('utf8').split('\n').filter(Boolean).slice(-lines);
  const out = { stdout: [] as string[], stderr: [] as string[] };
  let unreadable = 0;
  for (const line of records) {
    try {
      const { log, stream, time } = JSON.parse(line) as {
        log?: unknown;
        stream?: unknown;
        time?: unknown;
      };
      if (typeof log !== 'string' || (stream !== 'stdout' && stream !== 'stderr'))
        throw new Error();
      out[stream].push(`${typeof time === 'string' ? time : '-'} ${log}`);
    } catch {
      unreadable++;
    }
  }
  return {
    stdout: Buffer.from(out.stdout.join('')),
    stderr: Buffer.from(out.stderr.join('')),
    unreadable,
  };
}
