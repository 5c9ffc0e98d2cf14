/**
 * Pages that put files on the server (issue 27, split v2 tuning side): an upload saved under
 * the name the visitor gave, through variables; a dropper writing base64-encoded PHP.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChange } from '../../src/findings/change-rules.js';
import { addedFile } from '../support/change-facts.js';

const top = (path: string, text: string) => evaluateChange(addedFile(path, text))[0];
const isAlarm = (path: string, text: string) =>
  /critical|high/.test(top(path, text)?.severity ?? 'info');

describe('uploads saved as sent, and droppers', () => {
  it('ranks an upload saved under the sent name, through variables, critical', () => {
    const page = `<?php
if (isset($_POST['Submit'])) {
  $dir = "";
  $name = $_FILES['image']['name'];
  $tmp = $_FILES['image']['tmp_name'];
  $to = $dir . $name;
  @move_uploaded_file($tmp, $to);
}
`;
    expect(top('/var/www/html/up.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/saves an upload under the name the visitor gave/),
    });
  });

  it('does not alarm on an upload saved under a name the server makes', () => {
    const page = `<?php
$name = $_FILES['avatar']['name'];
$ext = strtolower(pathinfo($name, PATHINFO_EXTENSION)) === 'png' ? 'png' : 'jpg';
$to = __DIR__ . '/avatars/' . bin2hex(random_bytes(16)) . '.' . $ext;
move_uploaded_file($_FILES['avatar']['tmp_name'], $to);
`;
    expect(isAlarm('/var/www/html/avatar.php', page)).toBe(false);
  });

  it('ranks a file written with base64-encoded PHP critical', () => {
    const dropper = `$check = $_SERVER['DOCUMENT_ROOT'] . "/libraries/x.php";
$fp = fopen($check, "w+");
fwrite($fp, base64_decode('PD9waHAgZWNobyAiaGkiOyA/Pg=='));
fclose($fp);`;
    expect(top('/var/www/html/i.php', dropper)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/dropper/),
    });
  });

  it('does not alarm on a file written with a decoded image', () => {
    const page = `<?php
file_put_contents(__DIR__ . '/cache/pixel.gif', base64_decode('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'));
`;
    expect(isAlarm('/var/www/html/pixel.php', page)).toBe(false);
  });
});
