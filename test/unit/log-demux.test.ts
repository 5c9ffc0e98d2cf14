import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxLogStream } from '../../src/sources/docker-live/log-demux.js';
import { CHUNKINGS, streamOf } from '../support/tar-fixtures.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function collect(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('demuxLogStream', () => {
  const data = Buffer.concat([
    frame(1, 'GET / 200\n'),
    frame(2, 'warning: disk\n'),
    frame(1, 'GET /x 404\n'),
    frame(2, ''),
  ]);

  it.each(CHUNKINGS)('keeps stdout and stderr apart whatever the chunking (%s)', async (chunk) => {
    const { stdout, stderr, done } = demuxLogStream(streamOf(data, chunk));
    const [out, err] = await Promise.all([collect(stdout), collect(stderr), done]);
    expect(out).toBe('GET / 200\nGET /x 404\n');
    expect(err).toBe('warning: disk\n');
  });

  it('fails on a stream cut inside a frame', async () => {
    const { stdout, stderr, done } = demuxLogStream(streamOf(data.subarray(0, data.length - 3)));
    stdout.on('error', () => undefined).resume();
    stderr.on('error', () => undefined).resume();
    await expect(done).rejects.toThrow(/middle of a frame/);
  });

  it('fails on a header that is not a log frame', async () => {
    const { stdout, stderr, done } = demuxLogStream(
      streamOf(Buffer.from('plain text, not multiplexed')),
    );
    stdout.on('error', () => undefined).resume();
    stderr.on('error', () => undefined).resume();
    await expect(done).rejects.toThrow(/unknown header/);
  });

  it('reports a source failure through done, even when nobody reads the outputs any more', async () => {
    // As when a cancel stops the log files being written while the engine's answer fails.
    const source = new Readable({ read() {} });
    const { done } = demuxLogStream(source);
    source.destroy(new Error('aborted mid-stream'));
    await expect(done).rejects.toThrow('aborted mid-stream');
    // An 'error' on an output nobody listens to would surface here as an uncaught exception.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
