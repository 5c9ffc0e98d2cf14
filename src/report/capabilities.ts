/**
 * File capabilities: the `security.capability` extended attribute (struct vfs_cap_data,
 * little endian), which gives whoever runs the file those privileges, root or not
 * (`setcap cap_setuid=ep python3` makes python3 a way to root). Written the way getcap
 * writes them: `cap_net_raw,cap_setuid=ep`.
 * https://man7.org/linux/man-pages/man7/capabilities.7.html
 */

const NAMES = [
  'cap_chown',
  'cap_dac_override',
  'cap_dac_read_search',
  'cap_fowner',
  'cap_fsetid',
  'cap_kill',
  'cap_setgid',
  'cap_setuid',
  'cap_setpcap',
  'cap_linux_immutable',
  'cap_net_bind_service',
  'cap_net_broadcast',
  'cap_net_admin',
  'cap_net_raw',
  'cap_ipc_lock',
  'cap_ipc_owner',
  'cap_sys_module',
  'cap_sys_rawio',
  'cap_sys_chroot',
  'cap_sys_ptrace',
  'cap_sys_pacct',
  'cap_sys_admin',
  'cap_sys_boot',
  'cap_sys_nice',
  'cap_sys_resource',
  'cap_sys_time',
  'cap_sys_tty_config',
  'cap_mknod',
  'cap_lease',
  'cap_audit_write',
  'cap_audit_control',
  'cap_setfcap',
  'cap_mac_override',
  'cap_mac_admin',
  'cap_syslog',
  'cap_wake_alarm',
  'cap_block_suspend',
  'cap_audit_read',
  'cap_perfmon',
  'cap_bpf',
  'cap_checkpoint_restore',
];

/** Any of these is root in all but name (or a step from it). */
export const ROOT_EQUIVALENT = new Set([
  'cap_setuid',
  'cap_setgid',
  'cap_sys_admin',
  'cap_sys_module',
  'cap_sys_ptrace',
  'cap_sys_rawio',
  'cap_dac_override',
  'cap_dac_read_search',
  'cap_chown',
  'cap_fowner',
  'cap_setfcap',
  'cap_setpcap',
  'cap_bpf',
]);

function names(low: number, high: number): string[] {
  const found: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    const word = bit < 32 ? low : high;
    if ((word >>> (bit % 32)) & 1) found.push(NAMES[bit] ?? `cap_${bit}`);
  }
  return found;
}

/** The attribute's bytes as getcap shows them; a value it cannot parse is named as such. */
export function describeCapabilities(value: Buffer): string {
  if (value.length < 4) return `unparsable capability data (${value.toString('hex')})`;
  const magic = value.readUInt32LE(0);
  const revision = magic & 0xff000000;
  const isEffective = (magic & 1) === 1;
  const words =
    revision === 0x01000000 ? 1 : revision === 0x02000000 || revision === 0x03000000 ? 2 : 0;
  if (!words || value.length < 4 + words * 8)
    return `unparsable capability data (${value.toString('hex')})`;
  const permitted = names(value.readUInt32LE(4), words === 2 ? value.readUInt32LE(12) : 0);
  const inheritable = names(value.readUInt32LE(8), words === 2 ? value.readUInt32LE(16) : 0);
  const parts: string[] = [];
  if (permitted.length) parts.push(`${permitted.join(',')}=${isEffective ? 'e' : ''}p`);
  if (inheritable.length) parts.push(`${inheritable.join(',')}+i`);
  const rootId = revision === 0x03000000 && value.length >= 24 ? value.readUInt32LE(20) : 0;
  const text = parts.join(' ') || 'none';
  return rootId ? `${text} [rootid=${rootId}]` : text;
}

/**
 * From a tar PAX record (`SCHILY.xattr.security.capability`), which the tar reader gives
 * as text: exact when its bytes survived as text, else named as set.
 */
export function describeCapabilitiesText(value: string): string {
  if (value.includes('\uFFFD')) return 'set (the archive reader cannot give its exact bytes)';
  return describeCapabilities(Buffer.from(value, 'latin1'));
}

/** The capabilities a description names (empty for `none` and unreadable values). */
export function capabilityNames(description: string): string[] {
  return [...description.matchAll(/\bcap_[a-z_0-9]+/g)].map((m) => m[0]);
}

/**
 * What runc, Docker and containerd's CRI plugin give a container unless told otherwise
 * (moby's oci/caps defaults, containerd's oci.WithDefaultSpec): a spec holding more added
 * some, one holding fewer dropped some.
 */
export const RUNTIME_DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
] as const;
