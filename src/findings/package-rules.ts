/**
 * What the package databases say of a changed file, as rules: a package file whose
 * content no longer matches its checksum is modified software (debsums' verdict); a file
 * whose content is exactly what its package installed is that package's, and where a
 * rule ranked it only for its place (a unit in a systemd folder, a new script), that rank
 * is lowered and says why. Content rules (a reverse shell, a web shell) are never lowered:
 * a package can carry a backdoor, and the container's own database is attacker-writable.
 */
import type { Finding } from '../report/finding.js';
import type { PackageEvidence } from '../report/package.js';
import { SEVERITY_RANK } from '../report/severity.js';
import type { ChangeFacts, ChangeRule } from './change-rules.js';

const CODE_DIRS = /^\/(?:usr\/)?(?:local\/)?(?:s?bin|lib(?:32|64|x32|exec)?)\//;

const byWhom = (p: PackageEvidence) =>
  `${p.manager} package ${p.package} (per ${p.database === 'image' ? "the image's" : "the container's own"} package database)`;

/** A package's file whose content is no longer what the package installed. */
export const packageFileModified: ChangeRule = (f) => {
  const p = f.package;
  if (!p || p.verdict !== 'differs' || p.isConffile) return undefined;
  if (p.database === 'container')
    return {
      severity: 'medium',
      reason: `changed since ${byWhom(p)} installed it in this container`,
    };
  if (p.isInContainerDatabase)
    return {
      severity: 'medium',
      reason: `differs from what ${byWhom(p)} installed; the container's own database was rewritten to the new content (an upgrade inside the container, or a cover-up)`,
    };
  const isCode =
    f.currentType === 'elf' ||
    f.currentType === 'script' ||
    CODE_DIRS.test(f.path) ||
    /\.so(?:\.[0-9.]+)?$/.test(f.path);
  return {
    severity: isCode ? 'high' : 'medium',
    reason: `modified package file: its ${p.algorithm} is not what ${byWhom(p)} lists (as debsums would report)`,
    attack: isCode ? 'T1554' : 'T1565.001',
  };
};

/** The package database changed: what was installed inside the container. */
export const packagesInstalled: ChangeRule = (f) => {
  const installed = f.packagesInstalledInContainer;
  if (!installed?.length) return undefined;
  const shown = installed.slice(0, 8).join(', ');
  const more = installed.length > 8 ? ` and ${installed.length - 8} more` : '';
  return {
    severity: 'medium',
    reason: `packages installed or upgraded inside the container: ${shown}${more}`,
  };
};

/** Rules that rank a file for where it is or that it is new, not for what it says. */
const PLACE_RULES = new Set([
  'cron',
  'systemd',
  'startup',
  'package-hook',
  'pam',
  'sudoers',
  'udev',
  'dbus',
  'boot-loader',
  'kernel-module',
  'event-hook',
  'git-config',
  'web-server-config',
  'system-binary',
  'web-content',
  'new-executable',
  'hidden-name',
]);

/** True when the file is byte for byte its package's, with the owner and mode it had. */
function isPackagesOwn(f: ChangeFacts): boolean {
  if (f.package?.verdict !== 'matches') return false;
  if (f.package.database === 'container' || !f.original || !f.current) return true;
  const [o, c] = [f.original, f.current];
  return o.mode === c.mode && o.uid === c.uid && o.gid === c.gid;
}

/** Place findings on a package's own file, lowered to low with the package named. */
export function lowerPlaceFindings(f: ChangeFacts, findings: Finding[]): Finding[] {
  const note = isPackagesOwn(f)
    ? `; yet its content is what ${byWhom(f.package!)} installed`
    : f.recordOfPackageInstalledHere
      ? `; yet it is dpkg's record of package ${f.recordOfPackageInstalledHere}, which the container's own package database lists as installed in this container`
      : undefined;
  if (!note) return findings;
  return findings.map((x) =>
    PLACE_RULES.has(x.rule) && SEVERITY_RANK[x.severity] > SEVERITY_RANK.low
      ? { ...x, severity: 'low' as const, reason: x.reason + note }
      : x,
  );
}
