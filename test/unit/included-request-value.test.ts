/**
 * A file included by the name the visitor sends, through a variable (issue 27, tuning side),
 * against a page including a template whose path it builds around a request value.
 */
import { describe, expect, it } from 'vitest';
import { isAlarm, topFinding } from '../support/top-finding.js';

describe('files included by the name the visitor sends', () => {
  it('ranks an include of a variable holding the request value critical', () => {
    expect(
      topFinding(
        '/var/www/html/i.php',
        "<?php $filename = trim($_GET['code']); include ($filename); ?>",
      ),
    ).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/includes a file the visitor names/),
    });
  });

  it('does not alarm on a template path built around a request value', () => {
    const page = `<?php
$page = $_GET['page'];
$file = __DIR__ . '/pages/' . basename($page) . '.php';
if (is_file($file)) include $file;
require_once($config);
`;
    expect(isAlarm('/var/www/html/index.php', page)).toBe(false);
  });

  it('ranks an include of the upload’s temporary file, held in a variable, critical; moving it first not', () => {
    const page = `<?php $f = $_FILES['x']['tmp_name']; include $f;`;
    expect(topFinding('/var/www/html/u.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/includes the file the visitor uploads/),
    });
    const moved = `<?php
$f = $_FILES['x']['tmp_name'];
move_uploaded_file($f, __DIR__ . '/files/' . bin2hex(random_bytes(8)) . '.dat');
include $layout;
`;
    expect(isAlarm('/var/www/html/upload.php', moved)).toBe(false);
  });
});
