/**
 * Seeded mutations of a database file, for fuzzing the package readers
 * (bench/fuzz-packages.ts, test/unit/package-fuzz.test.ts): bytes flipped or set to values
 * a format gives meaning to, 16- and 32-bit numbers overwritten (page numbers, offsets,
 * counts), a run of bytes copied over another (a structure repeated), the file cut short.
 * The same seed gives the same mutation, so a finding can be replayed.
 */

/** A small, fast PRNG (xorshift32): deterministic from `seed`. */
export function random(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const INTERESTING = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff];

/** A copy of `seed` with 1 to 8 mutations drawn from `next`. */
export function mutate(seed: Buffer, next: () => number): Buffer {
  let bytes = Buffer.from(seed);
  const at = () => Math.floor(next() * bytes.length);
  const count = 1 + Math.floor(next() * 8);
  for (let i = 0; i < count && bytes.length > 0; i++) {
    const kind = Math.floor(next() * 7);
    if (kind === 0) {
      const p = at();
      bytes[p] = bytes[p]! ^ (1 << Math.floor(next() * 8));
    } else if (kind === 1) bytes[at()] = Math.floor(next() * 256);
    else if (kind === 2) {
      const p = Math.min(at(), bytes.length - 2);
      if (p >= 0) bytes.writeUInt16BE(INTERESTING[Math.floor(next() * 10)]!, p);
    } else if (kind === 3) {
      const p = Math.min(at(), bytes.length - 4);
      const value = INTERESTING[Math.floor(next() * INTERESTING.length)]!;
      if (p >= 0) (next() < 0.5 ? bytes.writeUInt32BE : bytes.writeUInt32LE).call(bytes, value, p);
    } else if (kind === 4) {
      // A run copied over another: a cell, an item or an index entry said twice.
      const length = 1 + Math.floor(next() * 64);
      const from = at();
      bytes.copy(bytes, at(), from, Math.min(bytes.length, from + length));
    } else if (kind === 5) {
      // A small number (a count, a page number) nudged.
      const p = Math.min(at(), bytes.length - 2);
      if (p >= 0)
        bytes.writeUInt16BE((bytes.readUInt16BE(p) + (next() < 0.5 ? 1 : 0xffff)) & 0xffff, p);
    } else if (next() < 0.2) bytes = bytes.subarray(0, at());
  }
  return bytes;
}
