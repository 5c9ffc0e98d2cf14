import { describe, expect, it } from 'vitest';
import {
  mdCode,
  reportHtml as htmlPieces,
  reportMarkdown as markdownPieces,
  type ReportContext,
} from '../../src/bundle/report-text.js';

const reportHtml = (...args: Parameters<typeof htmlPieces>) => [...htmlPieces(...args)].join('');
const reportMarkdown = (...args: Parameters<typeof markdownPieces>) =>
  [...markdownPieces(...args)].join('');
import type { TriageReport } from '../../src/report/triage-report.js';
import { triageSummary } from '../../src/present/triage-summary.js';

const evil = '/var/www/<script>alert(1)</script>`|*\u001b]0;x\u0007\u202e.php';
const report = {
  container: { id: 'c'.repeat(64), name: 'web\u001b[2J-1', imageRef: 'img', imageId: 'sha256:1' },
  source: { kind: 'docker-live', engine: { version: '20', hostName: 'h', daemonId: 'd' } },
  startedAt: 's',
  finishedAt: 'f',
  hostCompromise: {
    isSuspected: true,
    reasons: ['CIS 5.32 container engine socket mounted: /var/run/docker.sock'],
  },
  counts: {
    added: 1,
    changed: 0,
    deleted: 0,
    parentOnly: 0,
    bySeverity: { critical: 1, high: 0, medium: 0, low: 0, info: 0 },
  },
  changes: [
    {
      path: evil,
      kind: 'A',
      isParentOnly: false,
      severity: 'critical',
      findings: [
        {
          rule: 'web-shell',
          path: evil,
          severity: 'critical',
          reason: 'web shell pattern',
          attack: 'T1505.003',
        },
      ],
      comparison: {
        metadata: [],
        content: {
          kind: 'text-diff',
          patch: '+<?php system($_GET["c"]); ?>\n+```\n+\u001b[31mred',
          addedLines: 3,
          removedLines: 0,
          isTruncated: false,
        },
      },
    },
  ],
  exposure: [],
  notCovered: [],
  notCollected: [],
  mounts: [],
  layers: { source: 'cache', savedBytes: 0, list: [] },
  problems: [],
} as unknown as TriageReport;
const ctx: ReportContext = {
  createdAt: 'now',
  redaction: { isEnvRedacted: false, redactedFiles: [] },
  evidence: {
    kind: 'image',
    id: 'sha256:e',
    name: 'coroner-evidence/web:1',
    isIncluded: true,
    file: 'evidence-image.tar',
  },
};

describe('reportHtml', () => {
  const page = reportHtml(report, ctx);
  it('escapes markup and control characters from the container', () => {
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(page).toContain('\\e]0;x\\x07\\u202e.php');
  });
  it("names each finding's ATT&CK technique", () => {
    expect(page).toContain('<td>T1505.003 Server Software Component: Web Shell</td>');
  });
  it('loads nothing from the network and says to treat the host as compromised', () => {
    expect(page).toContain(`default-src 'none'`);
    expect(page).not.toMatch(/<script|<link|src=/i);
    expect(page).toMatch(/class="alert">Treat the host as compromised/);
  });
});

describe('reportMarkdown', () => {
  const md = reportMarkdown(report, ctx);
  it('keeps untrusted text from breaking tables or fences', () => {
    expect(md).toContain('``/var/www/<script>alert(1)</script>`\\|*\\e]0;x\\x07\\u202e.php``');
    expect(md).toMatch(/\n````diff\n[\s\S]*\n\+```\n[\s\S]*\n````\n/);
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });
  it("names each finding's ATT&CK technique in its own column", () => {
    expect(md).toContain('| reason | ATT&CK |');
    expect(md).toContain('`web shell pattern` | T1505.003 Server Software Component: Web Shell |');
  });
});

describe('mdCode', () => {
  // Pasted into a ticket, none of these may become a link, a mention, an entity or markup.
  it.each([
    ['[click](https://evil.example)', '`[click](https://evil.example)`'],
    ['@security-team please approve', '`@security-team please approve`'],
    ['&#x202E;gnp.php', '`&#x202E;gnp.php`'],
    ['<img src=x onerror=alert(1)>', '`<img src=x onerror=alert(1)>`'],
    ['a`b``c', '```a`b``c```'],
    ['`start', '`` `start ``'],
    ['a|b', '`a\\|b`'],
    ['https://evil.example/x', '`https://evil.example/x`'],
  ])('puts %j in a code span whose fence it cannot close', (raw, expected) => {
    expect(mdCode(raw)).toBe(expected);
  });
});

describe("the container's command and start time", () => {
  const started = {
    ...report,
    container: {
      ...report.container,
      command: ['sh', '-c', `php ${evil}`],
      startedAt: '2026-12-02T20:37:10.5Z',
    },
  } as TriageReport;
  it('shows them in the HTML report, escaped', () => {
    const page = reportHtml(started, ctx);
    expect(page).toContain(
      '<tr><th>Command</th><td><code>[&quot;sh&quot;,&quot;-c&quot;,&quot;php /var/www/&lt;script&gt;',
    );
    expect(page).toContain('<tr><th>Started</th><td>2026-12-02T20:37:10.5Z</td></tr>');
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });
  it('shows them in the Markdown report, in code spans', () => {
    const md = reportMarkdown(started, ctx);
    expect(md).toMatch(/\n- Command: `+\["sh","-c","php \/var\/www\/<script>alert\(1\)<\/script>`/);
    expect(md).toContain('- Started: `2026-12-02T20:37:10.5Z` (as the engine recorded it)');
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });
  it('shows them in the triage summary, escaped', () => {
    const lines = triageSummary({
      ...started,
      changes: [],
      findings: [],
      exposure: [],
      processes: undefined,
      events: undefined,
      evidence: {
        kind: 'image',
        id: 'sha256:e',
        repo: 'r',
        tag: 't',
        committedAt: 'c',
        wasPaused: true,
      },
      caseDir: '/c',
    } as unknown as TriageReport);
    expect(lines).toContain('  started:  2026-12-02T20:37:10.5Z');
    const command = lines.find((l) => l.startsWith('  command:  '))!;
    expect(command).toMatch(/^ {2}command: {2}\["sh","-c","php \/var\/www\/<script>/);
    expect(command).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });
});
