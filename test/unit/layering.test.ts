/**
 * The layering the README promises, checked on the import graph itself (issue 25): the
 * report's nouns import no stage; findings never reach an engine; the bundle and the
 * console know sources only through the seam (evidence-source.ts), never the live engine;
 * the readers of hostile formats (containerd's databases, package databases) parse what
 * they are handed and import no engine, case folder or use case; only the live source
 * imports dockerode; the engine imports no UI. A new import that breaks one fails here,
 * naming the chain of imports that does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Edge {
  to: string;
  /** `import type`: erased at build, so it carries no code across. */
  isTypeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Each file's imports: a project file by its path, a package by `pkg:<name>`. */
function importGraph(): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('ui')]) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const edges: Edge[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[3] ?? m[4] ?? m[5]!;
      const isTypeOnly = m[2] !== undefined;
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        edges.push({ to: `pkg:${spec.split('/')[0]}`, isTypeOnly });
        continue;
      }
      const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '');
      const resolved = [`${target}.ts`, `${target}.tsx`].find((f) => graph.has(f) || exists(f));
      edges.push({ to: resolved ?? `${target}.ts`, isTypeOnly });
    }
    graph.set(file, edges);
  }
  return graph;
}

function exists(file: string): boolean {
  try {
    readFileSync(path.join(ROOT, file));
    return true;
  } catch {
    return false;
  }
}

const graph = importGraph();

/** The first chain of code imports from `file` to a module `isForbidden` says no to. */
function forbiddenChain(file: string, isForbidden: (to: string) => boolean): string[] | undefined {
  const seen = new Set<string>([file]);
  const queue: string[][] = [[file]];
  while (queue.length) {
    const chain = queue.shift()!;
    for (const edge of graph.get(chain.at(-1)!) ?? []) {
      if (edge.isTypeOnly || seen.has(edge.to)) continue;
      seen.add(edge.to);
      const next = [...chain, edge.to];
      if (isForbidden(edge.to)) return next;
      queue.push(next);
    }
  }
  return undefined;
}

const under =
  (...prefixes: string[]) =>
  (to: string) =>
    prefixes.some((p) => to.startsWith(p));
const filesUnder = (prefix: string) => [...graph.keys()].filter((f) => f.startsWith(prefix));

const RULES: { what: string; from: string; isForbidden: (to: string) => boolean }[] = [
  {
    what: "the report's nouns import no stage",
    from: 'src/report/',
    isForbidden: (to) =>
      to.startsWith('pkg:') ||
      !['src/report/', 'src/untrusted.ts', 'src/iso-time.ts'].some((p) => to.startsWith(p)),
  },
  {
    what: 'findings never reach an engine or a source',
    from: 'src/findings/',
    isForbidden: under('src/sources/', 'src/app/', 'src/relaunch/', 'pkg:dockerode'),
  },
  {
    what: "the bundle knows sources only through the seam, never the live engine's code",
    from: 'src/bundle/',
    isForbidden: under('src/sources/docker-live/', 'src/sources/dead-box/', 'pkg:dockerode'),
  },
  {
    what: "containerd's database readers parse what they are handed",
    from: 'src/sources/containerd-store/',
    isForbidden: (to) => !to.startsWith('src/sources/containerd-store/'),
  },
  {
    what: 'the package database readers parse what they are handed',
    from: 'src/packages/',
    isForbidden: under('src/sources/', 'src/case/', 'src/app/', 'pkg:dockerode'),
  },
  {
    what: 'the layer readers import no engine and no use case',
    from: 'src/sources/layer-store/',
    isForbidden: under('src/sources/docker-live/', 'src/app/', 'pkg:dockerode'),
  },
  // Issue 26: each engine only says how to run one twin; what the twins learn is the same.
  ...[
    'src/relaunch/learn.ts',
    'src/relaunch/prepare.ts',
    'src/relaunch/kubernetes-plan.ts',
    'src/relaunch/kubernetes-pod.ts',
    'src/relaunch/kubernetes-quarantine.ts',
  ].map((from) => ({
    what: `${from} learns and plans through a twin runner, never an engine's code`,
    from,
    isForbidden: under(
      'src/sources/docker-live/',
      'src/sources/containerd-api/',
      'src/relaunch/docker-',
      'src/relaunch/containerd-',
      'pkg:dockerode',
      'pkg:@grpc',
    ),
  })),
  {
    what: 'the checkpoint source reads its archives and contacts no engine',
    from: 'src/sources/checkpoint/',
    isForbidden: under(
      'src/app/',
      'src/sources/docker-live/engine.ts',
      'src/sources/docker-live/live-source.ts',
      'pkg:dockerode',
      'pkg:@grpc',
    ),
  },
  {
    what: 'the engine imports no UI',
    from: 'src/',
    isForbidden: under('ui/', 'pkg:ink', 'pkg:react'),
  },
];

/** Rules on a folder's own imports: what it may reach through others is theirs to say. */
const DIRECT_RULES: { what: string; from: string; isForbidden: (to: string) => boolean }[] = [
  {
    what: 'the console renders state and sends intents through the use cases, never a source',
    from: 'ui/',
    isForbidden: under('src/sources/', 'pkg:dockerode'),
  },
];

describe('the import graph', () => {
  it('is read: every project import resolves to a file', () => {
    const unresolved = [...graph].flatMap(([file, edges]) =>
      edges
        .filter((e) => !e.to.startsWith('pkg:') && !graph.has(e.to))
        .map((e) => `${file} -> ${e.to}`),
    );
    expect(unresolved).toEqual([]);
    expect(graph.size).toBeGreaterThan(100);
  });

  it.each(RULES)('$what', ({ from, isForbidden }) => {
    const broken = filesUnder(from)
      .map((file) => forbiddenChain(file, isForbidden))
      .filter((chain) => chain !== undefined)
      .map((chain) => chain.join(' -> '));
    expect(broken).toEqual([]);
  });

  it.each(DIRECT_RULES)('$what', ({ from, isForbidden }) => {
    const broken = filesUnder(from).flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((e) => !e.isTypeOnly && isForbidden(e.to))
        .map((e) => `${file} -> ${e.to}`),
    );
    expect(broken).toEqual([]);
  });

  it('has dockerode imported by the live source alone', () => {
    const importers = [...graph]
      .filter(([, edges]) => edges.some((e) => e.to === 'pkg:dockerode'))
      .map(([file]) => file);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('src/sources/docker-live/'))).toEqual([]);
  });

  it("has containerd's gRPC library imported by the containerd client alone", () => {
    const importers = [...graph]
      .filter(([, edges]) => edges.some((e) => e.to === 'pkg:@grpc' || e.to === 'pkg:protobufjs'))
      .map(([file]) => file);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('src/sources/containerd-api/'))).toEqual([]);
  });

  it('catches a forbidden chain when one is there', () => {
    // The check itself must be able to fail: the live source does reach dockerode.
    expect(
      forbiddenChain('src/sources/docker-live/live-source.ts', under('pkg:dockerode')),
    ).toBeDefined();
  });
});
