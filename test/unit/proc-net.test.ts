import { describe, expect, it } from 'vitest';
import {
  hexAddress,
  isPublicAddress,
  parseInetTable,
  parseUnixTable,
} from '../../src/sources/host-proc/proc-net.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 41213 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 41300 1 0000000000000000 20 4 30 10 -1
   2: 0200A8C0:D431 08080808:01BB 01 00000000:00000000 00:00000000 00000000    33        0 41400 1 0000000000000000 20 4 30 10 -1`;

describe('the kernel socket tables', () => {
  it('reads addresses in host byte order, IPv4 and IPv6', () => {
    expect(hexAddress('0100007F')).toBe('127.0.0.1');
    expect(hexAddress('00000000000000000000000001000000')).toBe('::1');
    expect(hexAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(hexAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('finds the listener, the loopback connection and the one to a public address', () => {
    const sockets = parseInetTable(TCP, 'tcp');
    expect(sockets).toEqual([
      { protocol: 'tcp', state: 'listen', local: '0.0.0.0:4444', inode: 41213 },
      {
        protocol: 'tcp',
        state: 'established',
        local: '127.0.0.1:80',
        remote: '127.0.0.1:50000',
        isRemotePublic: false,
        inode: 41300,
      },
      {
        protocol: 'tcp',
        state: 'established',
        local: '192.168.0.2:54321',
        remote: '8.8.8.8:443',
        isRemotePublic: true,
        inode: 41400,
      },
    ]);
  });

  it('keeps listening unix sockets with their path, as unix sockets say little otherwise', () => {
    const unix = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 5001 /tmp/.x/relay sock
0000000000000000: 00000003 00000000 00000000 0001 03 5002 /run/other.sock`;
    expect(parseUnixTable(unix)).toEqual([
      { protocol: 'unix', state: 'listen', local: '/tmp/.x/relay sock', inode: 5001 },
    ]);
  });

  it('tells public addresses from private, loopback and link-local ones', () => {
    for (const ip of [
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '0.0.0.0',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:1.1.1.1'])
      expect(isPublicAddress(ip), ip).toBe(true);
  });
});
