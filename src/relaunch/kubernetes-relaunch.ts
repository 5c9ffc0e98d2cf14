/**
 * Restart clean, the Kubernetes way (issue 26 item 3): the orchestrator owns the pod, so
 * coroner does not replace it. It learns the hardened settings from clean twins run
 * through containerd from the same image (as the Docker relaunch does), then quarantines:
 * the task is paused and kept (never killed, never deleted), and a deny-all NetworkPolicy
 * and a securityContext patch are written beside the case with the kubectl commands the
 * responder runs.
 */
import os from 'node:os';
import { CaseFolder } from '../case/case-folder.js';
import type { CustodyLog } from '../case/custody.js';
import { ContainerNotFound, CoronerError } from '../errors.js';
import { isRootUser } from '../report/runtime.js';
import type { TriageReport } from '../report/triage-report.js';
import type { ContainerdApi, ContainerRecord } from '../sources/containerd-api/containerd-types.js';
import { imageConfigLabels } from './containerd-image.js';
import { containerdTwinRunner, containerdTwinSubject } from './containerd-twins.js';
import { isPodContainer, podContainerOf, CRI_LABELS, type PodContainer } from './kubernetes-pod.js';
import {
  planKubernetesHardening,
  type KubernetesPlan,
  type KubernetesPlanOptions,
} from './kubernetes-plan.js';
import {
  kubectlCommands,
  networkPolicyYaml,
  securityPatchYaml,
  type QuarantineFiles,
} from './kubernetes-quarantine.js';
import { trialRecord, type TrialRecord } from './learn.js';
import { candidateUser, writableDirs } from './plan.js';
import { learnWrites, listenedPorts, type LearnRequest } from './prepare.js';
import type { TwinOptions, TwinRunner } from './twin-runner.js';

/**
 * What a source of a Kubernetes node offers the relaunch: its containerd connection, and the
 * node's name (the kubelet registers its host name unless told otherwise). The containerd
 * source implements it.
 */
export interface PodRelaunchHost {
  containerdApi(): ContainerdApi;
  nodeName?(): string;
}

export function isPodRelaunchHost(source: unknown): source is PodRelaunchHost {
  return typeof (source as PodRelaunchHost | undefined)?.containerdApi === 'function';
}

export interface PreparedPodRelaunch {
  podPlan: KubernetesPlan;
  /** The evidence images the triage left in containerd's store for this container. */
  evidenceImages: string[];
  /** The twin that ran the plan's exact settings and came up (absent when unproven). */
  proof?: TrialRecord;
  unproven?: string;
  networkPolicy: string;
  patch: string;
}

export interface PodQuarantineResult {
  podPlan: KubernetesPlan;
  /** The task's state after the quarantine: paused (kept), or what it was when it had none. */
  taskState: string;
  files: QuarantineFiles & { commands: string };
  commands: string[];
  caseDir: string;
}

/** Where the containerd source keeps a pod container's evidence image. */
export const EVIDENCE_REPOSITORY = 'coroner-evidence';

export class PodQuarantineFailed extends CoronerError {}

/** `namespace/pod/container`, a container id, or an id prefix of at least 12 characters. */
export function pickPodContainer(ref: string, all: readonly ContainerRecord[]): ContainerRecord {
  const pods = all.filter((c) => isPodContainer(c.labels));
  const byName = pods.filter(
    (c) =>
      `${c.labels[CRI_LABELS.namespace]}/${c.labels[CRI_LABELS.pod]}/${c.labels[CRI_LABELS.container]}` ===
      ref,
  );
  const byId = pods.filter((c) => c.id === ref || (ref.length >= 12 && c.id.startsWith(ref)));
  const found = byName.length ? byName : byId;
  if (found.length === 1) return found[0]!;
  throw new ContainerNotFound(
    found.length
      ? `"${ref}" names ${found.length} pod containers`
      : `no pod container "${ref}" on this containerd`,
    'Name it as namespace/pod/container (coroner list shows them), or by its full id.',
  );
}

