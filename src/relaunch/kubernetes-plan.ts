/**
 * The hardened settings for a Kubernetes pod's container, from what clean twins proved
 * (the same learning as the Docker relaunch, run through containerd) and the triage's
 * churn: the orchestrator owns the pod, so the plan is a securityContext, emptyDir
 * volumes and resource limits the responder applies with kubectl, not a replacement
 * coroner starts. Pure.
 */
import { isRootUser } from '../report/runtime.js';
import type { Learned, TrialRecord } from './learn.js';
import type { PodContainer } from './kubernetes-pod.js';
import { numericUser, writableDirs, type Write } from './plan.js';
import type { ImageUser } from './twin-runner.js';

/** A folder the container writes in: an emptyDir mounted there. */
export interface PodWritablePlace {
  path: string;
  /** The emptyDir's name in the patch. */
  volume: string;
  /**
   * The folder holds files in the image: an emptyDir starts empty, so an init container of
   * the same image copies them in first (the replacement must not lose what the app expects).
   */
  isSeeded: boolean;
  why: string;
}

export interface KubernetesPlan {
  subject: PodContainer;
  /** The user it runs as: numeric, for runAsUser (undefined: the image's, left as it is). */
  user?: { uid: number; gid: number };
  isNonRoot: boolean;
  userWhy: string;
  capAdd: string[];
  capWhy: string;
  writable: PodWritablePlace[];
  memoryBytes: number;
  cpuMillis: number;
  ports: number[];
  learned?: Learned;
  /** The twin that ran this plan's exact settings (read-only root, these places) and came up. */
  proof?: TrialRecord;
  warnings: string[];
}

export interface KubernetesPlanInput {
  subject: PodContainer;
  /** The user the suspect ran as, `uid:gid` from its OCI spec. */
  user: string;
  writes: Write[];
  learned?: Learned;
  /** A non-root user of the image a last twin is to prove (`uid:gid`). */
  nonRootUser?: string;
  imageUsers: ImageUser[];
  imageHasContent: ReadonlyMap<string, boolean>;
  ports: number[];
}

export interface KubernetesPlanOptions {
  memoryBytes: number;
  cpuShares: number;
  /** Extra writable places the responder named. */
  tmpfs: string[];
}

export function planKubernetesHardening(
  input: KubernetesPlanInput,
  opts: KubernetesPlanOptions,
): KubernetesPlan {
  const warnings: string[] = [];
  const learned = input.learned;
  const userText = input.nonRootUser ?? learned?.user ?? input.user;
  const user = numericUser(userText, input.imageUsers);
  const isNonRoot = !isRootUser(userText) && user !== undefined && user.uid !== 0;
  const userWhy = input.nonRootUser
    ? `proven: a clean twin with this plan (read-only root, these emptyDirs) ran the service as ${input.nonRootUser}`
    : learned?.isUserProven
      ? 'the user it ran as (proven: a clean twin ran with it)'
      : 'the user it ran as (not proven: no twin came up)';
  if (!isNonRoot)
    warnings.push(
      'stays root: no twin ran the service as a non-root user of the image (runAsNonRoot is not set)',
    );

  const capAdd = learned?.capAdd ?? [];
  const capWhy = learned?.isCapsProven
    ? capAdd.length
      ? `proven: a clean twin needed these (${learned.capReasons.map((r) => `${r.cap}: ${r.why}`).join('; ')})`
      : 'proven: a clean twin came up with none'
    : 'not proven: no twin came up; drop ALL stays, unproven';

  const places = [...writableDirs(input.writes)].filter(([dir]) => dir !== '/');
  const writable: PodWritablePlace[] = places.map(([path, w], i) => ({
    path,
    volume: `coroner-writable-${i}`,
    isSeeded: input.imageHasContent.get(path) === true,
    why: `${w.from} wrote ${w.path}`,
  }));
  for (const extra of opts.tmpfs)
    if (!writable.some((w) => w.path === extra))
      writable.push({
        path: extra,
        volume: `coroner-writable-${writable.length}`,
        isSeeded: false,
        why: 'given with --tmpfs',
      });
  if (writable.some((w) => w.isSeeded))
    warnings.push(
      "a writable place holds files in the image: an init container of the same image copies them into its emptyDir (it needs the image's cp)",
    );
  return {
    subject: input.subject,
    ...(user ? { user } : {}),
    isNonRoot,
    userWhy,
    capAdd,
    capWhy,
    writable,
    memoryBytes: opts.memoryBytes,
    cpuMillis: Math.max(100, Math.round((opts.cpuShares / 1024) * 1000)),
    ports: input.ports,
    ...(learned ? { learned } : {}),
    warnings,
  };
}
