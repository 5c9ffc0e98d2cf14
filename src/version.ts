import { readFileSync } from 'node:fs';

/** coroner's own version, from its package.json (recorded in every evidence label and manifest). */
export const CORONER_VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'coroner' && pkg.version) return pkg.version;
    } catch {
      // not at this depth: source (src/) and build (dist/src/) differ by one level
    }
  }
  return '0.0.0-unknown';
})();
