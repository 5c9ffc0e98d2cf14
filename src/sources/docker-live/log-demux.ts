/**
 * Splits the engine's multiplexed log stream (8-byte frame headers: stream
 * type, three zero bytes, big-endian length) into stdout and stderr, holding
 * at most one partial header between chunks.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerAttach
 */
import { PassThrough, type Readable } from 'node:stream';

export interface DemuxedLogs {
  stdout: PassThrough;
  stderr: PassThrough;
  /** Resolves when the source ended (or rejects on a malformed frame or source error). */
  done: Promise<void>;
}

export class MalformedLogStream extends Error {}

export function demuxLogStream(source: Readable): DemuxedLogs {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let pending: Buffer = Buffer.alloc(0);
  let remaining = 0; // payload bytes left in the current frame
  let target: PassThrough = stdout;

  const done = (async () => {
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        let buf: Buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        pending = Buffer.alloc(0);
        while (buf.length > 0) {
          if (remaining === 0) {
            if (buf.length < 8) {
              pending = Buffer.from(buf);
              break;
            }
            const kind = buf[0];
            if (
              (kind !== 0 && kind !== 1 && kind !== 2) ||
              buf[1] !== 0 ||
              buf[2] !== 0 ||
              buf[3] !== 0
            ) {
              throw new MalformedLogStream('the engine sent a log frame with an unknown header');
            }
            target = kind === 2 ? stderr : stdout;
            remaining = buf.readUInt32BE(4);
            buf = buf.subarray(8);
            continue;
          }
          const piece = buf.subarray(0, remaining);
          remaining -= piece.length;
          buf = buf.subarray(piece.length);
          if (!target.write(piece)) {
            await new Promise<void>((resolve) => target.once('drain', resolve));
          }
        }
      }
      if (pending.length > 0 || remaining > 0) {
        throw new MalformedLogStream('the log stream ended in the middle of a frame');
      }
      stdout.end();
      stderr.end();
    } catch (e) {
      stdout.destroy(e as Error);
      stderr.destroy(e as Error);
      throw e;
    }
  })();
  // The failure is reported through `done`; the outputs are destroyed with it only to stop
  // their readers, who may already be gone (a cancelled write): it must not go unheard.
  done.catch(() => undefined);
  for (const output of [stdout, stderr]) output.on('error', () => undefined);
  return { stdout, stderr, done };
}
