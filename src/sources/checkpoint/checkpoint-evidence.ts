/**
 * What a checkpoint adds to the case besides the changed files: the engine's records as
 * they are (config.dump, spec.dump, deleted.files, the small logs), the list of every
 * member with its size and hash (the CRIU images among them), and what the archive cannot
 * give, in words.
 */
import type { CaseFolder } from '../../case/case-folder.js';
import type { NotCollected } from '../../report/triage-report.js';
import type { RuntimeConfig } from '../../report/runtime.js';
import { MEMBER } from './checkpoint-archive.js';
import type { CheckpointScan } from './checkpoint-scan.js';

/** The engine's records, kept in the case as they are, and the list of every member. */
export async function keepRecords(scan: CheckpointScan, folder: CaseFolder): Promise<void> {
  if (scan.config)
    await folder.writeBuffer('container/config.dump', scan.config, {
      description: "the checkpoint's config.dump (the engine's record of the container)",
      environment: { envLists: ['spec.process.env'] },
    });
  if (scan.spec)
    await folder.writeBuffer('container/spec.dump', scan.spec, {
      description: "the checkpoint's spec.dump (the OCI runtime spec the container ran with)",
      environment: { envLists: ['process.env'] },
    });
  if (scan.deletedFiles)
    await folder.writeBuffer(
      'container/deleted.files',
      scan.deletedFiles.bytes,
      "the checkpoint's deleted.files (paths the container deleted)",
    );
  for (const small of scan.smallFiles)
    await folder.writeBuffer(
      `container/${small.name}`,
      small.data,
      `the checkpoint's ${small.name}${small.isCut ? ' (its first 1 MiB)' : ''}`,
    );
  await folder.writeJson(
    'checkpoint/members.json',
    {
      archiveSha256: scan.sha256,
      archiveSizeBytes: scan.sizeBytes,
      memberCount: scan.memberCount,
      members: scan.members,
    },
    'every member of the checkpoint archive, with its size and SHA-256 (the CRIU images among them are kept in the archive, not analysed)',
  );
}

export function criuNotCollected(scan: CheckpointScan): NotCollected[] {
  const criu = scan.members.filter(
    (m) => m.name.startsWith(`${MEMBER.criuImages}/`) && m.type === 'file',
  );
  const bytes = criu.reduce((sum, m) => sum + m.sizeBytes, 0);
  const shm = scan.members.find((m) => m.name === 'devshm-checkpoint.tar');
  return [
    {
      item: `processes, memory, open files and connections (the CRIU images: ${criu.length} files, ${bytes} bytes under checkpoint/)`,
      reason:
        'kept in the archive and listed with their sizes and hashes in checkpoint/members.json, not analysed: coroner reads no CRIU images (checkpointctl inspect shows them)',
    },
    ...(shm
      ? [
          {
            item: `/dev/shm (devshm-checkpoint.tar, ${shm.sizeBytes} bytes)`,
            reason: 'kept in the archive and listed in checkpoint/members.json, not analysed',
          },
        ]
      : []),
  ];
}

export function mountsNotCollected(runtime: RuntimeConfig): NotCollected[] {
  return [
    ...runtime.mounts.map((m) => ({
      item: `the ${m.type} mount at ${m.destination}`,
      reason: `its files are not in a checkpoint archive (the node's ${m.source || 'volume'}): examine it on the node`,
    })),
    ...runtime.tmpfs.map((t) => ({
      item: `the tmpfs at ${t}`,
      reason: 'it lived in memory; only CRIU images (not analysed) may hold it',
    })),
  ];
}
