/**
 * The kernel's socket tables for one network namespace (/proc/<pid>/net/tcp, tcp6,
 * udp, udp6, unix), read as text: addresses are hex, each 32-bit word in the host's
 * byte order (little-endian here). Pure, so the parsing is unit-tested.
 * https://docs.kernel.org/networking/proc_net_tcp.html
 */
import type { SocketRecord } from '../../report/process.js';

export interface TableSocket extends SocketRecord {
  /** The socket's inode: /proc/<pid>/fd links name it as `socket:[inode]`. */
  inode: number;
}

/** `0100007F` -> `127.0.0.1`; 32 hex digits -> a compressed IPv6 address. */
export function hexAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // An IPv4-mapped address reads better as IPv4.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff')
    return `::ffff:${bytes.slice(12).join('.')}`;
  return compressIpv6(groups);
}

function compressIpv6(groups: string[]): string {
  let best = { at: -1, length: 0 };
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return groups.join(':');
  const head = groups.slice(0, best.at).join(':');
  const tail = groups.slice(best.at + best.length).join(':');
  return `${head}::${tail}`;
}

function endpoint(field: string, isV6: boolean): string {
  const [address = '', port = '0'] = field.split(':');
  const ip = hexAddress(address);
  return `${isV6 ? `[${ip}]` : ip}:${parseInt(port, 16)}`;
}

const TCP_STATES: Record<string, SocketRecord['state']> = { '0A': 'listen', '01': 'established' };

/** One of the tcp, tcp6, udp, udp6 tables. */
export function parseInetTable(
  text: string,
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6',
): TableSocket[] {
  const isV6 = protocol.endsWith('6');
  const sockets: TableSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [, local = '', remote = '', st = ''] = f;
    const remoteEnd = endpoint(remote, isV6);
    const isRemoteUnset = /^(0+)$/.test(remote.split(':')[0] ?? '') && remote.endsWith(':0000');
    let state: SocketRecord['state'] = TCP_STATES[st] ?? 'other';
    // A UDP socket has no listen state: bound and unconnected is how it listens.
    if (protocol.startsWith('udp')) state = isRemoteUnset ? 'listen' : 'established';
    const remoteIp = hexAddress(remote.split(':')[0] ?? '');
    sockets.push({
      protocol,
      state,
      local: endpoint(local, isV6),
      ...(isRemoteUnset ? {} : { remote: remoteEnd, isRemotePublic: isPublicAddress(remoteIp) }),
      inode: Number(f[9]),
    });
  }
  return sockets;
}

/** The unix table: only sockets with a path that listen (others say little). */
export function parseUnixTable(text: string): TableSocket[] {
  const sockets: TableSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; flag 00010000 is __SO_ACCEPTCON (listening).
    if (f.length < 8 || !(parseInt(f[3] ?? '0', 16) & 0x10000)) continue;
    sockets.push({
      protocol: 'unix',
      state: 'listen',
      local: f.slice(7).join(' '),
      inode: Number(f[6]),
    });
  }
  return sockets;
}

/** Routable on the internet: not private, loopback, link-local, unspecified, multicast or CGNAT. */
export function isPublicAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    return !(
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const lower = ip.toLowerCase();
  return !(
    lower === '::' ||
    lower === '::1' ||
    lower.startsWith('fe80:') ||
    lower.startsWith('fc') ||
    lower.startsWith('fd') ||
    lower.startsWith('ff')
  );
}
