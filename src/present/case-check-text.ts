/**
 * `coroner verify <case folder>` as lines of text. Paths, names, times and hashes come from
 * the folder and its report.json, which anyone with the folder can edit: every value goes
 * through `safe`.
 */
import type { CaseCheck } from '../bundle/verify-case.js';
import { cut, safe, trusted } from '../untrusted.js';

const SHOWN = 20;

function listed(label: string, paths: string[]): string[] {
  const lines = paths.slice(0, SHOWN).map((p) => safe`  ${label} ${cut(p, 500)}`);
  if (paths.length > SHOWN) lines.push(`  … and ${paths.length - SHOWN} more`);
  return lines;
}

export function caseCheckText(dir: string, check: CaseCheck): string[] {
  const where = cut(dir, 500);
  if (check.state === 'incomplete') {
    const image = check.evidenceImage;
    return [
      safe`INCOMPLETE: ${where} is an interrupted triage: it has no report.json, so nothing in it was checked or presented as a finished case.`,
      safe`  holds ${check.files.length} files${check.partial.length ? ` and ${check.partial.length} cut-off partial writes` : ''}`,
      image
        ? safe`  the evidence image was committed before the interruption: ${image.repoTags.join(', ') || '(untagged)'} ${cut(image.id, 200)}`
        : '  no evidence image was recorded in it',
      '  run `coroner triage <container>` again for a complete case (this folder is left as it is)',
    ];
  }
  const about = trusted(
    safe`a triage of ${cut(check.container.name, 200)} finished ${cut(check.finishedAt, 100)}`,
  );
  if (check.isIntact)
    return [
      safe`OK: ${where}: ${about}; all ${check.checked} files match the hashes taken at acquisition (sha256)`,
      '  (report.json holds those hashes and is not itself covered: `coroner export --sign` makes it tamper-evident)',
    ];
  return [
    safe`FAILED: ${where}: ${about}; it no longer matches the hashes taken at acquisition`,
    ...check.altered.map(
      (a) =>
        safe`  altered: ${cut(a.path, 500)} (sha256 ${cut(a.expectedSha256, 100)} at acquisition, ${cut(a.actualSha256, 100)} now)`,
    ),
    ...listed('missing:', check.missing),
    ...listed('extra:  ', check.extra),
  ];
}
