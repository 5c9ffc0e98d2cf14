/** The relaunch plan and result as readable lines (pure; container strings sanitised). */
import type { ExposureCheck } from '../report/finding.js';
import type { TrialRecord } from '../relaunch/learn.js';
import { describePlan, type RelaunchPlan } from '../relaunch/plan.js';
import type { PreparedRelaunch } from '../relaunch/prepare.js';
import type { RelaunchResult } from '../relaunch/relaunch.js';
import type { PodQuarantineResult, PreparedPodRelaunch } from '../relaunch/kubernetes-relaunch.js';
import { kubectlCommands } from '../relaunch/kubernetes-quarantine.js';
import { safeLine } from '../untrusted.js';

function auditRows(before: ExposureCheck[], after: ExposureCheck[]): string[] {
  const rows = [`  ${'CIS'.padEnd(6)}${'check'.padEnd(36)}${'quarantined'.padEnd(13)}replacement`];
  for (const b of before) {
    const a = after.find((x) => x.cis === b.cis);
    const mark = (c: ExposureCheck | undefined) =>
      c === undefined ? '?' : c.passed ? 'pass' : 'FAIL';
    rows.push(`  ${b.cis.padEnd(6)}${b.title.padEnd(36)}${mark(b).padEnd(13)}${mark(a)}`);
  }
  return rows;
}

/** Which plans a clean twin served with, in the order the relaunch tries them; or why none. */
function provenLines(proven: Pick<PreparedRelaunch, 'plan' | 'proof' | 'fallbacks' | 'unproven'>) {
  if (proven.unproven)
    return [
      '',
      `NOT PROVEN: ${safeLine(proven.unproven, 600)}`,
      '  The relaunch stops before touching the container unless you confirm it (or pass --force).',
    ];
  if (!proven.proof) return [];
  return [
    '',
    'Proven by a clean twin, tried in this order (the next runs if a replacement does not come up):',
    `  1. ${safeLine(describePlan(proven.plan), 300)}: ${trialLine(proven.proof)}`,
    ...proven.fallbacks.map(
      (f, i) => `  ${i + 2}. ${safeLine(describePlan(f.plan), 300)}: ${trialLine(f.proof)}`,
    ),
  ];
}

export function relaunchPlanText(
  plan: RelaunchPlan,
  evidenceImages: string[],
  proven?: Pick<PreparedRelaunch, 'proof' | 'fallbacks' | 'unproven'>,
): string[] {
  const lines = [
    `Relaunch plan for ${safeLine(plan.container.name, 200)} (${plan.container.id.slice(0, 12)})`,
    `  evidence image: ${evidenceImages.length ? safeLine(evidenceImages.join(', '), 600) : 'NONE yet (coroner triage first, or --no-evidence)'}`,
    `  quarantine:     pause, restart policy no, cut from every network, kill (SIGKILL: no handler of the attacker's runs), rename to ${safeLine(plan.quarantineName, 200)} (kept, never removed)`,
    `  replacement:    ${safeLine(plan.container.name, 200)} from ${safeLine(plan.imageId, 100)}`,
    '',
    'Kept:',
    ...plan.kept.map((k) => `  ${k.setting.padEnd(14)} ${safeLine(k.value, 300)}`),
    '',
    'Hardened:',
    ...plan.hardened.map(
      (h) =>
        `  ${(h.cis ? `CIS ${h.cis}` : '').padEnd(18)} ${h.setting.padEnd(26)} ${safeLine(h.value, 200)}  (${safeLine(h.why, 200)})`,
    ),
  ];
  if (plan.learned) {
    const l = plan.learned;
    lines.push(
      '',
      `Learnt from clean twins (the original image, no network, never the suspect): ${l.trials.length} run`,
      ...l.trials.map((t) => `  ${trialLine(t)}`),
      ...l.capReasons.map((r) => `  needs ${r.cap}: ${safeLine(r.why, 300)}`),
      `  traffic: ${safeLine(l.traffic, 300)}`,
      `  it wrote: ${l.writes.length ? safeLine(l.writes.map((w) => `${w.kind} ${w.path}`).join(', '), 600) : 'nothing'}`,
    );
  }
  if (plan.writable.length)
    lines.push(
      '',
      'Writable places (more with --tmpfs):',
      ...plan.writable.map(
        (t) =>
          `  ${safeLine(t.path, 200)} (${t.mount === 'tmpfs' ? 'tmpfs' : "volume, starts with the image's content"}): ${safeLine(t.why, 300)}`,
      ),
    );
  if (plan.volumes.length) {
    lines.push(
      '',
      'Volumes and binds:',
      ...plan.volumes.map(
        (v) =>
          `  ${safeLine(v.destination, 200)} <- ${v.type} ${safeLine(v.source, 200)}${v.isReused ? ' (reused)' : ' (fresh, from the image)'}, ${v.isReadOnly ? 'read-only' : 'writable'}: ${safeLine(v.why, 200)}${v.findings.length ? `; the triage found: ${safeLine(v.findings.join('; '), 400)}` : ''}`,
      ),
    );
  }
  if (proven) lines.push(...provenLines({ plan, ...proven }));
  if (plan.ports.length)
    lines.push(
      '',
      `Must answer on: ${plan.ports.map((p) => `${p}/tcp`).join(', ')} (what the suspect listened on)`,
    );
  if (plan.warnings.length)
    lines.push(
      '',
      'Needs a human decision:',
      ...plan.warnings.map((w) => `  ! ${safeLine(w, 400)}`),
    );
  lines.push(
    '',
    'Audit, before and after (CIS Docker Benchmark v1.6.0):',
    ...auditRows(plan.audit.before, plan.audit.after),
  );
  lines.push('', 'Equivalent docker run:', `  ${safeLine(plan.dockerRun, 100_000)}`);
  return lines;
}

