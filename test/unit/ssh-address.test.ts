import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseSshHost } from '../../src/sources/docker-live/ssh-tunnel.js';

describe('parseSshHost', () => {
  it('takes the forms docker -H ssh:// takes', () => {
    expect(parseSshHost('ssh://admin@web-host')).toEqual({ destination: 'admin@web-host' });
    expect(parseSshHost('ssh://admin@web-host:2222')).toEqual({
      destination: 'admin@web-host',
      port: '2222',
    });
    expect(parseSshHost('ssh://web-host')).toEqual({ destination: 'web-host' });
    expect(parseSshHost('ssh://root@[::1]:22')).toEqual({ destination: 'root@::1', port: '22' });
  });
  it.each([
    ['ssh://root:secret@web-host', /holds a password/],
    ['ssh://-oProxyCommand=touch@web-host', /starting with "-"/],
    ['ssh://root@web-host/var/run/docker.sock', /not an ssh address coroner understands/],
    ['ssh://', /not a valid ssh address|not an ssh address/],
  ])('refuses %s before ssh runs', (address, message) => {
    expect(() => parseSshHost(address)).toThrow(UsageError);
    expect(() => parseSshHost(address)).toThrow(message);
  });
});
