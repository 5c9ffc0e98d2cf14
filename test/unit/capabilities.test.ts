import { describe, expect, it } from 'vitest';
import { capabilityGained, type ChangeFacts } from '../../src/findings/change-rules.js';
import { describeCapabilities, describeCapabilitiesText } from '../../src/report/capabilities.js';
import { metaFromHeader } from '../../src/report/file-meta.js';
import { fileMeta } from '../support/change-facts.js';
import { parseCapabilityDump } from '../../src/sources/layer-store/overlay-xattrs.js';

// As getfattr -e hex prints them after `setcap cap_setuid+ep` and `setcap cap_net_bind_service,cap_net_raw+p`.
const SETUID_EP = Buffer.from('0100000280000000000000000000000000000000', 'hex');
const NET_P = Buffer.from('0000000200240000000000000000000000000000', 'hex');

describe('describeCapabilities', () => {
  it('writes them as getcap does', () => {
    expect(describeCapabilities(SETUID_EP)).toBe('cap_setuid=ep');
    expect(describeCapabilities(NET_P)).toBe('cap_net_bind_service,cap_net_raw=p');
  });
  it('names the namespace root of a v3 value, and what it cannot parse', () => {
    const v3 = Buffer.concat([
      Buffer.from('0100000380000000000000000000000000000000', 'hex'),
      Buffer.from([0xe8, 0x03, 0, 0]),
    ]);
    expect(describeCapabilities(v3)).toBe('cap_setuid=ep [rootid=1000]');
    expect(describeCapabilities(Buffer.from('ff', 'hex'))).toMatch(/^unparsable/);
    expect(describeCapabilities(Buffer.from('0000000900000000', 'hex'))).toMatch(/^unparsable/);
  });
  it('reads the PAX record a layer tar carries, or says it is set when its bytes were lost', () => {
    expect(describeCapabilitiesText(NET_P.toString('latin1'))).toBe(
      'cap_net_bind_service,cap_net_raw=p',
    );
    expect(describeCapabilitiesText(SETUID_EP.toString('utf8'))).toMatch(/^set /);
    const meta = metaFromHeader({
      name: 'usr/bin/python3.11',
      type: 'file',
      mode: 0o755,
      size: 10,
      pax: { 'SCHILY.xattr.security.capability': NET_P.toString('latin1') },
    } as unknown as Parameters<typeof metaFromHeader>[0]);
    expect(meta.capabilities).toBe('cap_net_bind_service,cap_net_raw=p');
  });
});

describe('parseCapabilityDump', () => {
  it("takes getfattr's hex dump, quoted names included", () => {
    const dump = Buffer.from(
      '# file: /l/diff/usr/bin/python3.11\nsecurity.capability=0x0100000280000000000000000000000000000000\n\n# file: /l/diff/a\\040b\nsecurity.capability=0x0000000200240000000000000000000000000000\n',
    );
    const found = parseCapabilityDump(dump);
    expect([...found.keys()]).toEqual(['/l/diff/usr/bin/python3.11', '/l/diff/a b']);
  });
});

describe('capabilityGained', () => {
  const file = fileMeta;

  const changed = (before?: string, after?: string): ChangeFacts => ({
    path: '/usr/bin/python3.11',
    kind: 'C',
    original: file(before ? { capabilities: before } : {}),
    current: file(after ? { capabilities: after } : {}),
  });
  it('calls cap_setuid on python3 critical, root for whoever runs it', () => {
    expect(capabilityGained(changed(undefined, 'cap_setuid=ep'))).toMatchObject({
      severity: 'critical',
      attack: 'T1548',
      reason: expect.stringMatching(/cap_setuid=ep \(cap_setuid: root/),
    });
  });
  it('calls a lesser one high, and leaves capabilities the image already gave alone', () => {
    expect(capabilityGained(changed(undefined, 'cap_net_bind_service=ep'))?.severity).toBe('high');
    expect(capabilityGained(changed('cap_net_raw=ep', 'cap_net_raw=ep'))).toBeUndefined();
    expect(capabilityGained(changed(undefined, undefined))).toBeUndefined();
  });
});
