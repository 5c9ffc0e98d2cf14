/** `coroner verify <case folder>` as lines of text (paths escaped: they may come from the suspect). */
import type { CaseCheck } from '../bundle/verify-case.js';
import { safeLine } from '../untrusted.js';

const SHOWN = 20;

function listed(label: string, paths: string[]): string[] {
  const lines = paths.slice(0, SHOWN).map((p) => `  ${label} ${safeLine(p, 500)}`);
  if (paths.length > SHOWN) lines.push(`  … and ${paths.length - SHOWN} more`);
  return lines;
}

export function caseCheckText(dir: string, check: CaseCheck): string[] {
  const where = safeLine(dir, 500);
  if (check.state === 'incomplete') {
    return [
      `INCOMPLETE: ${where} is an interrupted triage: it has no report.json, so nothing in it was checked or presented as a finished case.`,
      `  holds ${check.files.length} files${check.partial.length ? ` and ${check.partial.length} cut-off partial writes` : ''}`,
      check.evidenceImage
        ? `  the evidence image was committed before the interruption: ${check.evidenceImage.repoTags.map((t) => safeLine(t, 300)).join(', ') || '(untagged)'} ${check.evidenceImage.id}`
        : '  no evidence image was recorded in it',
      '  run `coroner triage <container>` again for a complete case (this folder is left as it is)',
    ];
  }
  const about = `a triage of ${safeLine(check.container.name, 200)} finished ${check.finishedAt}`;
  if (check.isIntact)
    return [
      `OK: ${where}: ${about}; all ${check.checked} files match the hashes taken at acquisition (sha256)`,
      '  (report.json holds those hashes and is not itself covered: `coroner export --sign` makes it tamper-evident)',
    ];
  return [
    `FAILED: ${where}: ${about}; it no longer matches the hashes taken at acquisition`,
    ...check.altered.flatMap((a) => [
      `  altered: ${safeLine(a.path, 500)} (sha256 ${a.expectedSha256} at acquisition, ${a.actualSha256} now)`,
    ]),
    ...listed('missing:', check.missing),
    ...listed('extra:  ', check.extra),
  ];
}
