/**
 * The content rules' cost is bounded by construction (src/findings/rule-budget.ts): every
 * regex under src/findings has a linear shape, the rules read at most 64 KiB of a file, and
 * a file longer than that is said to be judged in part. The hostile files run in a child
 * process killed after a generous guard: a regex cannot be interrupted from inside, and
 * before issue 24's fix these took from 5 s to hours. The guard is not the assertion; the
 * verdict and the shapes are.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { regexCostProblems, regexesInSource } from '../support/regex-cost.js';
import type { JudgeAnswer } from '../support/judge-rules.js';
import {
  RULE_MIDDLE_BYTES,
  RULE_SAMPLE_BYTES,
  RULE_TAIL_BYTES,
} from '../../src/findings/rule-budget.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GUARD_MS = 120_000;

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourcesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Runs the rules on `job` in a child process, killed (SIGKILL) past the guard. */
function judgeInChild(job: object): Promise<JudgeAnswer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/support/judge-rules.ts')],
      { cwd: ROOT, timeout: GUARD_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `the rules did not answer (${error.signal ?? error.code}): ${stderr.slice(0, 2000)}`,
            ),
          );
        else resolve(JSON.parse(stdout) as JudgeAnswer);
      },
    );
    child.stdin!.end(JSON.stringify(job));
  });
}

