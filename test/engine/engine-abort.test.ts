/**
 * Cancelling a request to the real engine while its answer is still arriving: the
 * failure is a cancellation, not "no Docker engine answers" (the socket reset that the
 * abort itself causes). Seen in CI: Ctrl-C during the freeze's log read exited 1.
 */
import { describe, expect, it } from 'vitest';
import { connectEngine } from '../../src/sources/docker-live/engine.js';
import { Cancelled } from '../../src/errors.js';
import { baseImage } from '../support/engine.js';

describe('an engine stream aborted mid-body', () => {
  it('fails with Cancelled (exit 130), whether aborted before or during the answer', async () => {
    const engine = await connectEngine();
    const image = await baseImage();

    const during = new AbortController();
    const body = await engine.saveImage(image, during.signal);
    const failure = new Promise<unknown>((resolve) => body.on('error', resolve));
    await new Promise((resolve) => body.once('data', resolve));
    during.abort(new Error('SIGINT received'));
    const err = await failure;
    expect(err).toBeInstanceOf(Cancelled);
    expect((err as Cancelled).exitCode).toBe(130);

    const before = new AbortController();
    before.abort(new Error('SIGINT received'));
    await expect(engine.saveImage(image, before.signal)).rejects.toBeInstanceOf(Cancelled);
  });
});
