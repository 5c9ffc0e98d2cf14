/**
 * Public reverse and bind shell collections, read as the commands an intruder copies into a
 * crontab, a script or a dropped file: fetched by `npm run bench -- lay-corpora` under
 * DIR/remote-shells/<owner>+<name>/ (never committed), and judged by bench/remote-shells.ts.
 *
 * The split is by collection, decided before any rule was written for them (2026-12-07):
 * the revshells.com generator was tuning. shellerator and revshellgen were held out and
 * judged once (57 of 69), then read and made tuning. GTFOBins stays held out: it was judged
 * once (19 of 33; 13 with the rules before the session), its misses never read. One of its
 * pages (node) had been opened to see the format just before, and a later Node.js form
 * reads what that page writes (docs/detection.md).
 *
 * Each source is parsed as data, never run: the generator's JavaScript is read for its
 * string literals, GTFOBins' pages with a YAML parser.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { CORPORA } from './corpora.js';

export interface RemoteShellSource {
  collection: string;
  commit: string;
  /** What lay-corpora extracts: files or folders of the collection. */
  parts: string[];
  side: 'tuning' | 'heldout';
  read: (dir: string) => Promise<RemoteShellSample[]>;
}

export interface RemoteShellSample {
  name: string;
  text: string;
}

export const remoteShellDir = (collection: string) =>
  path.join(CORPORA, 'remote-shells', collection);

// An address from the documentation range, a port, and a shell: what the generators ask for.
const ADDRESS = '203.0.113.7';
function filledIn(command: string, shell = '/bin/sh'): string {
  return command
    .replace(/\{(?:ip|LHOST)\}|\$ip\b|attacker\.com/g, ADDRESS)
    .replace(/\{(?:port|LPORT|RPORT|BPORT)\}|\$port\b/g, '4444')
    .replace(/\{(?:shell|SHELL)\}|\$shell\b/g, shell);
}

/** A JavaScript string literal's value ("…", '…' or `…` without substitutions). */
function literalValue(literal: string): string {
  return literal
    .slice(1, -1)
    .replace(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([\s\S]))/g, (_, hex, uni, c: string) => {
      if (hex) return String.fromCharCode(parseInt(hex, 16));
      if (uni) return String.fromCharCode(parseInt(uni, 16));
      return (
        ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', 0: '\0' } as const)[c as 'n'] ?? c
      );
    });
}

const STRING = String.raw`"(?:[^"\\\n]|\\.)*"|\`(?:[^\`\\]|\\[\s\S])*\``;
const ENTRY = new RegExp(
  String.raw`"name"\s*:\s*(${STRING})\s*,\s*"command"\s*:\s*(${STRING})\s*,\s*"meta"\s*:\s*\[([^\]]*)\]`,
  'g',
);

/**
 * revshells.com's js/data.js: its reverse and bind shell entries (not msfvenom's or
 * HoaxShell's, which the attacker runs). Lines commented out are left out; entries whose
 * command the page computes at run time (the Base64 PowerShell ones) carry no command.
 */
async function readGenerator(dir: string): Promise<RemoteShellSample[]> {
  const source = (await readFile(path.join(dir, 'js/data.js'), 'utf8'))
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  const from = source.indexOf('const reverseShellCommands');
  const to = source.indexOf('const msfvenomCommands');
  if (from < 0 || to < from) throw new Error('revshells data.js: its command lists moved');
  const out: RemoteShellSample[] = [];
  for (const m of source.slice(from, to).matchAll(ENTRY)) {
    const name = literalValue(m[1]!);
    const command = literalValue(m[2]!);
    const windowsOnly = /"windows"/.test(m[3]!) && !/"linux"/.test(m[3]!);
    if (command.trim() === name.trim()) continue;
    out.push({ name, text: `${filledIn(command, windowsOnly ? 'cmd' : '/bin/sh')}\n` });
  }
  return out;
}

/** shellerator's data/shells.json: its reverse and bind shells (not its msfvenom lines). */
async function readShellerator(dir: string): Promise<RemoteShellSample[]> {
  const data = JSON.parse(await readFile(path.join(dir, 'data/shells.json'), 'utf8')) as Record<
    string,
    Record<string, { command: string }[]>
  >;
  const out: RemoteShellSample[] = [];
  for (const kind of ['revshells', 'bindshells'])
    for (const [language, entries] of Object.entries(data[kind] ?? {})) {
      if (language === 'msfvenom' || language === 'aspx') continue;
      entries.forEach((e, i) => {
        if (e.command.trim())
          out.push({ name: `${kind} ${language} #${i + 1}`, text: `${filledIn(e.command)}\n` });
      });
    }
  return out;
}

/** revshellgen's commands/: one command per file. */
async function readCommandFiles(dir: string): Promise<RemoteShellSample[]> {
  const folder = path.join(dir, 'commands');
  const out: RemoteShellSample[] = [];
  for (const file of (await readdir(folder)).sort()) {
    const command = (await readFile(path.join(folder, file), 'utf8')).trim();
    if (command) out.push({ name: file, text: `${filledIn(command)}\n` });
  }
  return out;
}

/** GTFOBins' _gtfobins pages: each binary's reverse-shell and bind-shell code. */
async function readGtfoBins(dir: string): Promise<RemoteShellSample[]> {
  const folder = path.join(dir, '_gtfobins');
  const out: RemoteShellSample[] = [];
  for (const file of (await readdir(folder)).sort()) {
    const page = await readFile(path.join(folder, file), 'utf8');
    const front = page.split(/^---\s*$/m)[1];
    if (!front) continue;
    const functions = (parse(front) as { functions?: Record<string, unknown[]> } | null)?.functions;
    for (const kind of ['reverse-shell', 'bind-shell']) {
      (functions?.[kind] ?? []).forEach((entry, i) => {
        const e = entry as { code?: string; contexts?: Record<string, { code?: string } | null> };
        const codes = new Set([e.code, ...Object.values(e.contexts ?? {}).map((c) => c?.code)]);
        [...codes]
          .filter((c): c is string => !!c)
          .forEach((code, j) => {
            out.push({ name: `${file} ${kind} #${i + 1}.${j + 1}`, text: `${filledIn(code)}\n` });
          });
      });
    }
  }
  return out;
}

export const REMOTE_SHELL_SOURCES: readonly RemoteShellSource[] = [
  {
    collection: '0dayCTF+reverse-shell-generator',
    commit: '9fda27f91b1b1f370539dd534bc3bbb1f6b49bf6',
    parts: ['js/data.js'],
    side: 'tuning',
    read: readGenerator,
  },
  {
    collection: 'ShutdownRepo+shellerator',
    commit: '6af7f361542ea63dda2a16b8164833e0b1f036a1',
    parts: ['data/shells.json'],
    side: 'tuning',
    read: readShellerator,
  },
  {
    collection: 't0thkr1s+revshellgen',
    commit: '136357949972d5212c0ac60e1bf1d16f8a039fdc',
    parts: ['commands'],
    side: 'tuning',
    read: readCommandFiles,
  },
  {
    collection: 'GTFOBins+GTFOBins.github.io',
    commit: '7382261ef936e35896ba70e7a6b833352ffb9a22',
    parts: ['_gtfobins'],
    side: 'heldout',
    read: readGtfoBins,
  },
];