// Regexes built at run time from data: checked here with a value of the data's shape.
const BUILT_AT_RUN_TIME: Record<string, RegExp> = {
  // request-flow.ts callsOf(): a function of the file's own called (its name is `\w{1,40}`).
  'new RegExp(String.raw`(?<!function\\s+|->|::)\\b${name}\\s*\\(`':
    /(?<!function\s+|->|::)\bshell\s*\(/g,
  // request-flow.ts near(): the same source as a checked regex, with `g` added.
  "new RegExp(r.source, r.flags.includes('g')": /x/g,
  // web-shell.ts: a tainted variable's names (`\w{1,40}` each), one alternation of words.
  'new RegExp(`\\\\$(?:${[...tainted].join(': /\$(?:cmd|c|x1)\b/,
  // decoded-run.ts: a runner called on a variable holding a decoder's name (`\w{1,40}` each).
  'new RegExp(\n    `\\\\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)':
    /\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*(?:@\s*)?\$(?:f|q1)\s*\(/,
  // decoded-run.ts: a runner called on a function or method of the page's own that decodes
  // (`\w{1,40}` each).
  'new RegExp(\n        String.raw`\\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\\s*\\(\\s*(?:@\\s*)?(?:\\$this':
    /\b(system|exec|shell_exec|passthru|popen|proc_open|eval|assert)\s*\(\s*(?:@\s*)?(?:\$this\s*->\s*|\b\w{1,40}\s*::\s*|(?<![\w$>:]))(?:slbN|d1)\s*\(/i,
  // server-pages.ts: the page's own controls read (`\w{1,40}` ids, one alternation of words).
  'new RegExp(\n        String.raw`\\b(?:${[...new Set(ids)]':
    /\b(?:T1|txtPath)\s*\.\s*(?:Text|Value|SelectedValue|PostedFile|FileName|FileBytes|FileContent)\b/,
  // downloaded-code.ts: PHP's fetchers and the page's own fetching functions (`\w{1,40}`),
  // on a URL or a request value, curl_exec() of the handles set to one, and any call of
  // the page's functions that spell out the URL they fetch.
  'new RegExp(\n    String.raw`\\b(?:${names})':
    /\b(?:file_get_contents|fopen|getCurl0)\s*\(\s*(?:["'](?:https?|ftp):\/\/|@?\$_(?:GET|POST|REQUEST|COOKIE)\s*\[|\$(?:url|src0)\b)|\bcurl_exec\s*\(\s*\$(?:ch|c1)\b|(?<![\w$>:])(?:fetchRemote|get1)\s*\(/i,
  // socket-flow.ts: the stream writers, and the page's own functions that write (`\w{1,40}`).
  'new RegExp(\n        String.raw`${STREAM_WRITE.source}':
    /(?<![\w>:$])(?:fwrite|fputs|socket_write|socket_send|stream_copy_to_stream)\s*\(|(?:->|::|(?<![\w$]))(?:rw|brw)\s*\(/g,
  // php-constants.ts replacedByPattern(): a constant pattern the folder reads only when
  // isPortablePattern() passes it (one repetition at most, no look-around or references).
  'new RegExp(body': /\s+/g,
  // command-lines.ts: the probe commands (PROBE_COMMANDS, a constant) written into a call,
  // and one part of a command line read whole.
  'new RegExp(\n  String.raw`(?<![\\w$>:.])(?:system|exec':
    /(?<![\w$>:.])(?:system|exec|shell_exec|passthru|popen|proc_open)\s*\(\s*["'](?:id|dir|ls(?: -la?)?|pwd|uname(?: -a)?|ifconfig|ipconfig|netstat(?: -an)?|ps(?: aux| -ef)?|cat \/etc\/passwd|\/bin\/(?:ba)?sh(?: -i)?|(?:ba)?sh -i|nc(?: -h)?|net user|systeminfo|tasklist|cmd(?:\.exe)?)["']/,
  'new RegExp(`^(?:${PROBE_COMMANDS})$`)':
    /^(?:id|dir|ls(?: -la?)?|pwd|uname(?: -a)?|ifconfig|ipconfig|netstat(?: -an)?|ps(?: aux| -ef)?|cat \/etc\/passwd|\/bin\/(?:ba)?sh(?: -i)?|(?:ba)?sh -i|nc(?: -h)?|net user|systeminfo|tasklist|cmd(?:\.exe)?)$/,
  // command-lines.ts stringsHeldBy(): the strings a command's variable (`\w{1,40}`) is set
  // to, the list it loops over, and that list's strings (QUOTED, a constant).
  'new RegExp(String.raw`\\$${name}\\s*=\\s*(${QUOTED})':
    /\$c\s*=\s*('(?:[^'\\\n]|\\.){0,400}'|"(?:[^"\\\n]|\\.){0,400}")\s*;/g,
  'new RegExp(\n    String.raw`\\bforeach\\s*\\(\\s*\\$(\\w{1,40})':
    /\bforeach\s*\(\s*\$(\w{1,40})\s+as\s+(?:\$\w{1,40}\s*=>\s*)?\$c\s*\)/g,
  'new RegExp(String.raw`\\$${loop[1]}\\s*=\\s*(?:array': /\$cmds\s*=\s*(?:array\s*\(|\[)/g,
  'new RegExp(String.raw`(?:\\d{1,4}\\s*=>\\s*)?(${QUOTED})':
    /(?:\d{1,4}\s*=>\s*)?('(?:[^'\\\n]|\\.){0,400}'|"(?:[^"\\\n]|\\.){0,400}")\s*([,)\]])\s*/y,
  // password-guessing.ts: the logins, and the page's own functions passing a password on
  // (`\w{1,40}` each), one alternation of words.
  'new RegExp(\n    String.raw`(?<![\\w$>:])(${[...logins.keys()]':
    /(?<![\w$>:])(ftp_login|mysqli_connect|attempt)\s*\(|\bnew\s+(mysqli)\s*\(/gi,
  // request-flow.ts isOutsideSetting(): where the file sets an array it calls from (`\w{1,40}`).
  'new RegExp(\n    String.raw`\\$${name}\\s*(?:':
    /\$conf\s*(?:\[[^\]\n]{0,60}\]\s*){0,3}(?:[.+]?=(?![=>])|\?\?=)|\bas\s+(?:\$\w{1,40}\s*=>\s*)?&?\$conf\b|\blist\s*\([^)]{0,200}\$conf\b|\[[^\]]{0,200}\$conf\s*\]\s*=/,
  // file-infector.ts writesTo(): a name a folder listing returned (`\w{1,40}`), written.
  'new RegExp(\n    String.raw`\\bfopen\\s*\\(${named}':
    /\bfopen\s*\([^;,()]{0,80}?\$f\b[^;,()]{0,80}?,\s*["'](?:[wa]|r\+)|\bfile_put_contents\s*\([^;,()]{0,80}?\$f\b[^;,()]{0,80}?,/,
};

// Not file content: yara.ts parses yara's own output for the responder's rules' metadata.
const NOT_CONTENT = new Set(['src/findings/yara.ts']);

describe('the cost of the content rules', () => {
  it('refuses the regex shapes that backtrack: nested, side by side, rescanned', () => {
    // The "long encoded blob" regex of 9f1f45d: 471 bytes took hours.
    expect(regexCostProblems(/(?:^\s*['"][A-Za-z0-9+/=]{50,}['"]\s*\.?\s*$\n?){8,}/m)).not.toEqual(
      [],
    );
    expect(regexCostProblems(/(?:a[^b]*)+c/)).not.toEqual([]);
    expect(regexCostProblems(/(?:a|ab)+c/)).not.toEqual([]);
    expect(regexCostProblems(/\beval\s*\(?\s*(?:base64_decode)/)).not.toEqual([]);
    expect(regexCostProblems(/^\s*(pager|editor)\s*=/m)).not.toEqual([]);
    expect(regexCostProblems(/(?:\bchr\(\d{1,3}\)\.){4,}\bchr\(/)).not.toEqual([]);
    // Two windows in a row: "socket connect " repeated cost seconds per 64 KiB.
    expect(
      regexCostProblems(/\bsocket\b[^\n]{0,400}\b(?:connect|bind)\b[\s\S]{0,400}\bdup2\b/),
    ).not.toEqual([]);
    // Linear shapes pass: a delimiter between repetitions, windows, one anchored start.
    expect(regexCostProblems(/(?:['"][^'"\n]{1,40}['"]\s*\.\s*){3,}/)).toEqual([]);
    expect(regexCostProblems(/\beval\s*(?:\(\s*)?(?:base64_decode)/)).toEqual([]);
    expect(regexCostProblems(/^[ \t]*(pager|editor)[ \t]*=/m)).toEqual([]);
    expect(regexCostProblems(/\bsocket\b[^\n]{0,400}\bconnect\b/)).toEqual([]);
    expect(
      regexCostProblems(/\bsocket\b(?=([^\n]{0,400}?\bconnect\b))\1[\s\S]{0,800}\bdup2\b/),
    ).toEqual([]);
  });

  it('runs only regexes of a linear shape over file content (every regex under src/findings)', () => {
    const files = sourcesUnder(path.join(ROOT, 'src/findings')).map((f) => path.relative(ROOT, f));
    const found = files
      .filter((f) => !NOT_CONTENT.has(f))
      .flatMap((f) => regexesInSource(f, readFileSync(path.join(ROOT, f), 'utf8')));
    expect(found.length).toBeGreaterThan(100);
    const slow = found
      .filter((r) => r.re && regexCostProblems(r.re).length)
      .map((r) => `${r.file}:${r.line} ${regexCostProblems(r.re!)[0]!.shape}: /${r.re!.source}/`);
    expect(slow).toEqual([]);
    // Each regex built at run time is known, and checked with data of its shape.
    const dynamic = found.filter((r) => r.dynamic);
    for (const r of dynamic) {
      const known = Object.keys(BUILT_AT_RUN_TIME).find((k) => r.dynamic!.startsWith(k));
      expect(known, `${r.file}:${r.line} builds a regex at run time: ${r.dynamic}`).toBeDefined();
    }
    for (const re of Object.values(BUILT_AT_RUN_TIME)) expect(regexCostProblems(re)).toEqual([]);
  });

  it('judges the hostile shapes of issue 24 and gives each its verdict', async () => {
    const blobLine = `"${'A'.repeat(50)}"`;
    const cases = [
      // 471-byte class: seven quoted base64 lines, each followed by blank lines, then no eighth.
      { path: '/var/www/html/a.php', text: `<?php\n${(blobLine + '\n'.repeat(5)).repeat(7)}!` },
      // 64 KiB of blank lines in a PHP file.
      { path: '/var/www/html/b.php', text: `<?php\n${'\n'.repeat(RULE_SAMPLE_BYTES - 6)}` },
      // `eval(` then 64 KiB of blanks: two `\s*` around an optional `(`.
      { path: '/var/www/html/c.php', text: `<?php eval(${' '.repeat(RULE_SAMPLE_BYTES - 12)}x` },
      // A chain of 7,000 chr() calls: the rule now takes four and a fifth, not the whole chain.
      { path: '/var/www/html/d.php', text: `<?php ${'chr(101).'.repeat(7000)}x` },
      // A real blob of eight quoted lines between blank lines is still a disguise.
      {
        path: '/var/www/html/e.php',
        text: `<?php\n$x = \n${(blobLine + ' .\n\n').repeat(8)};\neval(base64_decode($x));`,
      },
      // A shell padded past the start's budget, between the start and the end: in the middle,
      // whose windows are read too.
      {
        path: '/var/www/html/f.php',
        text: `<?php\n${'//\n'.repeat(RULE_SAMPLE_BYTES / 3)}system($_GET['c']);${'//\n'.repeat(RULE_TAIL_BYTES / 3)}`,
      },
      // A packed loader: its payload built up past the budget, run on the last line.
      {
        path: '/var/www/html/g.php',
        text: `<?php\n$z = "";\n${'$z .= "Q2k4";\n'.repeat(20_000)}eval(gzinflate(base64_decode($z)));\n`,
      },
      // The same file a little over the start's budget: its end is read from its next line on.
      {
        path: '/var/www/html/h.php',
        text: `<?php\n${'//\n'.repeat(RULE_SAMPLE_BYTES / 3)}system($_GET['c']);`,
      },
      // A shell padded past the middle's budget too: judged in part, and said so.
      {
        path: '/var/www/html/i.php',
        text: `<?php\n${'//\n'.repeat((RULE_SAMPLE_BYTES + RULE_MIDDLE_BYTES) / 3 + 1000)}system($_GET['c']);${'//\n'.repeat(RULE_TAIL_BYTES / 3)}`,
      },
    ];
    const { verdicts } = await judgeInChild({ cases });
    const rules = verdicts.map((v) => v.map((f) => `${f.rule}:${f.severity}`));
    expect(rules[0]).not.toContain('web-shell:critical');
    expect(rules[1]).not.toContain('web-shell:critical');
    expect(rules[2]).toContain('web-shell:medium');
    expect(rules[3]).toContain('php-shell:critical');
    expect(verdicts[4]!.find((f) => f.rule === 'web-shell')?.reason).toMatch(/long encoded blob/);
    expect(rules[5]).toContain('web-shell:critical');
    expect(rules[5]).not.toContain('content-budget:low');
    expect(verdicts[5]![0]!.reason).toMatch(/\(in the file's bytes \d+–\d+\)$/);
    expect(rules[8]).toContain('content-budget:low');
    expect(rules[8]).not.toContain('web-shell:critical');
    expect(verdicts[8]!.find((f) => f.rule === 'content-budget')?.reason).toMatch(
      /read the first \d{7} bytes and the last 65\d{3} bytes of this \d{7}-byte file: the \d+ bytes between were not judged/,
    );
    expect(
      verdicts[6]!.filter((f) => f.severity === 'critical' || f.severity === 'high'),
    ).not.toEqual([]);
    expect(rules[6]).not.toContain('content-budget:low');
    expect(verdicts[6]![0]!.reason).toMatch(/\(in the file's last \d+ bytes\)$/);
    expect(rules[7]).toContain('web-shell:critical');
    expect(verdicts[7]!.find((f) => f.rule === 'content-budget')?.reason).toMatch(
      /the last \d+ bytes of this \d+-byte file: the [1-3] bytes between/,
    );
  });

  it('stays within its budget on mutated shells and scripts (a bounded fuzz run)', async () => {
    const answer = await judgeInChild({ fuzz: { count: 60, seed: 24 } });
    expect(answer.inputs).toBe(60);
    expect(answer.maxChars).toBeLessThanOrEqual(Math.max(RULE_SAMPLE_BYTES, RULE_TAIL_BYTES));
    // Every regex the rules ran, those built at run time included, has a linear shape.
    expect(answer.regexes.length).toBeGreaterThan(100);
    const slow = answer.regexes
      .map((r) => new RegExp(r.source, r.flags))
      .filter((re) => regexCostProblems(re).length)
      .map((re) => `/${re.source}/${re.flags}`);
    expect(slow).toEqual([]);
  });
});
