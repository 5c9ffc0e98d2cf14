import { describe, expect, it } from 'vitest';
import {
  CONTAINER_CONFIG,
  HOST_CONFIG,
  IMAGE_CONFIG,
  misfit,
} from '../../src/sources/docker-store/record-shapes.js';

const ID = 'a'.repeat(64);
const IMAGE = `sha256:${'b'.repeat(64)}`;
const config = (extra: Record<string, unknown> = {}) => ({
  ID,
  Name: '/web',
  Created: '2024-01-01T00:00:00Z',
  Image: IMAGE,
  State: { Running: true },
  Config: { Image: 'web:1', Env: ['A=1'], Labels: { a: 'b' }, Healthcheck: null },
  MountPoints: {
    '/data': { Source: '', Destination: '/data', RW: true, Name: 'v', Type: 'volume' },
  },
  SomethingElse: { any: ['thing', 1] },
  ...extra,
});

describe('the shapes of a data root’s records', () => {
  it('accepts records as the engine writes them, nulls included, other fields untouched', () => {
    expect(misfit(config(), CONTAINER_CONFIG)).toBeUndefined();
    expect(
      misfit(config({ MountPoints: null, Config: { Env: null } }), CONTAINER_CONFIG),
    ).toBeUndefined();
    expect(
      misfit(
        {
          Privileged: false,
          CapAdd: null,
          Devices: [],
          Tmpfs: null,
          LogConfig: { Type: 'json-file' },
        },
        HOST_CONFIG,
      ),
    ).toBeUndefined();
    expect(
      misfit(
        {
          rootfs: { type: 'layers', diff_ids: [IMAGE] },
          history: [{ created_by: 'x', empty_layer: true }],
        },
        IMAGE_CONFIG,
      ),
    ).toBeUndefined();
  });

  it.each([
    [
      CONTAINER_CONFIG,
      config({ Config: { Image: { not: 'a string' } } }),
      'Config.Image is an object, not a string',
    ],
    [
      CONTAINER_CONFIG,
      config({ State: { Running: 'yes' } }),
      'State.Running is a string, not a boolean',
    ],
    [
      CONTAINER_CONFIG,
      config({ MountPoints: { '/x': null } }),
      'MountPoints."/x" is null, not an object',
    ],
    [
      CONTAINER_CONFIG,
      config({ Config: { Labels: { a: 5 } } }),
      'Config.Labels."a" is a number, not a string',
    ],
    [CONTAINER_CONFIG, config({ ID: 7 }), 'ID is a number, not a string'],
    [CONTAINER_CONFIG, [], 'the record is a list, not an object'],
    [HOST_CONFIG, { Devices: 'not a list' }, 'Devices is a string, not a list'],
    [
      HOST_CONFIG,
      { Devices: [{ PathOnHost: 3 }] },
      'Devices[0].PathOnHost is a number, not a string',
    ],
    [IMAGE_CONFIG, { rootfs: { diff_ids: 'sha256:x' } }, 'rootfs.diff_ids is a string, not a list'],
    [
      IMAGE_CONFIG,
      { history: [{ empty_layer: 'true' }] },
      'history[0].empty_layer is a string, not a boolean',
    ],
  ])('names the field of a wrongly typed record (%#)', (shape, value, problem) => {
    expect(misfit(value, shape)).toBe(problem);
  });
});
