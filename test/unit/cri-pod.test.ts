import { describe, expect, it } from 'vitest';
import {
  isSandbox,
  podContainerName,
  podLabelsOf,
} from '../../src/sources/containerd-live/cri-pod.js';

const labels = (over: Record<string, string> = {}) => ({
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.name': 'web-7d9f-x2',
  'io.kubernetes.pod.uid': '0b6c2d1e-8f3a-4c5b-9d7e-112233445566',
  'io.kubernetes.container.name': 'php',
  ...over,
});

describe('a pod from its sandbox', () => {
  it('is named namespace/pod/container', () => {
    expect(podContainerName({ namespace: 'shop', pod: 'web-7d9f-x2', container: 'php' })).toBe(
      'shop/web-7d9f-x2/php',
    );
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
