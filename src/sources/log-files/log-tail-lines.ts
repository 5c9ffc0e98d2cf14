/**
 * The last lines of a log file on disk, read backwards from its end within a byte bound,
 * so a log of gigabytes costs no more than its tail. The file is the engine's or the
 * kubelet's, but its lines are the suspect's: they are returned as text, unjudged.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** The last `lines` lines of `file`, reading at most `maxBytes` from its end; never through a link. */
export async function readTailLines(
  file: string,
  lines: number,
  maxBytes: number,
): Promise<string[]> {
  const info = await lstat(file);
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
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
  return text.toString('utf8').split('\n').filter(Boolean).slice(-lines);
}
