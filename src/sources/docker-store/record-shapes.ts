/**
 * The shapes of the engine's JSON records that coroner reads (config.v2.json,
 * hostconfig.json, an image config), checked before any field is used: a record
 * from a copied data root is the attacker's to write, and a wrongly typed field
 * must be a problem naming the file and the field, never a TypeError. Only the
 * fields coroner reads are checked; every other field may hold anything (the
 * whole file is kept as evidence as it was).
 */

/** Why a value does not fit, naming its field (`State.Running is a string, not a boolean`); undefined when it fits. */
export type Shape = (value: unknown, at: string) => string | undefined;

const kindOf = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'an object'
        : typeof v === 'string'
          ? 'a string'
          : typeof v === 'number'
            ? 'a number'
            : typeof v === 'boolean'
              ? 'a boolean'
              : typeof v;

const field = (at: string, key: string) => (at ? `${at}.${key}` : key);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const primitive =
  (type: 'string' | 'number' | 'boolean'): Shape =>
  (v, at) =>
    typeof v === type ? undefined : `${at || 'the record'} is ${kindOf(v)}, not a ${type}`;

export const string = primitive('string');
export const number = primitive('number');
export const boolean = primitive('boolean');

/** Absent (or null, which the engine writes for empty lists and maps) is fine. */
export const optional =
  (shape: Shape): Shape =>
  (v, at) =>
    v === undefined || v === null ? undefined : shape(v, at);

export const object =
  (fields: Record<string, Shape>): Shape =>
  (v, at) => {
    if (!isObject(v)) return `${at || 'the record'} is ${kindOf(v)}, not an object`;
    for (const [key, shape] of Object.entries(fields)) {
      const problem = shape(Object.hasOwn(v, key) ? v[key] : undefined, field(at, key));
      if (problem) return problem;
    }
    return undefined;
  };

export const listOf =
  (item: Shape): Shape =>
  (v, at) => {
    if (!Array.isArray(v)) return `${at || 'the record'} is ${kindOf(v)}, not a list`;
    for (const [i, x] of v.entries()) {
      const problem = item(x, `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };

/** An object used as a map: any key, each value of `item`'s shape. */
export const mapOf =
  (item: Shape): Shape =>
  (v, at) => {
    if (!isObject(v)) return `${at || 'the record'} is ${kindOf(v)}, not an object`;
    for (const [key, x] of Object.entries(v)) {
      const problem = item(x, field(at, JSON.stringify(key)));
      if (problem) return problem;
    }
    return undefined;
  };

const strings = optional(listOf(string));

/** containers/<id>/config.v2.json: what list and triage read of it. */
export const CONTAINER_CONFIG: Shape = object({
  ID: string,
  Name: optional(string),
  Created: optional(string),
  Image: string,
  State: optional(
    object({
      Running: optional(boolean),
      Paused: optional(boolean),
      Status: optional(string),
    }),
  ),
  Config: optional(
    object({
      Image: optional(string),
      User: optional(string),
      Env: strings,
      Labels: optional(mapOf(string)),
      ExposedPorts: optional(mapOf(() => undefined)),
      Healthcheck: optional(object({ Test: strings })),
    }),
  ),
  MountPoints: optional(
    mapOf(
      object({
        Source: optional(string),
        Destination: optional(string),
        RW: optional(boolean),
        Name: optional(string),
        Type: optional(string),
      }),
    ),
  ),
});

/** containers/<id>/hostconfig.json: how the container ran. */
export const HOST_CONFIG: Shape = object({
  Privileged: optional(boolean),
  CapAdd: strings,
  CapDrop: strings,
  SecurityOpt: strings,
  ReadonlyRootfs: optional(boolean),
  NetworkMode: optional(string),
  PidMode: optional(string),
  IpcMode: optional(string),
  UTSMode: optional(string),
  Devices: optional(listOf(object({ PathOnHost: optional(string) }))),
  Tmpfs: optional(mapOf(string)),
  PidsLimit: optional(number),
  Memory: optional(number),
  RestartPolicy: optional(object({ Name: optional(string), MaximumRetryCount: optional(number) })),
  LogConfig: optional(object({ Type: optional(string) })),
});

/** image/<driver>/imagedb/content/sha256/<id>: the image's layers, history and user. */
export const IMAGE_CONFIG: Shape = object({
  rootfs: optional(object({ diff_ids: optional(listOf(string)) })),
  history: optional(
    listOf(
      object({
        created: optional(string),
        created_by: optional(string),
        empty_layer: optional(boolean),
      }),
    ),
  ),
  config: optional(object({ User: optional(string), Env: strings })),
});

/** The first field of `value` that does not fit `shape`, or undefined. */
export function misfit(value: unknown, shape: Shape): string | undefined {
  return shape(value, '');
}
