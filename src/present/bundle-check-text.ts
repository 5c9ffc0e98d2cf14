/**
 * `coroner verify <bundle>` as lines of text. Paths, hashes and sizes come from the bundle's
 * own manifest and entries, which a forger writes: every value goes through `safe`.
 */
import type { VerifyResult } from '../bundle/verify.js';
import { cut, safe, trusted } from '../untrusted.js';

const SIGNATURE: Record<VerifyResult['signature'], string> = {
  valid: 'signature valid',
  invalid: 'SIGNATURE INVALID',
  absent: 'not signed',
  'not-checked': 'signed; pass --key to check the signature',
  missing: 'NO SIGNATURE, though a key was given',
};

export function bundleCheckText(where: string, result: VerifyResult): string[] {
  const signature = trusted(SIGNATURE[result.signature]);
  const bundle = cut(where, 500);
  if (result.isIntact)
    return [
      safe`OK: ${bundle}: all ${result.manifest?.files.length ?? 0} files match the manifest (sha256); ${signature}`,
    ];
  return [
    safe`FAILED: ${bundle} does not match its manifest; ${signature}`,
    ...result.altered.map(
      (a) =>
        safe`  altered: ${cut(a.path, 500)} (sha256 ${a.expectedSha256} expected, ${a.actualSha256} found; ${a.expectedSize} -> ${a.actualSize} bytes)`,
    ),
    ...result.missing.map((m) => safe`  missing: ${cut(m, 500)}`),
    ...result.extra.map((x) => safe`  extra:   ${cut(x, 500)}`),
    ...result.duplicates.map((d) => safe`  twice:   ${cut(d, 500)}`),
    ...result.forged.map((f) => safe`  forged:  ${cut(f.path, 500)} (${f.why})`),
  ];
}
