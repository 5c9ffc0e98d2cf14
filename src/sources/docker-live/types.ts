/**
 * Engine API shapes coroner reads. The inspect documents stay as the engine
 * sent them (they are evidence); only the fields coroner reasons about are typed.
 */
import type Docker from 'dockerode';

export type { EngineIdentity } from '../../report/triage-report.js';
export type { ContainerSummary } from '../evidence-source.js';

export type ContainerInspect = Docker.ContainerInspectInfo;
export type ImageInspect = Docker.ImageInspectInfo;

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
