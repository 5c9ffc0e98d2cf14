/**
 * The container's log as the json-file log driver left it on the dead box
 * (`containers/<id>/<id>-json.log`, one JSON object a line: `log`, `stream`,
 * `time`): the last lines, read backwards from the end within a byte bound so a
 * log of gigabytes costs no more than its tail, split into stdout and stderr
 * with each line's time in front, as a live triage keeps them.
 */
import { readTailLines } from './log-tail-lines.js';

export interface LogTail {
  stdout: Buffer;
  stderr: Buffer;
  /** Lines that were not json-file records (a torn last line, or tampering). */
  unreadable: number;
}

/** The last `lines` records of a json-file log, reading at most `maxBytes` from its end. */
export async function readJsonFileLogTail(
  file: string,
  lines: number,
  maxBytes: number,
): Promise<LogTail> {
  const records = await readTailLines(file, lines, maxBytes);
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