function sandboxOf(
  record: ContainerRecord,
  all: readonly ContainerRecord[],
): ContainerRecord | undefined {
  const uid = record.labels[CRI_LABELS.podUid];
  const sandbox =
    all.find((c) => record.sandbox && c.id === record.sandbox) ??
    all.find(
      (c) => c.labels[CRI_LABELS.kind] === 'sandbox' && uid && c.labels[CRI_LABELS.podUid] === uid,
    );
  return sandbox;
}

/** The emptyDirs as the twin runs them: tmpfs, world-writable as an emptyDir is. */
function trialOf(plan: KubernetesPlan, user: string) {
  return {
    user: plan.user ? `${plan.user.uid}:${plan.user.gid}` : user,
    capAdd: plan.capAdd,
    readOnly: {
      tmpfs: Object.fromEntries(
        plan.writable.map((w) => [w.path, 'rw,nosuid,nodev,mode=0777,size=64m']),
      ),
      volumes: [],
    },
  };
}

/**
 * The plan for a pod's container, learnt from clean twins `runner` runs: the capabilities and
 * writes as it ran, then a last twin with the patch's exact settings (read-only root, the
 * emptyDirs, the image's non-root user first when it ran as root).
 */
export async function preparePodFromTwins(
  runner: TwinRunner,
  subject: PodContainer,
  ranAs: string,
  options: KubernetesPlanOptions & { pidsLimit: number; user?: string; capAdd: string[] },
  custody: CustodyLog,
  report: TriageReport | undefined,
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedPodRelaunch> {
  const listened = listenedPorts(report);
  const twinOptions: TwinOptions = {
    ports: [...new Set(listened)].sort((a, b) => a - b),
    windowMs: learn.windowMs ?? 20_000,
    memoryBytes: options.memoryBytes,
    pidsLimit: options.pidsLimit,
    custody,
  };
  const { writes, learned } = await learnWrites(runner, ranAs, twinOptions, options, report, learn);
  const ports = listened.length ? twinOptions.ports : (learned?.ports ?? []);
  twinOptions.ports = ports;
  const { users, hasContent } = await runner.imageFacts(
    [...writableDirs(writes).keys()].filter((d) => d !== '/'),
    custody,
  );
  const makePlan = (nonRootUser?: string) =>
    planKubernetesHardening(
      {
        subject,
        user: ranAs,
        writes,
        ...(learned ? { learned } : {}),
        ...(nonRootUser ? { nonRootUser } : {}),
        imageUsers: users,
        imageHasContent: hasContent,
        ports,
      },
      options,
    );
  const runPlan = async (plan: KubernetesPlan) => {
    const trial = trialOf(plan, learned?.user ?? ranAs);
    const record = trialRecord(trial, await runner.runTwin(trial, twinOptions));
    learned!.trials.push(record);
    learn.onTrial?.(record);
    return record;
  };
  let plan = makePlan();
  let proof: TrialRecord | undefined;
  let unproven: string | undefined;
  if (learned?.isCapsProven) {
    const nonRoot = candidateUser(users);
    if (!options.user && isRootUser(learned.user) && nonRoot) {
      const asNonRoot = makePlan(nonRoot);
      const record = await runPlan(asNonRoot);
      if (record.isUp) [plan, proof] = [asNonRoot, record];
    }
    if (!proof) {
      const record = await runPlan(plan);
      if (record.isUp) proof = record;
      else
        unproven = `a twin with the patch's read-only root and these emptyDirs did not come up: ${record.why ?? 'no reason given'}${record.lastLine ? `; its last line: ${record.lastLine}` : ''}. Add the place it needs with --tmpfs`;
    }
  } else if (learned) {
    unproven = `no clean twin came up, even with containerd's default capabilities${learned.notes.length ? ` (${learned.notes.join('; ')})` : ''}`;
  }
  if (unproven) plan.warnings.push(`NOT PROVEN: ${unproven}`);
  if (!report)
    plan.warnings.push(
      'no triage of this container was found: its churn and the ports it listened on are unknown; triage first',
    );
  return {
    podPlan: plan,
    evidenceImages: [],
    ...(proof ? { proof } : {}),
    ...(unproven ? { unproven } : {}),
    networkPolicy: networkPolicyYaml(subject),
    patch: securityPatchYaml(plan),
  };
}

/** Prepares the Kubernetes relaunch of `ref` on the containerd `api` (nothing of the suspect is changed). */
export async function preparePodRelaunch(
  host: PodRelaunchHost,
  ref: string,
  options: KubernetesPlanOptions & { pidsLimit: number; user?: string; capAdd: string[] },
  custody: CustodyLog,
  report: TriageReport | undefined,
  learn: LearnRequest = { isEnabled: true },
): Promise<PreparedPodRelaunch> {
  const api = host.containerdApi();
  const all = await api.containers();
  const record = pickPodContainer(ref, all);
  const sandbox = sandboxOf(record, all);
  const subject = podContainerOf(
    record.id,
    record.labels,
    record.image,
    sandbox?.labels,
    host.nodeName?.() ?? os.hostname(),
    sandbox ? await imageConfigLabels(api, sandbox.image) : {},
  );
  const twin = await containerdTwinSubject(api, record);
  const prepared = await preparePodFromTwins(
    containerdTwinRunner(api, twin),
    subject,
    twin.user,
    options,
    custody,
    report,
    learn,
  );
  // The triage's evidence image (issue 26: coroner-evidence/<ns>/<pod>/<container>:<utc>).
  const prefix = `${EVIDENCE_REPOSITORY}/${subject.namespace}/${subject.pod}/${subject.container}:`;
  prepared.evidenceImages = (await api.images())
    .map((i) => i.name)
    .filter((name) => name.startsWith(prefix));
  if (prepared.evidenceImages.length === 0)
    prepared.podPlan.warnings.push(
      'no evidence image of this container yet (coroner triage first): the quarantine keeps it paused, but the rollout the patch starts removes it',
    );
  return prepared;
}

/**
 * The quarantine: the task paused and kept (never killed or deleted: the orchestrator would
 * only start another, and the paused one is evidence), and the NetworkPolicy, the patch and
 * the commands written into the case folder.
 */
export async function quarantinePod(
  host: PodRelaunchHost,
  prepared: PreparedPodRelaunch,
  req: { caseDir: string; custody: CustodyLog; onStep?: (step: string) => void },
): Promise<PodQuarantineResult> {
  const api = host.containerdApi();
  const { subject } = prepared.podPlan;
  const id = subject.containerId;
  req.onStep?.('pausing the task (kept, never killed)');
  const task = await api.task(id);
  if (task?.status === 'running' || task?.status === 'pausing')
    await req.custody.step('pause the task (quarantine: kept, never killed or deleted)', id, () =>
      api.pause(id),
    );
  const after = (await api.task(id))?.status ?? 'no task';
  if (task && after !== 'paused' && after !== 'stopped')
    throw new PodQuarantineFailed(
      `the task of ${subject.namespace}/${subject.pod}/${subject.container} is ${after}, not paused`,
      'Pause it with `ctr -n k8s.io tasks pause <id>` on the node, then apply the NetworkPolicy.',
    );
  req.onStep?.('writing the NetworkPolicy, the patch and the commands');
  const folder = await CaseFolder.create(req.caseDir);
  const files = {
    networkPolicy: folder.locate('networkpolicy.yaml'),
    patch: folder.locate('security-patch.yaml'),
    commands: folder.locate('kubectl.txt'),
  };
  const commands = kubectlCommands(prepared.podPlan, files);
  await folder.writeBuffer(
    'networkpolicy.yaml',
    Buffer.from(prepared.networkPolicy),
    'NetworkPolicy denying the pod all traffic',
  );
  await folder.writeBuffer(
    'security-patch.yaml',
    Buffer.from(prepared.patch),
    'strategic merge patch: the securityContext clean twins proved',
  );
  await folder.writeBuffer(
    'kubectl.txt',
    Buffer.from(commands.join('\n') + '\n'),
    'the kubectl commands to run',
  );
  await folder.writeJson(
    'pod-plan.json',
    { plan: prepared.podPlan, proof: prepared.proof, unproven: prepared.unproven },
    'the plan and what the clean twins did',
  );
  await folder.writeJson(
    'custody.json',
    { header: req.custody.header, actions: req.custody.actions },
    'chain of custody',
  );
  return { podPlan: prepared.podPlan, taskState: after, files, commands, caseDir: folder.root };
}
