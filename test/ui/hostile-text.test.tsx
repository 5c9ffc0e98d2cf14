/**
 * Every screen of the console fed with a report whose every string from the suspect (names,
 * paths, reasons, link targets, process command lines, log lines, mounts, "not collected"
 * items, plan text, errors) holds escape sequences: no frame ink writes carries a byte a
 * terminal would act on, and the hostile text is shown as visible escapes (issue 24).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { BundleResult } from '../../src/bundle/write-bundle.js';
import { CoronerError } from '../../src/errors.js';
import type { TrialRecord } from '../../src/relaunch/learn.js';
import type { PreparedRelaunch } from '../../src/relaunch/prepare.js';
import type { RelaunchResult } from '../../src/relaunch/relaunch.js';
import type { ChangedPath } from '../../src/report/change.js';
import type { Finding } from '../../src/report/finding.js';
import type { ProcessRecord } from '../../src/report/process.js';
import type { TriageReport } from '../../src/report/triage-report.js';
import type { ContainerSummary } from '../../src/sources/evidence-source.js';
import { App, type ConsoleActions } from '../../ui/App.js';
import { ErrorPane } from '../../ui/components/ErrorPane.js';
import { ExportScreen } from '../../ui/screens/ExportScreen.js';
import { FileScreen } from '../../ui/screens/FileScreen.js';
import { FindingsScreen } from '../../ui/screens/FindingsScreen.js';
import { PickScreen } from '../../ui/screens/PickScreen.js';
import { ProcessesScreen } from '../../ui/screens/ProcessesScreen.js';
import { ProgressScreen } from '../../ui/screens/ProgressScreen.js';
import { RelaunchScreen } from '../../ui/screens/RelaunchScreen.js';
import { TriageScreen } from '../../ui/screens/TriageScreen.js';
import { rawControls } from '../support/terminal-bytes.js';

/**
 * A colour of its own first (it must not pass for one of ink's), an OSC title with its bell, a
 * clear screen, a C1 CSI, a bidi override and isolate, a carriage return and a line break.
 */
const H = '\u001b[31m\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e\u2066evil\r\nx\u007f';
/** How the start of H looks once escaped. */
const SHOWN = '\\e[31m\\e]0;pwned\\x07';
/** Hostile text in front of a value, so the escape is what a cut row keeps. */
const h = (value = ''): string => `${H}${value}`;

/**
 * The colours and styles ink's chalk writes itself, stripped before the byte check. A field
 * drawn raw still fails it: the rest of H (OSC, bell, C1, bidi) is no SGR. That H's own colour
 * is escaped, not stripped, each test sees in the visible `\e[31m` where the field is shown.
 */
