/**
 * `npx tsx bench/fuzz-bbolt.ts [--mutations N] [--seed S] [--real DIR]`: fuzzes the bbolt
 * reader and the containerd root reader (issue 25) with mutations of bbolt files: two the
 * test builder writes (test/support/bolt-pages.ts: containerd's bucket layout, and the same
 * with a branch page over two leaves), and, with `--real DIR`, a `meta.db` and a
 * `metadata.db` containerd 1.7 itself wrote. To make those once: start the newer engine on
 * the containerd store (test/support/newer-engine.ts, `startNewerEngine({containerdStore:
 * true})`), load an image, run and stop a container, stop the engine and copy
 * `io.containerd.metadata.v1.bolt/meta.db` and `io.containerd.snapshotter.v1.overlayfs/
 * metadata.db` from its containerd root into DIR (never into the repository).
 *
 * Half the mutations are anywhere in the file, half in one page's header and elements.
 * Each mutant is opened, walked whole (every bucket, every key), and, put in a containerd
 * root beside the other seed, read as coroner reads it (namespaces, images, the chain of
 * every snapshot the seed holds). The bench reports, per seed, the slowest read, the highest
 * cost per byte of file (steps: pages and elements; bytes read), how many mutants were
 * refused and why (first words), the peak RSS, and every finding: an exception other than
 * BoltFormatError or ContainerdRootError, or a cost past the file's budget. A finding is
 * replayed by its seed, and its file is kept. Asserts nothing; exits 1 on a finding.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BoltFile,
  BoltFormatError,
  type BoltBucket,
} from '../src/sources/containerd-store/bbolt.js';
import {
  ContainerdRoot,
  ContainerdRootError,
} from '../src/sources/containerd-store/containerd-root.js';
import { buildBolt, type BoltTree } from '../test/support/bolt-pages.js';
import { mutate, random } from '../test/support/mutate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const MUTATIONS = option('--mutations', 1000);
const SEED = option('--seed', 1);
const REAL = args.includes('--real') ? args[args.indexOf('--real') + 1] : undefined;

const META_DB = 'io.containerd.metadata.v1.bolt/meta.db';
const SNAPSHOTS_DB = 'io.containerd.snapshotter.v1.overlayfs/metadata.db';

interface Seed {
  name: string;
  /** Where in a containerd root this file goes. */
  kind: 'meta' | 'snapshots';
  bytes: Buffer;
}

/** The builder's files: containerd's layout, and one bucket as a branch over two leaves. */
function builderSeeds(): Seed[] {
  const snapshots: BoltTree = {};
  const backend: BoltTree = {};
  for (let i = 0; i < 6; i++) {
    const key = i === 0 ? 'c1' : i === 1 ? 'c1-init' : `sha256:${String(i).repeat(64)}`;
    const parent = i === 0 ? 'c1-init' : i < 5 ? `sha256:${String(i + 1).repeat(64)}` : undefined;
    const name = `moby/${i + 1}/${key}`;
    snapshots[key] = parent ? { name, parent, kind: Buffer.from([2]) } : { name };
    backend[name] = { id: Buffer.from([i + 1]), kind: Buffer.from([parent ? 2 : 3]) };
  }
  const meta = buildBolt({
    v1: {
      moby: {
        snapshots: { overlayfs: snapshots },
        images: {
          'busybox:latest': {
            target: { digest: `sha256:${'a'.repeat(64)}`, mediatype: 'application/json' },
          },
        },
        containers: { c1: { image: 'busybox:latest', snapshotKey: 'c1' } },
      },
    },
    version: Buffer.from([3]),
  });
  const snapshotter = buildBolt({ v1: { snapshots: backend } });

  // A branch page over two buckets' leaves: `overlayfs` becomes their union.
  const left: BoltTree = {};
  const right: BoltTree = {};
  for (let i = 0; i < 40; i++) (i < 20 ? left : right)[`k${String(i).padStart(3, '0')}`] = 'v';
  const branched = buildBolt({ v1: { moby: { snapshots: { overlayfs: {} } } }, a: left, b: right });
  const page = Buffer.alloc(branched.pageSize);
  const id = branched.bytes.length / branched.pageSize;
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(0x01, 8);
  page.writeUInt16LE(2, 10);
  const keys = [Buffer.from('k000'), Buffer.from('k020')];
  keys.forEach((key, i) => {
    const at = 16 + i * 16;
    page.writeUInt32LE(16 * (2 - i) + i * 4, at);
    page.writeUInt32LE(key.length, at + 4);
    page.writeBigUInt64LE(BigInt(branched.pages.get(i === 0 ? 'a' : 'b')!), at + 8);
    key.copy(page, 48 + i * 4);
  });
  const bytes = Buffer.concat([branched.bytes, page]);
  const snapshotsPage = branched.pages.get('v1/moby/snapshots')! * branched.pageSize;
  const e = snapshotsPage + 16;
  bytes.writeBigUInt64LE(
    BigInt(id),
    e + bytes.readUInt32LE(e + 4) + bytes.readUInt32LE(e + 8), // the header of `overlayfs`
  );
  // The meta pages' high-water mark is not read; the branch page simply follows the others.
  return [
    { name: 'builder meta.db (containerd layout)', kind: 'meta', bytes: meta.bytes },
    { name: 'builder metadata.db', kind: 'snapshots', bytes: snapshotter.bytes },
    { name: 'builder meta.db with a branch page', kind: 'meta', bytes },
  ];
}

