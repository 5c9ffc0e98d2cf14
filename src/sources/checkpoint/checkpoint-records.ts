/**
 * config.dump and spec.dump read into coroner's terms. config.dump is the engine's record
 * of the container (CRI-O and containerd write checkpointctl's ContainerConfig: id, name,
 * rootfsImage, rootfsImageRef, rootfsImageName, runtime, createdTime, checkpointedTime;
 * podman writes its whole container config, with rootfsImageID); spec.dump is the OCI
 * runtime spec the container ran with
 * (https://github.com/opencontainers/runtime-spec/blob/main/config.md). Every field may be
 * missing or of the wrong type: the pod's processes could not write these, but the node's
 * disk could have been altered, so nothing is trusted to be there.
 */
import type { RuntimeConfig } from '../../report/runtime.js';
import { runtimeFromOciSpec } from '../oci-runtime.js';

export interface CheckpointConfig {
  id: string;
  name: string;
  /** The image's id (rootfsImage, rootfsImageID), where the engine recorded one. */
  imageId: string;
  /** rootfsImageRef: a digest or id of the image, as the engine resolved it. */
  imageRef: string;
  /** rootfsImageName: the reference the container was started with. */
  imageName: string;
  createdAt: string;
  checkpointedAt: string;
  runtime: string;
  /** The spec's annotations (CRI labels: io.kubernetes.pod.name…), for the container list. */
  labels: Record<string, string>;
  command: string[];
  /** Why a record could not be read, in words. */
  problems: string[];
}

type Json = Record<string, unknown>;

const str = (o: Json | undefined, key: string): string =>
  typeof o?.[key] === 'string' ? (o[key] as string) : '';
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** A JSON object from a record's bytes, or why not. */
export function parseRecord(
  bytes: Buffer | undefined,
  name: string,
): { value?: Json; problem?: string } {
  if (!bytes) return { problem: `${name} is missing or was not read` };
  try {
    const value = obj(JSON.parse(bytes.toString('utf8')));
    return value ? { value } : { problem: `${name} is not a JSON object` };
  } catch (e) {
    return { problem: `${name} is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

export function readCheckpointConfig(
  configBytes: Buffer | undefined,
  specBytes: Buffer | undefined,
): CheckpointConfig {
  const config = parseRecord(configBytes, 'config.dump');
  const spec = parseRecord(specBytes, 'spec.dump');
  const c = config.value;
  const s = spec.value ?? obj(c?.['spec']); // podman's config.dump holds the spec too
  const annotations = obj(s?.['annotations']) ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') labels[k] = v;
  const id = str(c, 'id');
  return {
    id,
    name: str(c, 'name') || id.slice(0, 12),
    imageId: str(c, 'rootfsImage') || str(c, 'rootfsImageID'),
    imageRef: str(c, 'rootfsImageRef'),
    imageName: str(c, 'rootfsImageName'),
    createdAt: str(c, 'createdTime'),
    checkpointedAt: str(c, 'checkpointedTime'),
    runtime: str(c, 'runtime') || str(c, 'OCIRuntime'),
    labels,
    command: strings(obj(s?.['process'])?.['args']),
    problems: [config.problem, spec.problem].filter((p): p is string => p !== undefined),
  };
}

/** How the container ran, from its OCI runtime spec (spec.dump). */
export function runtimeFromSpec(specBytes: Buffer | undefined): RuntimeConfig {
  return runtimeFromOciSpec(
    parseRecord(specBytes, 'spec.dump').value,
    'the orchestrator (not in a checkpoint)',
  ).runtime;
}