export function relaunchResultText(result: RelaunchResult): string[] {
  const lines = [
    `Quarantined: ${safeLine(result.quarantine.name, 200)} (${safeLine(result.quarantine.state, 40)}; networks: ${safeLine(result.quarantine.networks.join(', '), 400) || 'none'})`,
    ...result.quarantine.warnings.map((w) => `  ! ${safeLine(w, 400)}`),
    `Evidence:    ${safeLine(result.evidenceImageId, 100)}`,
  ];
  if (result.attempts.length > 1)
    lines.push(
      'Replacements tried (each proven by a clean twin, most hardened first):',
      ...result.attempts.map(
        (a, i) =>
          `  ${i + 1}. ${safeLine(a.plan, 200)}: ${a.failure ? `did not come up (${safeLine(a.failure, 300)}); kept as ${safeLine(a.replacementName, 200)}` : 'serves'}`,
      ),
    );
  if (result.failure) {
    lines.push(
      `FAILED: the replacement ${result.replacement.id.slice(0, 12)} did not come up: ${safeLine(result.failure.reason, 300)}`,
      `It is kept, stopped, for inspection as ${safeLine(result.replacement.name, 200)}.`,
      'Last log lines:',
      ...result.failure.logTail.map((l) => `  | ${safeLine(l, 300)}`),
      'The quarantined container and the evidence are untouched. Choices:',
      ...result.failure.choices.map((c) => `  - ${safeLine(c, 400)}`),
    );
  } else {
    lines.push(
      `Replacement: ${result.replacement.id.slice(0, 12)} ${safeLine(result.replacement.state, 40)}${result.replacement.health ? ` (${safeLine(result.replacement.health, 40)})` : ''}`,
      `Serving:     ${result.serving.answers.map((a) => `${a.address} answered (${a.bytes} bytes)`).join(', ') || 'no port asked'}${result.serving.note ? `; ${safeLine(result.serving.note, 200)}` : ''}`,
    );
  }
  lines.push(
    '',
    'What changed, old -> new:',
    ...result.configChanges.map(
      (c) => `  ${c.setting.padEnd(18)} ${safeLine(c.before, 200)} -> ${safeLine(c.after, 200)}`,
    ),
  );
  const failing = result.auditAfter.filter((e) => !e.passed);
  lines.push(
    '',
    `Audit of the replacement as it runs: ${result.auditAfter.length - failing.length} of ${result.auditAfter.length} CIS checks pass`,
    ...failing.map(
      (e) =>
        `  still failing: ${e.cis} ${e.title} (${safeLine(e.detail, 200)}): needs a human decision`,
    ),
  );
  return lines;
}

/** One clean twin in a line: what it was tried with and what it did. */
export function trialLine(t: TrialRecord): string {
  return `${t.isUp ? 'up    ' : 'failed'} user ${safeLine(t.user || '(image default)', 60)}, caps ${safeLine(t.capAdd.join(','), 200) || 'none'}${t.isReadOnly ? ', read-only root as planned' : ''}${t.why ? `: ${safeLine(t.why, 200)}` : ''}${t.lastLine ? `; last line: ${safeLine(t.lastLine, 200)}` : ''} (${t.seconds.toFixed(1)} s)`;
}

