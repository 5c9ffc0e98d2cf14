/**
 * `npx tsx bench/fuzz-packages.ts [--mutations N] [--seed S]`: fuzzes the RPM database
 * readers (issue 24) with mutations of real files: an rpmdb.sqlite rpm itself wrote (rpmbuild
 * and rpm -i), the same headers in a `Packages(hnum, blob)` table Python's sqlite3 wrote
 * with 512-byte pages (so headers spill into overflow chains), a Berkeley DB hash file
 * db5.3_load wrote (512-byte pages), and the headers alone. Each mutation is read in this
 * process; the bench reports the slowest read, the highest cost per byte of file, the peak
 * RSS, and every finding: an exception out of the reader, an error the reader did not
 * expect (a problem saying its bytes broke it), or a cost past the file's budget. A finding
 * is replayed by its seed, and its file is kept. Needs rpm, rpmbuild, db5.3_load, python3
 * (scripts/ensure-engine.sh --test-tools installs them). Asserts nothing; exits 1 on a finding.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BudgetExhausted, ReadBudget } from '../src/packages/read-budget.js';
import { readRpmDatabase } from '../src/packages/rpm-database.js';
import { parseRpmHeader, RpmHeaderError } from '../src/packages/rpm-header.js';
import { mutate, random } from '../test/support/mutate.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;
const MUTATIONS = option('--mutations', 1000);
const SEED = option('--seed', 1);

function spec(name: string, files: [string, string][], config: string[] = []): string {
  const install = files
    .map(
      ([p, c]) =>
        `mkdir -p "%{buildroot}${path.dirname(p)}"\nprintf '%s' '${c}' > "%{buildroot}${p}"`,
    )
    .join('\n');
  const list = files.map(([p]) => (config.includes(p) ? `%config(noreplace) ${p}` : p));
  return `Name: ${name}\nVersion: 1.0\nRelease: 1\nSummary: fuzz seed\nLicense: MIT\nBuildArch: noarch\n%description\nseed\n%install\n${install}\n%files\n${list.join('\n')}\n`;
}

/** The seeds: real files written by rpm, Python's sqlite3 and Berkeley DB, in `work`. */
async function seeds(work: string) {
  const top = path.join(work, 'rpmbuild');
  await mkdir(path.join(top, 'SPECS'), { recursive: true });
  const packages: [string, [string, string][], string[]][] = [
    [
      'fuzz-tool',
      [
        ['/usr/bin/fuzz-tool', 'binary'],
        ['/etc/fuzz/fuzz.conf', 'conf'],
      ],
      ['/etc/fuzz/fuzz.conf'],
    ],
    [
      'fuzz-bulk',
      Array.from(
        { length: 120 },
        (_, i) => [`/usr/share/fuzz/f${i}.txt`, `line ${i}`] as [string, string],
      ),
      [],
    ],
  ];
  const rpms: string[] = [];
  for (const [name, files, config] of packages) {
    const file = path.join(top, 'SPECS', `${name}.spec`);
    await writeFile(file, spec(name, files, config));
    await run('rpmbuild', ['--define', `_topdir ${top}`, '--quiet', '-bb', file]);
    rpms.push(path.join(top, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`));
  }
  const root = path.join(work, 'root');
  const base = ['--root', root, '--dbpath', '/var/lib/rpm'];
  await run('rpm', [...base, '--initdb']);
  await run('rpm', [...base, '-i', '--nodeps', '--noscripts', '--nosignature', ...rpms]);
  const rpmSqlite = path.join(root, 'var/lib/rpm/rpmdb.sqlite');

  // The same headers, by Python's sqlite3, on small pages; and as a Berkeley DB dump.
  const pySqlite = path.join(work, 'py.sqlite');
  const dump = path.join(work, 'packages.dump');
  await run('python3', [
    '-c',
    `import sqlite3, struct, sys
src = sqlite3.connect(sys.argv[1])
blobs = [b for (b,) in src.execute("select blob from Packages order by hnum")]
dst = sqlite3.connect(sys.argv[2])
dst.execute("pragma page_size=512")
dst.execute("create table Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
dst.executemany("insert into Packages (blob) values (?)", [(b,) for b in blobs])
dst.commit()
key = lambda n: struct.pack("<I", n).hex()
pairs = [" %s\\n %s" % (key(0), key(len(blobs)))] + [" %s\\n %s" % (key(i + 1), b.hex()) for i, b in enumerate(blobs)]
open(sys.argv[3], "w").write("VERSION=3\\nformat=bytevalue\\ntype=hash\\ndb_pagesize=512\\nHEADER=END\\n" + "\\n".join(pairs) + "\\nDATA=END\\n")
for i, b in enumerate(blobs): open("%s.header%d" % (sys.argv[3], i), "wb").write(b)`,
    rpmSqlite,
    pySqlite,
    dump,
  ]);
  const berkeley = path.join(work, 'Packages');
  await run('db5.3_load', ['-f', dump, berkeley]);
  return {
    files: [
      {
        name: 'rpm-written rpmdb.sqlite',
        kind: 'sqlite' as const,
        bytes: await readFile(rpmSqlite),
      },
      {
        name: 'python sqlite3, 512-byte pages',
        kind: 'sqlite' as const,
        bytes: await readFile(pySqlite),
      },
      {
        name: 'db5.3_load hash, 512-byte pages',
        kind: 'berkeley' as const,
        bytes: await readFile(berkeley),
      },
    ],
    headers: await Promise.all(packages.map((_, i) => readFile(`${dump}.header${i}`))),
  };
}

interface Finding {
  seed: string;
  mutation: number;
  what: string;
  file?: string;
}

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'coroner-fuzz-packages-'));
  const { files, headers } = await seeds(work);
  const findings: Finding[] = [];
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const target = path.join(work, 'mutant');
  console.log(`seeds in ${work}; ${MUTATIONS} mutations each, seed ${SEED}`);

  for (const seedFile of files) {
    const next = random(SEED * 7919 + seedFile.bytes.length);
    const worst = {
      ms: 0,
      slowest: Buffer.alloc(0) as Buffer,
      stepsPerByte: 0,
      bytesPerByte: 0,
      problems: 0,
      stoppedByBudget: 0,
    };
    for (let m = 0; m < MUTATIONS; m++) {
      const bytes = mutate(seedFile.bytes, next);
      await writeFile(target, bytes);
      const started = process.hrtime.bigint();
      try {
        const read = await readRpmDatabase(target, seedFile.kind, () => {});
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const budget = ReadBudget.forFile(bytes.length);
        if (ms > worst.ms) [worst.ms, worst.slowest] = [ms, bytes];
        worst.stepsPerByte = Math.max(
          worst.stepsPerByte,
          read.cost.steps / Math.max(1, bytes.length),
        );
        worst.bytesPerByte = Math.max(
          worst.bytesPerByte,
          read.cost.bytes / Math.max(1, bytes.length),
        );
        if (read.problem) worst.problems++;
        if (read.problem?.includes('stopped after')) worst.stoppedByBudget++;
        const broke = read.problem?.includes('broke the reader');
        if (
          broke ||
          read.cost.steps > budget.maxSteps + 1e6 ||
          read.cost.bytes > budget.maxBytes + 64 * 2 ** 20
        ) {
          const kept = path.join(work, `finding-${findings.length}`);
          await writeFile(kept, bytes);
          findings.push({
            seed: seedFile.name,
            mutation: m,
            what: read.problem ?? 'over budget',
            file: kept,
          });
        }
      } catch (e) {
        const kept = path.join(work, `finding-${findings.length}`);
        await writeFile(kept, bytes);
        findings.push({ seed: seedFile.name, mutation: m, what: `threw ${String(e)}`, file: kept });
      }
    }
    // The slowest read again, alone: on a shared machine one slow read may be another's doing.
    await writeFile(target, worst.slowest);
    const again = process.hrtime.bigint();
    await readRpmDatabase(target, seedFile.kind, () => {});
    const againMs = Number(process.hrtime.bigint() - again) / 1e6;
    console.log(
      `${seedFile.name} (${seedFile.bytes.length} bytes): slowest ${worst.ms.toFixed(1)} ms (${againMs.toFixed(1)} ms read again), ` +
        `at most ${worst.stepsPerByte.toFixed(3)} steps and ${worst.bytesPerByte.toFixed(3)} bytes decoded per byte of file, ` +
        `${worst.problems} with a problem (${worst.stoppedByBudget} by the budget)`,
    );
  }

  for (const [i, header] of headers.entries()) {
    const next = random(SEED * 104729 + i);
    let slowest = 0;
    let rejected = 0;
    for (let m = 0; m < MUTATIONS; m++) {
      const bytes = mutate(header, next);
      const budget = ReadBudget.forFile(bytes.length);
      const started = process.hrtime.bigint();
      try {
        const parsed = parseRpmHeader(bytes, budget);
        for (const _ of parsed.files());
      } catch (e) {
        if (e instanceof RpmHeaderError || e instanceof BudgetExhausted) rejected++;
        else findings.push({ seed: `header ${i}`, mutation: m, what: `threw ${String(e)}` });
      }
      slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(
      `header ${i} (${header.length} bytes): slowest ${slowest.toFixed(2)} ms, ${rejected} rejected`,
    );
  }
  clearInterval(sample);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  for (const f of findings)
    console.log(`FINDING ${f.seed} #${f.mutation}: ${f.what}${f.file ? ` (${f.file})` : ''}`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

await main();
