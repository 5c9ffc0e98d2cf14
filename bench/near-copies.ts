/**
 * Near copies between the sides of a split: collections copy each other's shells with a
 * changed password or banner, so a held-out file can be a tuning file in all but bytes.
 * Each file's words (the likeness model's features) are summarised by MinHash, and two
 * files whose estimated Jaccard similarity reaches `NEAR` count as near copies. The
 * held-out figure is then given again on the files with no near copy on the tuning side.
 */
import { ruleText } from '../src/findings/rule-budget.js';
import { isShape, likenessFeatures } from '../src/findings/web-shell/likeness.js';
import { sampleOf } from './corpora.js';

const HASHES = 64;
export const NEAR = 0.5;

// FNV-1a of the feature, then one cheap mix per hash function.
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => Math.imul(i + 1, 0x9e3779b1) >>> 0);

function mix(h: number, seed: number): number {
  let x = (h ^ seed) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export async function signatureOf(file: string): Promise<Uint32Array> {
  const { sample, sizeBytes } = await sampleOf(file);
  const text = ruleText(sample, sizeBytes).text ?? sample.toString('latin1');
  const signature = new Uint32Array(HASHES).fill(0xffffffff);
  for (const f of likenessFeatures(text)) {
    // Words only, as when the splits were made: signals and shapes are shared by many files.
    if (f.startsWith('#') || isShape(f)) continue;
    const h = fnv(f);
    for (let k = 0; k < HASHES; k++) {
      const v = mix(h, SEEDS[k]!);
      if (v < signature[k]!) signature[k] = v;
    }
  }
  return signature;
}

/** The estimated Jaccard similarity of two files' words. */
export const similarity = (a: Uint32Array, b: Uint32Array) => {
  let same = 0;
  for (let k = 0; k < HASHES; k++) if (a[k] === b[k]) same++;
  return same / HASHES;
};

/** The files of `files` that have a near copy among `others`. */
export async function withNearCopies(
  files: readonly string[],
  others: readonly string[],
): Promise<Set<string>> {
  const theirs = await Promise.all(others.map(signatureOf));
  const near = new Set<string>();
  for (const file of files) {
    const mine = await signatureOf(file);
    if (theirs.some((s) => similarity(mine, s) >= NEAR)) near.add(file);
  }
  return near;
}
