import { describe, expect, it } from 'vitest';
import {
  isSandbox,
  podContainerName,
  podContainerOf,
  podLabelsOf,
} from '../../src/sources/containerd-live/cri-pod.js';

const labels = (over: Record<string, string> = {}) => ({
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.name': 'web-7d9f-x2',
  'io.kubernetes.pod.uid': '0b6c2d1e-8f3a-4c5b-9d7e-112233445566',
  'io.kubernetes.container.name': 'php',
  ...over,
});

describe('a pod container from its CRI labels', () => {
  it('is named namespace/pod/container, with the uid that names its log folder', () => {
    const pod = podContainerOf(labels())!;
    expect(podContainerName(pod)).toBe('shop/web-7d9f-x2/php');
    expect(pod.uid).toBe('0b6c2d1e-8f3a-4c5b-9d7e-112233445566');
  });

  it('refuses names Kubernetes does not allow, which would become folder names', () => {
    for (const bad of <Record<string, string>[]>[
      { 'io.kubernetes.pod.namespace': '../etc' },
      { 'io.kubernetes.pod.name': 'web/../../root' },
      { 'io.kubernetes.container.name': 'PHP' },
      { 'io.kubernetes.container.name': 'a\u001b[2Jb' },
      { 'io.kubernetes.pod.name': 'a'.repeat(254) },
    ])
      expect(podContainerOf(labels(bad))).toBeUndefined();
    expect(podContainerOf({})).toBeUndefined();
  });

  it('keeps the names but drops a uid that is not one', () => {
    expect(podContainerOf(labels({ 'io.kubernetes.pod.uid': '../../x' }))?.uid).toBeUndefined();
  });

  it("reads the pod's own labels from its sandbox, leaving out Kubernetes' and containerd's", () => {
    const sandbox = {
      ...labels(),
      'io.cri-containerd.kind': 'sandbox',
      app: 'shop-web',
      'app.kubernetes.io/part-of': 'shop',
      'bad key': 'x',
      tier: 'value with spaces',
    };
    expect(isSandbox(sandbox)).toBe(true);
    expect(podLabelsOf(sandbox)).toEqual({ app: 'shop-web', 'app.kubernetes.io/part-of': 'shop' });
  });
});
