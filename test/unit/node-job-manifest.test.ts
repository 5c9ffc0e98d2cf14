/**
 * The Kubernetes Job that runs coroner on a suspect pod's node (deploy/node-job): read as
 * YAML and checked for what the triage needs of the node.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli.js';
import { ROOT } from '../support/engine.js';
import { readYamlDocuments, type YamlValue } from '../support/yaml-document.js';

const FILE = path.join(ROOT, 'deploy/node-job/coroner-triage-job.yaml');
const text = readFileSync(FILE, 'utf8');

type Obj = { [key: string]: YamlValue };
const obj = (v: YamlValue | undefined): Obj => {
  expect(v, 'a mapping').toBeTypeOf('object');
  expect(Array.isArray(v)).toBe(false);
  return v as Obj;
};
const list = (v: YamlValue | undefined): YamlValue[] => {
  expect(Array.isArray(v), 'a sequence').toBe(true);
  return v as YamlValue[];
};

let job: Obj;
let pod: Obj;
let container: Obj;
let args: string[];

/** The host path behind the container's mount at `mountPath`. */
function hostPathAt(mountPath: string): { hostPath: Obj; mount: Obj } {
  const mount = list(container['volumeMounts'])
    .map(obj)
    .find((m) => m['mountPath'] === mountPath);
  expect(mount, `a mount at ${mountPath}`).toBeDefined();
  const volume = list(pod['volumes'])
    .map(obj)
    .find((v) => v['name'] === mount!['name']);
  expect(volume, `the volume ${mount!['name']}`).toBeDefined();
  return { hostPath: obj(volume!['hostPath']), mount: mount! };
}

beforeAll(async () => {
  const documents = await readYamlDocuments(text);
  expect(documents).toHaveLength(1);
  job = obj(documents[0]);
  pod = obj(obj(obj(job['spec'])['template'])['spec']);
  const containers = list(pod['containers']).map(obj);
  expect(containers).toHaveLength(1);
  container = containers[0]!;
  args = list(container['args']).map(String);
});

describe('the node-job manifest', () => {
  it('is one batch/v1 Job that runs once and is never retried', () => {
    expect(job['apiVersion']).toBe('batch/v1');
    expect(job['kind']).toBe('Job');
    expect(obj(job['spec'])['backoffLimit']).toBe(0);
    expect(pod['restartPolicy']).toBe('Never');
  });

  it("runs on the suspect's node, on any node's taints, with the host's process table", () => {
    expect(pod['nodeName']).toBe('<node>');
    expect(pod['hostPID']).toBe(true);
    // A toleration with no key and operator Exists matches every taint.
    expect(list(pod['tolerations']).map(obj)).toContainEqual({ operator: 'Exists' });
    expect(pod['automountServiceAccountToken']).toBe(false);
  });

  it('runs coroner privileged, as root', () => {
    const security = obj(container['securityContext']);
    expect(security['privileged']).toBe(true);
    expect(security['runAsUser']).toBe(0);
  });

  it("mounts containerd's socket, root and the pod logs at the node's own paths, all but the socket read-only", () => {
    const socket = hostPathAt('/run/containerd/containerd.sock');
    expect(socket.hostPath).toEqual({ path: '/run/containerd/containerd.sock', type: 'Socket' });
    for (const folder of ['/var/lib/containerd', '/var/log/pods']) {
      const { hostPath, mount } = hostPathAt(folder);
      // containerd names its snapshot folders by host paths: the same path inside, or none match.
      expect(hostPath['path']).toBe(folder);
      expect(mount['readOnly']).toBe(true);
    }
  });

  it('writes the case to a host folder at /cases, with a volume claim shown as the other way', () => {
    const { hostPath, mount } = hostPathAt('/cases');
    expect(hostPath['type']).toBe('DirectoryOrCreate');
    expect(mount['readOnly']).toBeUndefined();
    expect(container['workingDir']).toBe('/cases');
    expect(text).toMatch(/^\s*#\s+persistentVolumeClaim:\s*$/m);
  });

  it('triages the named pod container through the mounted socket', () => {
    expect(args[0]).toBe('triage');
    expect(args[args.indexOf('--containerd') + 1]).toBe('/run/containerd/containerd.sock');
    expect(args.at(-1)).toBe('<namespace>/<pod>/<container>');
  });

  it('passes only options coroner has', () => {
    const help = helpText();
    for (const option of args.filter((a) => a.startsWith('--')))
      expect(help).toContain(`${option} `);
  });

  it('explains every placeholder it holds in its header', () => {
    const header = text.slice(0, text.indexOf('apiVersion:'));
    const body = text.slice(text.indexOf('apiVersion:')).replace(/^\s*#.*$/gm, '');
    const placeholders = new Set(body.match(/<[a-z-]+>/g));
    expect(placeholders.size).toBeGreaterThan(0);
    for (const placeholder of placeholders)
      expect(header, placeholder).toMatch(new RegExp(`^#\\s+${placeholder}\\s`, 'm'));
  });
});