const INK_SGR = /\u001b\[[0-9;]*m/g;

let rendered: ReturnType<typeof render>[] = [];
function draw(element: ReactElement) {
  const ui = render(element);
  rendered.push(ui);
  return ui;
}
afterEach(() => {
  for (const ui of rendered) ui.unmount();
  rendered = [];
});

/** Every frame drawn so far, on stdout and stderr, checked byte by byte. */
function expectNoRawControls(ui: ReturnType<typeof render>): void {
  const frames = [...ui.frames, ...ui.stderr.frames, ui.lastFrame() ?? ''];
  for (const frame of frames)
    expect(rawControls(Buffer.from(frame.replace(INK_SGR, ''), 'utf8'))).toEqual([]);
}

/** Polls until a frame shows `text` (bounded), then checks every frame drawn. */
async function expectShownSafely(
  ui: ReturnType<typeof render>,
  text = SHOWN,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!(ui.lastFrame() ?? '').includes(text)) {
    if (Date.now() > deadline) throw new Error(`never shown: ${text}\n${ui.lastFrame()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expectNoRawControls(ui);
  return ui.lastFrame() ?? '';
}

/**
 * Presses `key` until a frame shows `text`: a screen's handler for the frame just drawn is
 * subscribed after ink writes it, so a key typed at once can reach the one before.
 */
async function pressUntilShown(ui: ReturnType<typeof render>, key: string, text: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    ui.stdin.write(key);
    try {
      return await expectShownSafely(ui, text, 200);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'web-shell',
  path: h('/var/www/html/x.php'),
  severity: 'critical',
  reason: h('web shell: eval of the request'),
  attack: h('T1505.003'),
  ...over,
});

const stored = (p: string) => ({
  path: h(p),
  sha256: h('a'.repeat(64)),
  sizeBytes: 10,
  isTruncated: false,
  storedSha256: h('b'.repeat(64)),
  capturedAt: h('2026-12-01T00:00:00Z'),
});

const diffChange: ChangedPath = {
  path: h('/var/www/html/index.php'),
  kind: 'C',
  isParentOnly: false,
  severity: 'critical',
  findings: [finding({ path: h('/var/www/html/index.php') })],
  original: {
    meta: { type: 'symlink', mode: 0o777, uid: 0, gid: 0, sizeBytes: 5, linkTarget: h('/etc') },
    layer: { position: 2, diffId: h('sha256:' + 'c'.repeat(64)), createdBy: h('COPY . /') },
  },
  current: {
    meta: { type: 'file', mode: 0o644, uid: 33, gid: 33, sizeBytes: 10, linkTarget: h('/x') },
    content: stored('/files/current/index.php'),
  },
  package: {
    manager: 'dpkg',
    package: h('apache2'),
    database: 'container',
    algorithm: 'md5',
    expected: h('e'),
    actual: h('f'),
    verdict: 'differs',
    note: h('the note'),
  } as ChangedPath['package'],
  comparison: {
    metadata: [{ field: 'link-target', before: h('/etc'), after: h('/x'), note: h('retargeted') }],
    content: {
      kind: 'text-diff',
      // The markers first, as a diff has them; the hostile text right after.
      patch: [`--- a${H}`, `+++ b${H}`, `@@ -1 +1 @@${H}`, `-${H}old`, `+${H}new`, ` ${H}`].join(
        '\n',
      ),
      addedLines: 1,
      removedLines: 1,
      isTruncated: false,
      isExcerpt: true,
      patchFile: {
        path: h('diffs/index.php.diff'),
        sha256: h(),
        sizeBytes: 1,
        capturedAt: h(),
      },
    },
    original: { type: 'text', sizeBytes: 5, sha256: h() },
    current: { type: 'text', sizeBytes: 10, sha256: h() },
  },
};

const summaryChange: ChangedPath = {
  ...diffChange,
  path: h('/usr/bin/ls'),
  comparison: { metadata: [], content: { kind: 'summary', reason: h('binary: ELF') } },
};

const processRecord: ProcessRecord = {
  pid: 28515,
  ppid: 1,
  name: h('kdevtmpfsi'),
  commandLine: [h('/tmp/.X11-unix/kdevtmpfsi'), h('-r')],
  uid: 33,
  gid: 33,
  cwd: h('/tmp'),
  exe: { path: h('/tmp/.X11-unix/kdevtmpfsi'), isDeleted: true, image: 'absent' },
  isFromExec: true,
  loaderEnv: [h('LD_PRELOAD=/x.so')],
  mappedFiles: [h('/x.so')],
  deletedOpenFiles: [],
  sockets: [
    { protocol: 'tcp', state: 'listen', local: h('0.0.0.0:4444') },
    { protocol: 'tcp', state: 'established', local: h('10.0.0.2:1'), remote: h('1.2.3.4:80') },
  ],
  findings: [finding({ rule: 'process-deleted-executable', pid: 28515 })],
};

const report = {
  caseDir: h('/cases/web'),
  container: {
    id: 'f'.repeat(64),
    name: h('web'),
    imageRef: h('nginx'),
    imageId: h(),
    createdAt: h(),
    stateAtStart: { status: h('running'), isRunning: true, isPaused: false },
  },
  evidence: {
    kind: 'image',
    id: h(),
    repo: h('coroner-evidence/web'),
    tag: h('t'),
    committedAt: h(),
    wasPaused: true,
  },
  hostCompromise: { isSuspected: true, reasons: [h('the docker socket is mounted')] },
  counts: {
    added: 1,
    changed: 2,
    deleted: 0,
    parentOnly: 0,
    bySeverity: { critical: 2, high: 0, medium: 0, low: 0, info: 0 },
  },
  changes: [diffChange, summaryChange],
  findings: [
    ...diffChange.findings,
    ...processRecord.findings,
    finding({ rule: 'engine-exec', path: h('/'), severity: 'high', reason: h('exec: bash') }),
  ],
  exposure: [
    {
      cis: h('5.31'),
      title: h('docker socket'),
      passed: false,
      severity: 'critical',
      detail: h('/var/run/docker.sock mounted'),
      meaning: h('the host'),
    },
  ],
  notCovered: [{ destination: h('/srv'), type: 'bind', reason: h('not read') }],
  mounts: [{ type: 'volume', destination: h('/data'), name: h('data'), note: h('cut at 1 GiB') }],
  notCollected: [{ item: h('the volume at /data'), reason: h('unreadable') }],
  processes: [processRecord],
  events: [{ time: h(), action: h('exec_create: bash'), attributes: { execID: h() } }],
  problems: [{ path: h('/p'), action: h('read'), cause: h('c') }],
} as unknown as TriageReport;

describe('the console shows hostile text from the suspect as visible escapes', () => {
  it('on the pick list: names, image, state and status', async () => {
    const summary: ContainerSummary = {
      id: 'a'.repeat(64),
      names: [h('web')],
      image: h('nginx'),
      imageId: h(),
      state: h('running'),
      status: h('Up 2 hours'),
      createdAt: h(),
      labels: { [h()]: h() },
    };
    const quiet = { ...summary, id: 'b'.repeat(64), names: ['db'], image: 'i', status: 'Up' };
    const ui = draw(
      <PickScreen
        listContainers={() => Promise.resolve([summary, quiet])}
        height={20}
        onPick={() => undefined}
      />,
    );
    const frame = await expectShownSafely(ui);
    // The state column, in a row short enough to show it.
    expect(frame.split('\n').find((row) => row.startsWith('db'))).toMatch(/^db\s+\\e\[31m/);
  });

  it('while the triage runs: the container name and the phase step', async () => {
    const ui = draw(
      <ProgressScreen
        name={h('web')}
        progress={{ phase: h(), step: h(), filesDone: 1, filesTotal: 2, bytes: 3, problems: 1 }}
        spinner="⠋"
      />,
    );
    const frame = await expectShownSafely(ui);
    expect(frame.split(SHOWN).length - 1).toBeGreaterThanOrEqual(3);
  });

  it('on the change list: the host warning, name, evidence, case folder, paths and reasons', async () => {
    const ui = draw(
      <TriageScreen
        report={report}
        width={300}
        height={40}
        onOpen={() => undefined}
        onFindings={() => undefined}
        onProcesses={() => undefined}
        onExport={() => undefined}
        onRelaunch={() => undefined}
      />,
    );
    await expectShownSafely(ui);
    // The case folder is named after the container; a short evidence name leaves it in view.
    const short = { ...report, evidence: { ...report.evidence, repo: 'e', tag: 't' } };
    ui.rerender(
      <TriageScreen
        report={short as TriageReport}
        width={300}
        height={40}
        onOpen={() => undefined}
        onFindings={() => undefined}
        onProcesses={() => undefined}
        onExport={() => undefined}
        onRelaunch={() => undefined}
      />,
    );
    await expectShownSafely(ui, `case ${SHOWN}`);
  });

  it('on the findings: paths, reasons, ATT&CK tags and the exposure', async () => {
    const ui = draw(
      <FindingsScreen
        report={report}
        height={40}
        onOpen={() => undefined}
        onBack={() => undefined}
      />,
    );
    await expectShownSafely(ui);
    // The ATT&CK tag, after a path and a reason short enough to show it.
    const tagged = { ...report, findings: [finding({ path: '/x', reason: 'r' })], exposure: [] };
    ui.rerender(
      <FindingsScreen
        report={tagged as TriageReport}
        height={40}
        onOpen={() => undefined}
        onBack={() => undefined}
      />,
    );
    await expectShownSafely(ui, `/x — r [${SHOWN}`);
  });

  it('on a file with a text diff: link targets, layer, package, metadata and every diff line', async () => {
    const ui = draw(<FileScreen change={diffChange} height={60} onBack={() => undefined} />);
    const frame = await expectShownSafely(ui);
    expect(frame).toContain(`the whole diff is ${SHOWN}`);
    expect(frame).toContain(`+${SHOWN}`);
    expect(frame).toContain(`-${SHOWN}`);
  });

  it('on a file without a line diff: why not', async () => {
    const ui = draw(<FileScreen change={summaryChange} height={60} onBack={() => undefined} />);
    const frame = await expectShownSafely(ui);
    expect(frame).toContain(`no line diff: ${SHOWN}`);
  });

  it('on the processes: command lines, sockets, events, mounts and what was not collected', async () => {
    const ui = draw(
      <ProcessesScreen report={report} width={300} height={60} onBack={() => undefined} />,
    );
    const frame = await expectShownSafely(ui);
    expect(frame).toContain(`listening: ${SHOWN}`);
    expect(frame).toContain(`connected: ${SHOWN}`);
    expect(frame.split(SHOWN).length - 1).toBeGreaterThanOrEqual(8);
  });

  it('on the relaunch: the twins, the plan, the steps and the result', async () => {
    const exposure = report.exposure[0]!;
    const prepared = {
      plan: {
        container: { id: 'f'.repeat(64), name: h('web') },
        quarantineName: h('web-quarantined'),
        imageId: h('sha256:1'),
        imageRef: h('nginx'),
        createBody: { User: h('33'), HostConfig: { ReadonlyRootfs: true, CapAdd: [h('NET')] } },
        kept: [{ setting: h('env'), value: h('A=1'), why: h('kept') }],
        hardened: [{ setting: h('user'), value: h('33'), cis: h('4.1'), why: h('not root') }],
        writable: [{ path: h('/var/run/apache2'), mount: 'tmpfs', why: h('the twin wrote') }],
        volumes: [
          {
            destination: h('/data'),
            source: h('vol'),
            type: h('volume'),
            isReused: true,
            isReadOnly: false,
            why: h('data'),
            findings: [h('web shell')],
          },
        ],
        freshVolumeNames: [],
        learned: {
          user: h('33'),
          isUserProven: true,
          capAdd: [h('NET')],
          isCapsProven: true,
          capReasons: [{ cap: h('NET'), why: h('bind 80') }],
          writes: [{ path: h('/var/run/x.pid'), kind: 'A' }],
          traffic: h('none'),
          isSharedMemorySeen: true,
          ports: [80],
          trials: [],
          notes: [h('note')],
        },
        ports: [80],
        warnings: [h('a warning')],
        dockerRun: h('docker run'),
        audit: { before: [exposure], after: [exposure] },
      },
      inspect: {},
      evidenceImages: [h('coroner-evidence/web:t')],
      fallbacks: [],
      unproven: h('no twin came up'),
    } as unknown as PreparedRelaunch;
    const result = {
      plan: prepared.plan,
      attempts: [
        { plan: h('user 33'), replacementName: h('web-failed'), failure: h('exit 1') },
        { plan: h('user 0'), replacementName: h('web') },
      ],
      evidenceImageId: h('sha256:e'),
      quarantine: {
        id: 'q',
        name: 'q',
        state: h('exited'),
        networks: [h('net')],
        warnings: [h('warn')],
      },
      replacement: { id: 'r'.repeat(12), name: h('web'), state: h('running'), health: h('ok') },
      isRunning: true,
      serving: {
        answers: [{ address: h('127.0.0.1:80'), bytes: 10 }],
        note: h('asked'),
      },
      configChanges: [{ setting: h('user'), before: h('0'), after: h('33') }],
      auditAfter: [exposure],
    } as unknown as RelaunchResult;
    let finishStep: (() => void) | undefined;
    let trial: ((t: TrialRecord) => void) | undefined;
    let ready: ((p: PreparedRelaunch) => void) | undefined;
    const ui = draw(
      <RelaunchScreen
        prepare={(_signal, onTrial) => {
          trial = onTrial;
          return new Promise((resolve) => (ready = resolve));
        }}
        execute={(_prepared, onStep) => {
          onStep(h('pausing'));
          return new Promise((resolve) => (finishStep = () => resolve(result)));
        }}
        height={200}
        onBack={() => undefined}
      />,
    );
    await expectShownSafely(ui, 'Preparing the plan');
    trial!({
      user: h('33'),
      capAdd: [h('NET')],
      isReadOnly: true,
      isUp: false,
      why: h(),
      lastLine: h(),
      seconds: 1,
    });
    await expectShownSafely(ui, `user ${SHOWN}`);
    ready!(prepared);
    const plan = await expectShownSafely(ui, 'Relaunch plan for');
    expect(plan).toContain(`NOT PROVEN: ${SHOWN}`);
    expect(plan).toContain(`evidence image: ${SHOWN}`);
    await pressUntilShown(ui, 'y', `Relaunching: ${SHOWN}`);
    finishStep!();
    const done = await expectShownSafely(ui, 'Quarantined:');
    expect(done).toContain(`Quarantined: q (${SHOWN}`); // its state
  });

  it('on the export: the step, where the bundle is, and an export that failed', async () => {
    let finish: ((r: BundleResult) => void) | undefined;
    const ui = draw(
      <ExportScreen
        exportBundle={(_signal, onProgress) => {
          onProgress(h('saving'), 2 ** 20);
          return new Promise((resolve) => (finish = resolve));
        }}
        width={120}
        onBack={() => undefined}
      />,
    );
    await expectShownSafely(ui);
    finish!({
      path: h('/out/web.tar.gz'),
      sizeBytes: 1,
      fileCount: 1,
      manifestSha256: h(),
      isImageIncluded: false,
      imageNote: h('no image'),
    });
    const done = await expectShownSafely(ui, `Bundle written: ${SHOWN}`);
    expect(done.split(SHOWN).length - 1).toBe(3); // its path twice, the manifest's hash
    const failed = draw(
      <ExportScreen
        exportBundle={() => Promise.reject(new CoronerError(h('disk full'), h('free space')))}
        width={120}
        onBack={() => undefined}
      />,
    );
    await expectShownSafely(failed, `Error: ${SHOWN}`);
  });

  it('in the error pane: the message and the hint, a coroner error or a bug', async () => {
    const ui = draw(<ErrorPane error={new CoronerError(h('no such container'), h('list them'))} />);
    const frame = await expectShownSafely(ui);
    expect(frame.split(SHOWN).length - 1).toBe(2);
    const bug = draw(<ErrorPane error={new Error(h('TypeError'))} />);
    await expectShownSafely(bug);
  });

  it('from the console itself: the container asked for, and a triage that failed', async () => {
    const actions = {
      listContainers: () => Promise.resolve([]),
      triage: () => Promise.reject(new CoronerError(h('not found'), h('list them'))),
    } as unknown as ConsoleActions;
    const ui = draw(<App actions={actions} initialContainer={h('web')} />);
    await expectShownSafely(ui, `Error: ${SHOWN}`);
  });
});

describe('the one way text reaches the screen', () => {
  it('is the escaping Text component: no screen draws text with ink’s own', async () => {
    const root = path.join(import.meta.dirname, '../../ui');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.tsx'));
    const offenders: string[] = [];
    for (const file of files) {
      if (file === path.join('components', 'Text.tsx')) continue;
      const source = await readFile(path.join(root, file), 'utf8');
      for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'ink'/g))
        if (/\b(Text|Transform|Static)\b/.test(m[1]!)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
