/**
 * The triage's findings as SARIF 2.1.0, for code-scanning dashboards and ticketing that
 * read it: one rule per coroner rule, one result per finding (low and above), the path in
 * the container as the location, the ATT&CK technique as a tag. Untrusted text stays
 * text: names are percent-encoded in URIs, and the file is written with every control
 * character escaped.
 * https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import { createHash } from 'node:crypto';
import { nameBytes } from '../case/container-path.js';
import { techniqueLabel } from '../findings/attack.js';
import type { Finding } from '../report/finding.js';
import { SEVERITY_RANK, type Severity } from '../report/severity.js';
import type { TriageReport } from '../report/triage-report.js';
import { CORONER_VERSION } from '../version.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub code scanning ranks by this (0-10), as CVSS does. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: '0.0',
};

/** What encodeURIComponent leaves as it is. */
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]$/;

/**
 * `/var/www/a b.php` as a URI relative to the container's root: `var/www/a%20b.php`. A name
 * read as raw bytes that are not UTF-8 (nameFromBytes) is percent-encoded byte for byte
 * (encodeURIComponent would throw on it).
 */
export function containerUri(path: string): string {
  const encode = (part: string) =>
    [...nameBytes(part)]
      .map((byte) => {
        const ch = String.fromCharCode(byte);
        return UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return path.split('/').filter(Boolean).map(encode).join('/');
}

export function sarifLog(report: TriageReport): Record<string, unknown> {
  const shown = report.findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.low);
  const ruleIds = [...new Set(shown.map((f) => f.rule))].sort();
  // A rule's level is that of its worst finding: dashboards show rules, not only results.
  const worst = new Map<string, Finding>();
  for (const f of shown) {
    const seen = worst.get(f.rule);
    if (!seen || SEVERITY_RANK[f.severity] > SEVERITY_RANK[seen.severity]) worst.set(f.rule, f);
  }
  const rules = ruleIds.map((id) => {
    const f = worst.get(id)!;
    return {
      id,
      name: id,
      shortDescription: { text: `coroner rule ${id}` },
      defaultConfiguration: { level: LEVEL[f.severity] },
      properties: {
        tags: ['security', ...(f.attack ? [`external/mitre/attack/${f.attack}`] : [])],
        'security-severity': SECURITY_SEVERITY[f.severity],
      },
    };
  });
  const subject = report.container;
  const results = shown.map((f) => ({
    ruleId: f.rule,
    ruleIndex: ruleIds.indexOf(f.rule),
    level: LEVEL[f.severity],
    message: {
      text: `${f.reason}${f.pid !== undefined ? ` (pid ${f.pid})` : ''}${f.attack ? ` [${techniqueLabel(f.attack)}]` : ''}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: containerUri(f.path) || '.', uriBaseId: 'CONTAINER_ROOT' },
        },
      },
    ],
    // The same finding on the same container keeps its identity from one triage to the next.
    partialFingerprints: {
      'coroner/v1': createHash('sha256')
        .update(`${subject.id}\0${f.rule}\0${f.path}\0${f.pid ?? ''}`)
        .digest('hex'),
    },
    properties: {
      severity: f.severity,
      ...(f.attack ? { attack: f.attack } : {}),
      ...(f.pid !== undefined ? { pid: f.pid } : {}),
    },
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'coroner',
            version: CORONER_VERSION,
            rules,
          },
        },
        automationDetails: { id: `coroner/${subject.name}/${report.startedAt}` },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.startedAt,
            endTimeUtc: report.finishedAt,
          },
        ],
        originalUriBaseIds: {
          CONTAINER_ROOT: {
            uri: 'file:///',
            description: {
              text: `the root of container ${subject.name} (${subject.id}); evidence in ${report.caseDir}`,
            },
          },
        },
        results,
      },
    ],
  };
}
