import { describe, expect, it } from 'vitest';
import { changesFromLayer } from '../../src/changes/changes-from-layer.js';
import { emptyLayerIndex, type LayerIndex } from '../../src/layers/layer-index.js';

function layer(entries: string[], whiteouts: string[] = [], opaque: string[] = []): LayerIndex {
  const index = emptyLayerIndex('sha256:x');
  for (const e of entries) index.entries.set(e, e.endsWith('/') ? 'directory' : 'file');
  for (const w of whiteouts) index.whiteouts.add(w);
  for (const o of opaque) index.opaqueDirs.add(o);
  return index;
}

describe('changesFromLayer (the change list read from the committed layer)', () => {
  const original = [
    layer(['/etc', '/etc/passwd', '/var', '/var/www', '/var/www/index.html', '/var/www/old.html']),
  ];

  it('says changed for what the image had, added for what it did not, deleted for whiteouts', () => {
    const committed = layer(['/etc', '/etc/passwd', '/tmp', '/tmp/x'], ['/var/www/old.html']);
    expect(changesFromLayer(committed, original)).toEqual(
      expect.arrayContaining([
        { path: '/etc', kind: 'C' },
        { path: '/etc/passwd', kind: 'C' },
        { path: '/tmp', kind: 'A' },
        { path: '/tmp/x', kind: 'A' },
        { path: '/var/www/old.html', kind: 'D' },
      ]),
    );
  });

  it('counts what an opaque folder hides as deleted, and its new contents as added or changed', () => {
    const committed = layer(
      ['/var/www', '/var/www/index.html', '/var/www/shell.php'],
      [],
      ['/var/www'],
    );
    const changes = changesFromLayer(committed, original);
    expect(changes).toContainEqual({ path: '/var/www/old.html', kind: 'D' });
    expect(changes).toContainEqual({ path: '/var/www/index.html', kind: 'C' });
    expect(changes).toContainEqual({ path: '/var/www/shell.php', kind: 'A' });
  });

  it('ignores a whiteout of something the image never had', () => {
    expect(changesFromLayer(layer([], ['/nothing']), original)).toEqual([]);
  });
});
