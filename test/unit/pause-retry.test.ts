/**
 * A pause the runtime fails on a busy host ("OCI runtime pause failed: unable to freeze"),
 * tried again: seen in CI on this project's own engine tests, and left to callers by runc.
 */
import { describe, expect, it } from 'vitest';
import { retryingRuntimeFailures } from '../../src/sources/docker-live/engine.js';

// Shaped as dockerode's failures are: the status and the engine's JSON body.
const refusal = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode})`), { statusCode, json: { message } });
const FREEZE =
  'Cannot pause container 6572f4a1: OCI runtime pause failed: unable to freeze: unknown';

describe('retryingRuntimeFailures', () => {
  it('tries a pause the runtime failed again, and returns once it succeeds', async () => {
    let calls = 0;
    const pause = async () => {
      if (++calls < 3) throw refusal(500, FREEZE);
      return 'paused';
    };
    await expect(retryingRuntimeFailures(pause, [0, 0, 0])).resolves.toBe('paused');
    expect(calls).toBe(3);
  });

  it('gives the last failure once every try is spent', async () => {
    let calls = 0;
    const pause = async () => {
      calls++;
      throw refusal(500, FREEZE);
    };
    await expect(retryingRuntimeFailures(pause, [0, 0])).rejects.toMatchObject({ statusCode: 500 });
    expect(calls).toBe(3);
  });

  it('does not retry what a retry cannot change: a paused or stopped container, a missing one', async () => {
    for (const status of [409, 404]) {
      let calls = 0;
      const pause = async () => {
        calls++;
        throw refusal(status, 'Container is already paused');
      };
      await expect(retryingRuntimeFailures(pause, [0, 0, 0])).rejects.toMatchObject({
        statusCode: status,
      });
      expect(calls).toBe(1);
    }
  });
});
