/**
 * Engine API shapes coroner reads. The inspect documents stay as the engine
 * sent them (they are evidence); only the fields coroner reasons about are typed.
 */
import type Docker from 'dockerode';

export type ContainerInspect = Docker.ContainerInspectInfo;
export type ImageInspect = Docker.ImageInspectInfo;

export interface EngineIdentity {
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
  hostName: string;
  daemonId: string;
  storageDriver: string;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  state: string;
  status: string;
  createdAt: string;
  labels: Record<string, string>;
}

export interface ImageHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
  Tags: string[] | null;
}

export interface ProcessList {
  Titles: string[];
  Processes: string[][];
}

/** One row of GET /containers/{id}/changes: Kind 0 modified, 1 added, 2 deleted. */
export interface RawChange {
  Path: string;
  Kind: 0 | 1 | 2;
}
