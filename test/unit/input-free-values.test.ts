/**
 * Values made from request input that hold none of it (issue 27: held-out benign false
 * alarms, zoneminder's pages, read for their cause): one of two constants a test of the
 * input chose, or a number made of it, are not followed as the visitor's; a choice whose
 * branch is the input still is. (zoneminder's pages are still ranked by the 240-character
 * window between input and a command: see docs/detection.md.)
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { directlyTainted, taintedNames } from '../../src/findings/web-shell/request-flow.js';
import { addedFile } from '../support/change-facts.js';

const PAGE = `<?php
$when = isset($_REQUEST['when']) and $_REQUEST['when'] == 'now' ? 'now' : '+1';
$id = (int) $_GET['id'];
$n = intval($_GET['n']);
$command = isset($_POST['command']) ? $_POST['command'] : '';
$line = $_GET['prefix'] . intval($_GET['n']);
`;

describe('values that hold none of the input', () => {
  it('does not follow a constant chosen by a test of the input, nor a number made of it', () => {
    for (const names of [taintedNames(PAGE), directlyTainted(PAGE)]) {
      expect(names.has('when')).toBe(false);
      expect(names.has('id')).toBe(false);
      expect(names.has('n')).toBe(false);
    }
  });

  it('still follows input through a choice whose branch is the input, or joined to a number', () => {
    for (const names of [taintedNames(PAGE), directlyTainted(PAGE)]) {
      expect(names.has('command')).toBe(true);
      expect(names.has('line')).toBe(true);
    }
    const shell = `<?php
$command = isset($_POST['command']) ? $_POST['command'] : '';
$p = proc_open($command, array(1 => array('pipe', 'w')), $io);
`;
    expect(evaluateChange(addedFile('/opt/x/shell.php', shell))[0]).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/proc_open\(\) on request input/),
    });
  });
});
