/**
 * How the suspect was run, in coroner's own terms: what the exposure checks
 * judge and what the change list cannot see (mounts). Every source produces
 * it from whatever its engine wrote (an inspect document, config.v2.json).
 */

export interface RuntimeMount {
  /** `volume`, `bind`, `tmpfs`, … as the engine names it. */
  type: string;
  /** The host path (bind), or the volume's folder on the host. */
  source: string;
  destination: string;
  /** A named volume's name. */
  name?: string;
  isWritable: boolean;
}

export interface RuntimeConfig {
  /** As configured; empty means the image's default (root, unless the image says otherwise). */
  user: string;
  isPrivileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  isReadOnlyRoot: boolean;
  networkMode: string;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  /** Host device paths given to the container. */
  devices: string[];
  mounts: RuntimeMount[];
  /** tmpfs mount points (HostConfig.Tmpfs). */
  tmpfs: string[];
  pidsLimit?: number;
  memoryBytes?: number;
  /** Names only: values may be secrets. */
  envNames: string[];
  restartPolicy: string;
  /** Ports the container declares (`80/tcp`), its image's included. */
  exposedPorts: string[];
  /** The healthcheck's test (`["CMD-SHELL", "…"]`), when there is one. */
  healthcheck?: string[];
}

/** True for the user strings that mean root: empty (the image default), root, uid 0. */
export function isRootUser(user: string): boolean {
  return (
    user === '' ||
    user === 'root' ||
    user === '0' ||
    user.startsWith('0:') ||
    user.startsWith('root:')
  );
}