/** The Kubernetes plan: what the quarantine does, what the patch sets and why, what to run. */
export function podPlanText(prepared: PreparedPodRelaunch): string[] {
  const p = prepared.podPlan;
  const s = p.subject;
  const labels = Object.entries(s.podLabels).map(([k, v]) => `${k}=${v}`);
  const lines = [
    `Kubernetes quarantine plan for ${safeLine(`${s.namespace}/${s.pod}/${s.container}`, 300)} (${safeLine(s.containerId.slice(0, 12), 12)})`,
    `  node:        ${safeLine(s.node, 200)}`,
    `  evidence:    ${prepared.evidenceImages.length ? safeLine(prepared.evidenceImages.join(', '), 600) : 'NONE yet (coroner triage first)'}`,
    `  pod labels:  ${labels.length ? safeLine(labels.join(', '), 600) : 'none'}`,
    `  owner:       ${s.owner ? `${s.owner.kind} ${safeLine(s.owner.name, 200)} (by its ${safeLine(s.owner.because, 200)} label; check with kubectl)` : 'none known: the patch goes on the pod'}`,
    "  quarantine:  pause the task and keep it (never killed, never deleted: the orchestrator would only start another); a NetworkPolicy denying the pod's labels all traffic",
    '',
    'The patch (securityContext of the container):',
    '  readOnlyRootFilesystem    true',
    '  allowPrivilegeEscalation  false',
    `  capabilities              drop ALL${p.capAdd.length ? `, add ${safeLine(p.capAdd.join(', '), 200)}` : ''}  (${safeLine(p.capWhy, 400)})`,
    `  user                      ${p.isNonRoot && p.user ? `runAsNonRoot, runAsUser ${p.user.uid}, runAsGroup ${p.user.gid}` : 'as it ran (root)'}  (${safeLine(p.userWhy, 300)})`,
    `  limits                    memory ${Math.round(p.memoryBytes / 2 ** 20)}Mi, cpu ${p.cpuMillis}m`,
  ];
  if (p.learned) {
    const l = p.learned;
    lines.push(
      '',
      `Learnt from clean twins run through containerd (the original image, loopback only, never the suspect): ${l.trials.length} run`,
      ...l.trials.map((t) => `  ${trialLine(t)}`),
      `  traffic: ${safeLine(l.traffic, 300)}`,
      `  it wrote: ${l.writes.length ? safeLine(l.writes.map((w) => `${w.kind} ${w.path}`).join(', '), 600) : 'nothing'}`,
    );
  }
  if (p.writable.length)
    lines.push(
      '',
      'Writable places (emptyDir volumes; more with --tmpfs):',
      ...p.writable.map(
        (w) =>
          `  ${safeLine(w.path, 200)}${w.isSeeded ? " (seeded from the image's content by an init container)" : ''}: ${safeLine(w.why, 300)}`,
      ),
    );
  if (prepared.proof)
    lines.push(
      '',
      `Proven by a clean twin with these exact settings: ${trialLine(prepared.proof)}`,
    );
  else if (prepared.unproven) lines.push('', `NOT PROVEN: ${safeLine(prepared.unproven, 600)}`);
  if (p.ports.length)
    lines.push('', `Must answer on: ${p.ports.map((n) => `${n}/tcp`).join(', ')}`);
  if (p.warnings.length)
    lines.push('', 'Needs a human decision:', ...p.warnings.map((w) => `  ! ${safeLine(w, 400)}`));
  lines.push(
    '',
    'Then run (the files are written into the case):',
    ...kubectlCommands(p, {
      networkPolicy: 'networkpolicy.yaml',
      patch: 'security-patch.yaml',
    }).map((c) => `  ${safeLine(c, 1000)}`),
  );
  return lines;
}

export function podQuarantineText(result: PodQuarantineResult): string[] {
  const s = result.podPlan.subject;
  return [
    `Quarantined: ${safeLine(`${s.namespace}/${s.pod}/${s.container}`, 300)}: task ${safeLine(result.taskState, 40)}, kept (never killed, never deleted)`,
    `Written:     ${safeLine(result.files.networkPolicy, 400)}`,
    `             ${safeLine(result.files.patch, 400)}`,
    `             ${safeLine(result.files.commands, 400)}`,
    '',
    'Now run:',
    ...result.commands.map((c) => `  ${safeLine(c, 1000)}`),
  ];
}
