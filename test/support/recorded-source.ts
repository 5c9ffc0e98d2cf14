/**
 * An evidence source that replays a recorded container: its configuration, its
 * change list and the bytes of each version. It lets the whole pipeline run
 * without an engine, as any source would feed it.
 */
import type { CaseFolder } from '../../src/case/case-folder.js';
import { storedName } from '../../src/case/container-path.js';
import type { CustodyLog } from '../../src/case/custody.js';
import { toVersion } from '../../src/case/stored-version.js';
import { unavailableLayers } from '../../src/layers/image-layers.js';
import type { ChangeEntry, StoredVersion, VersionPair } from '../../src/report/change.js';
import type { FileMeta } from '../../src/report/file-meta.js';
import type { EngineEvent, ProcessRecord } from '../../src/report/process.js';
import type { RuntimeConfig } from '../../src/report/runtime.js';
import type {
  Acquisition,
  AcquireOptions,
  EvidenceSource,
  MountedChange,
  MountsRead,
} from '../../src/sources/evidence-source.js';
import type { ContainerRef } from '../../src/sources/pick-container.js';

export interface RecordedVersion {
  meta: Partial<FileMeta>;
  content?: string | Buffer;
}

export interface RecordedContainer {
  id: string;
  name: string;
  runtime?: Partial<RuntimeConfig>;
  changes: ChangeEntry[];
  original?: Record<string, RecordedVersion>;
  current?: Record<string, RecordedVersion>;
  mounted?: MountedChange[];
  mountsRead?: MountsRead['read'];
  processes?: ProcessRecord[];
  events?: EngineEvent[];
}

export const DEFAULT_RUNTIME: RuntimeConfig = {
  user: '',
  isPrivileged: false,
  capAdd: [],
  capDrop: [],
  securityOpt: [],
  isReadOnlyRoot: false,
  networkMode: 'none',
  pidMode: '',
  ipcMode: 'private',
  utsMode: '',
  devices: [],
  mounts: [],
  tmpfs: [],
  envNames: ['PATH'],
  restartPolicy: 'no',
  exposedPorts: [],
};

export class RecordedSource implements EvidenceSource {
  readonly kind = 'docker-live' as const;
  /** What the pipeline asked of it, in order. */
  readonly calls: string[] = [];

  constructor(private readonly recorded: RecordedContainer) {}

  async identity() {
    return { kind: this.kind };
  }

  async listContainers() {
    const r = this.recorded;
    return [
      {
        id: r.id,
        names: [r.name],
        image: 'recorded:1',
        imageId: 'sha256:' + 'a'.repeat(64),
        state: 'running',
        status: 'Up',
        createdAt: '2026-11-01T00:00:00.000Z',
        labels: {},
      },
    ];
  }

  async acquire(
    container: ContainerRef,
    folder: CaseFolder,
    custody: CustodyLog,
    _opts: AcquireOptions,
  ): Promise<Acquisition> {
    this.calls.push('acquire');
    custody.record('replay a recorded container', container.id, 'ok');
    const r = this.recorded;
    const store = async (side: 'original' | 'current', path: string, v: RecordedVersion) => {
      const meta: FileMeta = { type: 'file', mode: 0o644, uid: 0, gid: 0, sizeBytes: 0, ...v.meta };
      if (v.content === undefined) return { meta } satisfies StoredVersion;
      const data = Buffer.from(v.content);
      meta.sizeBytes = data.length;
      const record = await folder.writeBuffer(
        `${side}/${storedName(path)}`,
        data,
        `${side} ${path}`,
        false,
      );
      return toVersion(meta, record);
    };
    return {
      subject: {
        id: container.id,
        name: container.name,
        imageRef: 'recorded:1',
        imageId: 'sha256:' + 'a'.repeat(64),
        createdAt: '2026-11-01T00:00:00.000Z',
        stateAtStart: { status: 'running', isRunning: true, isPaused: false },
      },
      runtime: { ...DEFAULT_RUNTIME, ...r.runtime },
      evidence: {
        kind: 'image',
        id: 'sha256:' + 'e'.repeat(64),
        repo: 'coroner-evidence/recorded',
        tag: 't',
        committedAt: '2026-11-30T00:00:00.000Z',
        wasPaused: true,
      },
      notCollected: r.processes ? [] : [{ item: 'processes', reason: 'a recording has none' }],
      ...(r.events ? { events: r.events } : {}),
      ...(r.processes ? { processes: async () => r.processes! } : {}),
      changeList: async () => {
        this.calls.push('changeList');
        return r.changes;
      },
      originalLayers: async () => {
        this.calls.push('originalLayers');
        return unavailableLayers('sha256:' + 'a'.repeat(64));
      },
      mountChanges: async () => {
        this.calls.push('mountChanges');
        return { changes: r.mounted ?? [], read: r.mountsRead ?? [] };
      },
      readVersions: async (entries, onPair) => {
        this.calls.push('readVersions');
        for (const entry of entries) {
          const { path } = entry;
          const pair: VersionPair = {};
          const o = r.original?.[path];
          const c = r.current?.[path];
          if (o) pair.original = await store('original', path, o);
          if (c) pair.current = await store('current', path, c);
          await onPair(entry, pair);
        }
      },
    };
  }
}