/**
 * Half the mutations land where the structure is (a page's header and elements, or a meta
 * page), not in the slack most of a page is: mutate()'s changes applied to one such window.
 */
function mutateStructure(seed: Buffer, pageSize: number, next: () => number): Buffer {
  if (next() < 0.5) return mutate(seed, next);
  const pages: [number, number][] = [];
  for (let at = 0; at + 16 <= seed.length; at += pageSize) {
    const flags = seed.readUInt16LE(at + 8);
    if (!(flags & 0x07)) continue; // only branch, leaf and meta pages
    const length =
      flags & 0x04 ? 80 : Math.min(pageSize, 16 + seed.readUInt16LE(at + 10) * 16 + 64);
    pages.push([at, length]);
  }
  const [at, length] = pages[Math.floor(next() * pages.length)]!;
  const bytes = Buffer.from(seed);
  mutate(seed.subarray(at, at + length), next).copy(bytes, at);
  return bytes;
}

async function walk(bucket: BoltBucket): Promise<number> {
  let keys = 0;
  for await (const e of bucket.entries()) keys += 1 + (e.bucket ? await walk(e.bucket) : 0);
  return keys;
}

/** The snapshot keys of every namespace of a meta.db, read from the unmutated seed. */
async function snapshotKeys(file: string): Promise<[string, string][]> {
  const db = await BoltFile.open(file);
  const keys: [string, string][] = [];
  try {
    const v1 = await db.bucketAt(['v1']);
    if (!v1) return keys;
    for await (const ns of v1.entries()) {
      if (!ns.bucket) continue;
      const overlay = await db.bucketAt(['v1', ns.key.toString(), 'snapshots', 'overlayfs']);
      if (!overlay) continue;
      for await (const s of overlay.entries()) keys.push([ns.key.toString(), s.key.toString()]);
    }
  } finally {
    await db.close();
  }
  return keys;
}

interface Finding {
  seed: string;
  mutation: number;
  what: string;
  file: string;
}

