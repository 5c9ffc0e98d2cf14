import { describe, expect, it } from 'vitest';
import { criName, matchSubject } from '../../src/sources/containerd-api/cri-names.js';

const UID = '6f1c2a4e-2b1d-4a7e-9c3f-0d5e8b7a1c22';
function criLabels(
  namespace: string,
  pod: string,
  container: string,
  uid = UID,
): Record<string, string> {
  return {
    'io.kubernetes.pod.namespace': namespace,
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.uid': uid,
    'io.kubernetes.container.name': container,
    'io.cri-containerd.kind': 'container',
  };
}
const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

describe('criName', () => {
  it('reads namespace/pod/container and the pod uid from the CRI labels', () => {
    expect(criName(criLabels('shop', 'web-7d9f.blue', 'php'))).toEqual({
      namespace: 'shop',
      pod: 'web-7d9f.blue',
      container: 'php',
      uid: UID,
    });
  });

  it('names no sandbox and no container the kubelet did not make', () => {
    expect(
      criName({ ...criLabels('shop', 'web', 'php'), 'io.cri-containerd.kind': 'sandbox' }),
    ).toBeUndefined();
    expect(criName({})).toBeUndefined();
    const { ['io.kubernetes.pod.uid']: _uid, ...noUid } = criLabels('shop', 'web', 'php');
    expect(criName(noUid)).toBeUndefined();
  });

  it('takes nothing that is not a Kubernetes name for one', () => {
    const hostile = [
      criLabels('Shop', 'web', 'php'),
      criLabels('shop', 'web/../../etc', 'php'),
      criLabels('shop', 'web', 'php\u001b[2J'),
      criLabels('shop', 'web', 'php', '../../etc'),
      criLabels('shop', 'web', 'php', 'a/b'),
      criLabels('a'.repeat(64), 'web', 'php'),
      criLabels('shop', `${'a'.repeat(63)}.`.repeat(4) + 'a', 'php'), // 257 characters
      criLabels('shop', '-web', 'php'),
      criLabels('shop', 'web.', 'php'),
      criLabels('shop', 'web', ''),
    ];
    for (const labels of hostile) expect(criName(labels)).toBeUndefined();
    // The longest pod name Kubernetes allows is still a name.
    const longest = `${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61);
    expect(longest).toHaveLength(253);
    expect(criName(criLabels('shop', longest, 'php'))?.pod).toBe(longest);
  });
});

describe('matchSubject', () => {
  const php = { id: hex(1), labels: criLabels('shop', 'web-7d9f', 'php') };
  const nginx = { id: hex(2), labels: criLabels('shop', 'web-7d9f', 'nginx') };
  const stagingPhp = { id: hex(3), labels: criLabels('staging', 'web-7d9f', 'php') };
  const sandbox = {
    id: hex(4),
    labels: { ...criLabels('shop', 'web-7d9f', ''), 'io.cri-containerd.kind': 'sandbox' },
  };
  const all = [php, nginx, stagingPhp, sandbox];

  it('finds a container by namespace/pod/container, pod/container when unique, full id or unique id prefix', () => {
    expect(matchSubject('shop/web-7d9f/php', all)).toBe(php);
    expect(matchSubject('staging/web-7d9f/php', all)).toBe(stagingPhp);
    expect(matchSubject('web-7d9f/nginx', all)).toBe(nginx);
    expect(matchSubject(hex(4), all)).toBe(sandbox);
    expect(matchSubject('0202', all)).toBe(nginx);
  });

  it('refuses a name two namespaces share, or an id prefix two containers share', () => {
    expect(() => matchSubject('web-7d9f/php', all)).toThrow(
      expect.objectContaining({ name: 'AmbiguousContainer' }),
    );
    const twins = [
      { id: `ab${hex(1).slice(2)}`, labels: {} },
      { id: `ab${hex(2).slice(2)}`, labels: {} },
    ];
    expect(() => matchSubject('ab', twins)).toThrow(/matches 2 containers/);
  });

  it('takes the running one when the kubelet kept an exited container under the same name', () => {
    const restarted = { id: hex(5), labels: criLabels('shop', 'web-7d9f', 'php') };
    expect(() => matchSubject('shop/web-7d9f/php', [php, restarted])).toThrow(
      /matches 2 containers/,
    );
    expect(
      matchSubject('shop/web-7d9f/php', [php, restarted], { running: new Set([hex(5)]) }),
    ).toBe(restarted);
  });

  it('says what containerd holds when nothing matches, escaping the ids it shows', () => {
    const odd = { id: 'evil\u001b[2J', labels: {} };
    const failure = () => matchSubject('shop/web/missing', [php, odd]);
    expect(failure).toThrow(expect.objectContaining({ name: 'ContainerNotFound' }));
    expect(failure).toThrow(/shop\/web-7d9f\/php \(010101010101\)/);
    expect(failure).toThrow(/evil\\e\[2J/);
    expect(() => matchSubject('a/b/c/d', all)).toThrow(
      expect.objectContaining({ name: 'ContainerNotFound' }),
    );
    expect(() => matchSubject('  ', all)).toThrow(expect.objectContaining({ name: 'UsageError' }));
  });
});
