import { describe, expect, it } from 'vitest';
import {
  deserialiseLayerIndex,
  findOriginLayer,
  indexLayer,
  layerEntryPath,
  serialiseLayerIndex,
  type LayerIndex,
} from '../../src/layers/layer-index.js';
import { isOpaqueMarker, isWhiteout, whitedOutPath } from '../../src/layers/whiteout.js';
import { CHUNKINGS, makeTar, streamOf, type FixtureEntry } from '../support/tar-fixtures.js';

const dir = (name: string): FixtureEntry => ({ name, type: 'directory', mode: 0o755 });
const file = (name: string, content = 'x'): FixtureEntry => ({
  name,
  type: 'file',
  mode: 0o644,
  content,
});

async function layer(diffId: string, entries: FixtureEntry[], chunk?: number): Promise<LayerIndex> {
  return indexLayer(streamOf(await makeTar(entries), chunk), diffId);
}

describe('whiteout names', () => {
  it('recognises whiteouts and opaque markers', () => {
    expect(isWhiteout('/etc/.wh.motd')).toBe(true);
    expect(whitedOutPath('/etc/.wh.motd')).toBe('/etc/motd');
    expect(whitedOutPath('/.wh.opt')).toBe('/opt');
    expect(isOpaqueMarker('/var/www/.wh..wh..opq')).toBe(true);
    expect(isWhiteout('/var/www/.wh..wh..opq')).toBe(false);
    expect(isWhiteout('/etc/.whatever')).toBe(false);
  });
});

describe('layerEntryPath', () => {
  it('normalises tar names and refuses ones that climb', () => {
    expect(layerEntryPath('./etc/')).toBe('/etc');
    expect(layerEntryPath('etc/passwd')).toBe('/etc/passwd');
    expect(layerEntryPath('/abs/x')).toBe('/abs/x');
    expect(layerEntryPath('../../etc/shadow')).toBeUndefined();
  });
});

describe('indexLayer', () => {
  const entries: FixtureEntry[] = [
    dir('etc/'),
    file('etc/passwd', 'root:x:0:0'),
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    file('etc/.wh.motd', ''),
    file('var/www/.wh..wh..opq', ''),
    file('../escape', 'nope'),
    { name: 'a'.repeat(150) + '/' + 'b'.repeat(150), type: 'file', content: 'long (PAX name)' },
  ];

  it.each(CHUNKINGS)(
    'indexes entries, whiteouts and opaque dirs the same whatever the chunking (%s)',
    async (chunk) => {
      const index = await layer('sha256:l1', entries, chunk);
      expect([...index.entries.keys()].sort()).toEqual([
        '/' + 'a'.repeat(150) + '/' + 'b'.repeat(150),
        '/bin/sh',
        '/etc',
        '/etc/passwd',
      ]);
      expect(index.entries.get('/bin/sh')).toBe('symlink');
      expect([...index.whiteouts]).toEqual(['/etc/motd']);
      expect([...index.opaqueDirs]).toEqual(['/var/www']);
      expect(index.anomalies).toHaveLength(1);
    },
  );

  it('fails clearly on a truncated archive', async () => {
    const data = await makeTar([file('etc/passwd', 'x'.repeat(2000))]);
    await expect(indexLayer(streamOf(data.subarray(0, 1000)), 'sha256:t')).rejects.toThrow();
  });

  it('survives a round trip through its cache form', async () => {
    const index = await layer('sha256:l1', entries);
    const back = deserialiseLayerIndex(JSON.parse(JSON.stringify(serialiseLayerIndex(index))));
    expect(back).toEqual(index);
  });
});

describe('findOriginLayer', () => {
  it('finds the topmost layer holding the path', async () => {
    const layers = [
      await layer('sha256:0', [
        dir('var/'),
        dir('var/www/'),
        file('var/www/index.html', 'default'),
      ]),
      await layer('sha256:1', [file('var/www/index.html', 'real')]),
    ];
    expect(findOriginLayer(layers, '/var/www/index.html')).toBe(1);
    expect(findOriginLayer(layers, '/var/www')).toBe(0);
    expect(findOriginLayer(layers, '/nope')).toBeUndefined();
  });

  it('honours a whiteout: the file deleted above is not an original', async () => {
    const layers = [
      await layer('sha256:0', [file('etc/motd', 'hi')]),
      await layer('sha256:1', [file('etc/.wh.motd', '')]),
    ];
    expect(findOriginLayer(layers, '/etc/motd')).toBeUndefined();
  });

  it('honours a whiteout of a directory for everything below it', async () => {
    const layers = [
      await layer('sha256:0', [file('opt/app/run.sh')]),
      await layer('sha256:1', [file('.wh.opt', '')]),
    ];
    expect(findOriginLayer(layers, '/opt/app/run.sh')).toBeUndefined();
  });

  it('honours an opaque directory: lower contents hidden, the layer own entries kept', async () => {
    const layers = [
      await layer('sha256:0', [
        file('var/www/index.html', 'default'),
        file('var/www/old.html', 'old'),
      ]),
      await layer('sha256:1', [
        dir('var/www/'),
        file('var/www/.wh..wh..opq', ''),
        file('var/www/new.html', 'new'),
      ]),
    ];
    expect(findOriginLayer(layers, '/var/www/old.html')).toBeUndefined();
    expect(findOriginLayer(layers, '/var/www/new.html')).toBe(1);
    expect(findOriginLayer(layers, '/var/www')).toBe(1);
  });

  it('treats a directory replaced by a file as hiding the old contents', async () => {
    const layers = [
      await layer('sha256:0', [file('data/x')]),
      await layer('sha256:1', [file('data', 'now a file')]),
    ];
    expect(findOriginLayer(layers, '/data/x')).toBeUndefined();
    expect(findOriginLayer(layers, '/data')).toBe(1);
  });

  it('finds a file re-added above the layer that deleted it', async () => {
    const layers = [
      await layer('sha256:0', [file('etc/motd', 'one')]),
      await layer('sha256:1', [file('etc/.wh.motd', '')]),
      await layer('sha256:2', [file('etc/motd', 'two')]),
    ];
    expect(findOriginLayer(layers, '/etc/motd')).toBe(2);
  });
});

describe('duplicate entries for one path', () => {
  it('keep the last one, as applying the layer would', async () => {
    const index = await layer('sha256:dup', [
      dir('etc/'),
      file('etc/motd', 'first'),
      { name: 'etc/motd', type: 'symlink', linkname: '/etc/shadow', mode: 0o777 },
      file('./etc/motd', 'third, named with ./'),
      { name: 'etc/motd', type: 'directory', mode: 0o755 },
    ]);
    expect(index.entries.get('/etc/motd')).toBe('directory');
    expect([...index.entries.keys()].filter((p) => p === '/etc/motd')).toHaveLength(1);
    expect(findOriginLayer([index], '/etc/motd')).toBe(0);
  });
});