const isExpected = (e: unknown) => e instanceof BoltFormatError || e instanceof ContainerdRootError;

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'coroner-fuzz-bbolt-'));
  const seeds = builderSeeds();
  if (REAL) {
    seeds.push({
      name: 'containerd 1.7 meta.db',
      kind: 'meta',
      bytes: await readFile(path.join(REAL, 'meta.db')),
    });
    seeds.push({
      name: 'containerd 1.7 overlayfs metadata.db',
      kind: 'snapshots',
      bytes: await readFile(path.join(REAL, 'metadata.db')),
    });
  }
  // A containerd root per pairing: the mutant in its place, the other file as its seed is.
  const partner = (kind: Seed['kind'], real: boolean) =>
    seeds.find((s) => s.kind !== kind && s.name.startsWith(real ? 'containerd' : 'builder'))!;
  const root = path.join(work, 'root');
  await mkdir(path.join(root, path.dirname(META_DB)), { recursive: true });
  await mkdir(path.join(root, path.dirname(SNAPSHOTS_DB), 'snapshots'), { recursive: true });
  const findings: Finding[] = [];
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  console.log(
    `seeds in ${work}; ${MUTATIONS} mutations each, seed ${SEED}${REAL ? `, real files from ${REAL}` : ' (builder files only: --real DIR adds containerd 1.7 files)'}`,
  );
  let tried = 0;
  let escaped = 0;

  for (const seed of seeds) {
    const real = seed.name.startsWith('containerd');
    const other = partner(seed.kind, real);
    const target = path.join(root, seed.kind === 'meta' ? META_DB : SNAPSHOTS_DB);
    await writeFile(path.join(root, other.kind === 'meta' ? META_DB : SNAPSHOTS_DB), other.bytes);
    const metaSeed = path.join(work, 'meta-seed.db');
    await writeFile(metaSeed, seed.kind === 'meta' ? seed.bytes : other.bytes);
    const chains = await snapshotKeys(metaSeed);
    const next = random(SEED * 7919 + seed.bytes.length);
    const worst = { ms: 0, slowest: Buffer.alloc(0) as Buffer, stepsPerByte: 0, bytesPerByte: 0 };
    const refused = new Map<string, number>();
    let readWhole = 0;
    for (let m = 0; m < MUTATIONS; m++) {
      const bytes = mutateStructure(seed.bytes, 4096, next);
      await writeFile(target, bytes);
      tried++;
      const started = process.hrtime.bigint();
      let db: BoltFile | undefined;
      let containerd: ContainerdRoot | undefined;
      const keep = async (what: string) => {
        const file = path.join(work, `finding-${findings.length}`);
        await writeFile(file, bytes);
        findings.push({ seed: seed.name, mutation: m, what, file });
      };
      try {
        try {
          db = await BoltFile.open(target);
          await walk(db.root());
          readWhole++;
        } finally {
          if (db) {
            const { steps, bytes: read } = db.cost;
            worst.stepsPerByte = Math.max(worst.stepsPerByte, steps / Math.max(1, bytes.length));
            worst.bytesPerByte = Math.max(worst.bytesPerByte, read / Math.max(1, bytes.length));
            if (steps > db.budget.steps + 1 || read > db.budget.bytes + 64 * 2 ** 20)
              await keep(`over budget: ${steps} steps, ${read} bytes`);
            await db.close();
          }
        }
      } catch (e) {
        if (!isExpected(e)) {
          escaped++;
          await keep(`walk threw ${String(e)}`);
        } else {
          const why = (e as Error).message
            .replace(/^[^:]*: /, '')
            .replace(/[0-9]+/g, 'N')
            .replace(/"[^"]*"/g, '…')
            .slice(0, 60);
          refused.set(why, (refused.get(why) ?? 0) + 1);
        }
      }
      // Then as coroner reads a containerd root: each call on its own, each may be refused.
      try {
        containerd = await ContainerdRoot.open(root);
        const calls: (() => Promise<unknown>)[] = [
          () => containerd!.namespaces(),
          ...[...new Set(chains.map(([ns]) => ns))].map((ns) => () => containerd!.images(ns)),
          ...chains.map(
            ([ns, key]) =>
              () =>
                containerd!.snapshotChain(ns, key),
          ),
        ];
        for (const call of calls)
          await call().catch(async (e: unknown) => {
            if (!isExpected(e)) {
              escaped++;
              await keep(`containerd root threw ${String(e)}`);
            }
          });
      } catch (e) {
        if (!isExpected(e)) {
          escaped++;
          await keep(`containerd root open threw ${String(e)}`);
        }
      } finally {
        await containerd?.close();
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > worst.ms) [worst.ms, worst.slowest] = [ms, bytes];
    }
    // The slowest read again, alone: on a shared machine one slow read may be another's doing.
    await writeFile(target, worst.slowest);
    const again = process.hrtime.bigint();
    const db = await BoltFile.open(target).catch(() => undefined);
    if (db) await walk(db.root()).catch(() => undefined);
    await db?.close();
    const againMs = Number(process.hrtime.bigint() - again) / 1e6;
    const reasons = [...refused.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([why, n]) => `${n} "${why}"`)
      .join(', ');
    console.log(
      `${seed.name} (${seed.bytes.length} bytes): ${readWhole} read whole, ${MUTATIONS - readWhole} refused; ` +
        `slowest ${worst.ms.toFixed(1)} ms with the containerd reads (${againMs.toFixed(1)} ms its walk alone, again), ` +
        `at most ${worst.stepsPerByte.toFixed(3)} steps and ${worst.bytesPerByte.toFixed(3)} bytes read per byte of file; ` +
        `most refused: ${reasons}`,
    );
  }
  clearInterval(sample);
  console.log(
    `${tried} mutations tried, ${escaped} exceptions escaped, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const f of findings)
    console.log(`FINDING ${f.seed} #${f.mutation}: ${f.what.slice(0, 300)} (${f.file})`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

await main();
