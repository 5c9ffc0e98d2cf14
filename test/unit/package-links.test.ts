/**
 * Package links (issue 27): dpkg names a package's links in its file list (`<pkg>.list`) and
 * nowhere else, so a link it installed is judged by that list and by where it leads: inside
 * the folders the package installs into it is the package's (low); to secrets, to `/` or
 * above it, or from no package, it stays high.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange, linkDestination } from '../../src/findings/change-rules.js';
import { databaseFileAt, DatabaseReader } from '../../src/packages/package-db.js';
import { PackageIndex } from '../../src/packages/package-index.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const CACTI_LIST = [
  '/.',
  '/etc',
  '/etc/cacti',
  '/etc/cacti/debian.php',
  '/usr',
  '/usr/share',
  '/usr/share/cacti',
  '/usr/share/cacti/site',
  '/usr/share/cacti/site/include',
  '/usr/share/cacti/site/include/js',
  '/usr/share/cacti/site/include/js/jquery.js',
  '/usr/share/cacti/site/shadow',
  '/usr/share/cacti/site/up',
].join('\n');

/** The index as the pipeline fills it from a changed `.list` file of the container's database. */
function indexOf(wanted: string[], list = CACTI_LIST): PackageIndex {
  const file = databaseFileAt('/var/lib/dpkg/info/cacti.list');
  expect(file).toEqual({ manager: 'dpkg', kind: 'list', package: 'cacti' });
  const index = new PackageIndex(wanted, true);
  const reader = new DatabaseReader(file as { manager: 'dpkg'; kind: 'list'; package: string });
  for (const line of list.split('\n')) {
    const listed = reader.line(line);
    if (listed) index.add('container', listed);
  }
  return index;
}

const link = (path: string, target: string, index?: PackageIndex) => {
  const packageLink = index?.linkOwner(path);
  return evaluateChange(
    addedFile(path, undefined, {
      current: fileMeta({ type: 'symlink', linkTarget: target }),
      ...(packageLink ? { packageLink } : {}),
    }),
  ).find((f) => f.rule === 'planted-symlink');
};

describe('package links', () => {
  it('resolves where a link leads, and says when it climbs above /', () => {
    expect(
      linkDestination(
        '/usr/share/cacti/site/include/js/jquery.js',
        '../../../../javascript/jquery/jquery.js',
      ),
    ).toBe('/usr/share/javascript/jquery/jquery.js');
    expect(linkDestination('/a/b', '/etc/./shadow')).toBe('/etc/shadow');
    expect(linkDestination('/a/b', '../../x')).toBeUndefined();
  });

  it("lowers a package's own link into the folders it installs into", () => {
    const path = '/usr/share/cacti/site/include/js/jquery.js';
    const index = indexOf([path]);
    expect(index.linkOwner(path)).toMatchObject({
      package: 'cacti',
      database: 'container',
      folders: ['/etc/cacti', '/usr/share'],
    });
    const hit = link(path, '../../../../javascript/jquery/jquery.js', index);
    expect(hit).toMatchObject({ severity: 'low', reason: expect.stringMatching(/cacti/) });
  });

  it('keeps the same link high when no package names it', () => {
    const path = '/usr/share/cacti/site/include/js/jquery.js';
    expect(link(path, '../../../../javascript/jquery/jquery.js')?.severity).toBe('high');
  });

  it('keeps a listed link high when it leads to secrets, to / or out of the package folders', () => {
    const index = indexOf(['/usr/share/cacti/site/shadow', '/usr/share/cacti/site/up']);
    expect(link('/usr/share/cacti/site/shadow', '../../../../etc/shadow', index)?.severity).toBe(
      'high',
    );
    expect(link('/usr/share/cacti/site/up', '../../../..', index)?.severity).toBe('high');
    expect(link('/usr/share/cacti/site/up', '../../../../../..', index)?.severity).toBe('high');
    expect(link('/usr/share/cacti/site/up', '../../../../var/www/html', index)?.severity).toBe(
      'high',
    );
  });

  it('reads only the links a file list names among the changed paths', () => {
    const index = indexOf(['/usr/share/other/link']);
    expect(index.linkOwner('/usr/share/other/link')).toBeUndefined();
    // A file list never vouches for content: lookup() knows only checksummed files.
    expect(indexOf(['/etc/cacti/debian.php']).lookup('/etc/cacti/debian.php')).toEqual({});
  });
});
