import { describe, expect, it } from 'vitest';
import { parseYaraOutput, yaraFinding } from '../../src/findings/yara.js';

describe('parseYaraOutput', () => {
  it('takes rule, metadata and file; the file by the folder scanned, whatever the metadata says', () => {
    const out = [
      'Php_Eval [description="eval on input",severity="critical",attack="T1505.003"] /case/current/ab/x y.php',
      'Tricky [description="ends in ] /case/current/fake",score=5] /case/current/cd/real',
      'Bare [] /case/processes/exe-1',
      'warning: something unrelated',
    ].join('\n');
    expect(parseYaraOutput(out, '/case/current')).toEqual([
      {
        rule: 'Php_Eval',
        meta: { description: 'eval on input', severity: 'critical', attack: 'T1505.003' },
        file: '/case/current/ab/x y.php',
      },
      {
        rule: 'Tricky',
        meta: { description: 'ends in ] /case/current/fake', score: '5' },
        file: '/case/current/cd/real',
      },
    ]);
    expect(parseYaraOutput(out, '/case/processes')).toEqual([
      { rule: 'Bare', meta: {}, file: '/case/processes/exe-1' },
    ]);
  });
});

describe('yaraFinding', () => {
  it('names the rule, takes severity and ATT&CK from the metadata, high by default', () => {
    const hit = {
      rule: 'X',
      meta: { severity: 'Critical', attack: 'T1505.003', description: 'd' },
      file: '/f',
    };
    expect(yaraFinding(hit, '/var/www/x.php')).toEqual({
      rule: 'yara:X',
      path: '/var/www/x.php',
      severity: 'critical',
      reason: 'YARA rule X matched: d',
      attack: 'T1505.003',
    });
    const plain = yaraFinding(
      { rule: 'Y', meta: { severity: 'info', attack: 'not an id' }, file: '/f' },
      '/x',
      7,
    );
    expect(plain).toEqual({
      rule: 'yara:Y',
      path: '/x',
      severity: 'high',
      reason: 'YARA rule Y matched',
      pid: 7,
    });
  });
});
