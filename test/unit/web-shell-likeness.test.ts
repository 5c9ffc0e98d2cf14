/**
 * The learned likeness (src/findings/web-shell/likeness.ts): its features are bounded and
 * safe to look up whatever the file says, its arithmetic is a logistic model's, and the
 * shipped model ranks a shell written in a form no rule reads while leaving a library page
 * that calls a command below high. The shells and pages here were written for this test.
 */
import { describe, expect, it } from 'vitest';
import { judgeWebShell } from '../../src/findings/web-shell.js';
import {
  LIKENESS_MIN_FEATURES,
  LIKENESS_REASON,
  hasEnoughWords,
  isShape,
  likenessApplies,
  likenessFeatures,
  likenessFinding,
  likenessOf,
  webShellLikeness,
  type LikenessModel,
} from '../../src/findings/web-shell/likeness.js';
import { LIKENESS_MODEL } from '../../src/findings/web-shell/likeness-model.js';
import { addedFile, fileMeta } from '../support/change-facts.js';

const judge = (path: string, text: string) =>
  judgeWebShell(addedFile(path, text, { current: fileMeta({ sizeBytes: text.length }) }), false);

const tiny: LikenessModel = {
  trainedOn: 'test',
  threshold: 0.9,
  bias: -2,
  features: ['eval', 'eval base64_decode', '#input', 'namespace'],
  weights: [8, 12, 1, -5],
};

describe('web-shell likeness', () => {
  it('reads words, pairs of words and the rules’ signals, lowercased', () => {
    const f = likenessFeatures(`<?php @eval(base64_decode($_POST['Z'])); // Done`);
    for (const w of [
      'eval',
      'base64_decode',
      'eval base64_decode',
      '$_post',
      'z',
      '#input',
      '#code',
    ])
      expect(f.has(w)).toBe(true);
    expect(f.has('Done')).toBe(false);
  });

  it('keeps a bounded number of features however many words a file has', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `w${i}`).join(' ');
    expect(likenessFeatures(text).size).toBeLessThanOrEqual(4000 + 20 + 2000);
  });

  it('reads the shape of the code whatever names it uses, and counts only words toward judging', () => {
    const shapes = (text: string) => [...likenessFeatures(text)].filter(isShape).sort();
    // The same obfuscator's output with other names and numbers has the same shape.
    const one = shapes(`<?php $O00O0O=$O0O000{4}.$O0O000{9}; $O00O0O("\\x65\\x76");`);
    const other = shapes(`<?php $I11I1I=$I1I111{7}.$I1I111{2}; $I11I1I("\\x61\\x73");`);
    expect(one).toEqual(other);
    expect(one).toContain('~$a00a');
    expect(one).toContain('~"\\a00');
    // Controls and non-ASCII are one class: no terminal byte becomes a feature.
    const odd = shapes(
      `<?php $a = "${String.fromCharCode(27)}[31m${String.fromCharCode(0x4e2d, 0x6587)}";`,
    );
    expect(odd.join('')).not.toMatch(/[\u0000-\u001f\u007f-\u00a3\u00a5-\uffff]/);
    expect(odd).toContain('~"¤[00');
    // A short page is left to the rules however many shapes it has.
    const marks = '!#%&()*+,-/:;<=>?@[]^{|}';
    const noise = [...marks].map((_, i) => marks.slice(i) + marks.slice(0, i)).join('');
    const short = `<?php @eval(base64_decode($_POST['Z'])); /* ${noise} */`;
    expect(likenessFeatures(short).size).toBeGreaterThan(LIKENESS_MIN_FEATURES);
    expect(hasEnoughWords(likenessFeatures(short))).toBe(false);
  });

  it('scores as a logistic model: words weighed by 1/√n, the rules’ signals by 1', () => {
    const features = new Set(['eval', 'eval base64_decode', '#input', 'other']);
    const z = -2 + (8 + 12) / Math.sqrt(4) + 1;
    const { score, strongest } = likenessOf(features, tiny);
    expect(score).toBeCloseTo(1 / (1 + Math.exp(-z)), 10);
    expect(strongest).toEqual(['eval base64_decode', 'eval', '#input']);
  });

  it('takes a file’s words for words, never for the lookup table’s own keys', () => {
    const { score } = likenessOf(new Set(['constructor', '__proto__', 'hasownproperty']), tiny);
    expect(score).toBeCloseTo(1 / (1 + Math.exp(2)), 10);
    expect(Number.isFinite(webShellLikeness('<?php constructor __proto__ toString();').score)).toBe(
      true,
    );
  });

  it('judges PHP pages only: not a page a browser reads, nor a file without a PHP tag', () => {
    expect(likenessApplies('/var/www/html/a.php', '<? echo 1;')).toBe(true);
    expect(likenessApplies('/var/www/html/upload/a.png', '<?php x')).toBe(true);
    expect(likenessApplies('/var/www/html/a.php', 'no tag: PHP sends it as text')).toBe(false);
    expect(likenessApplies('/var/www/html/docs/a.html', 'an example: <?php echo 1; ?>')).toBe(
      false,
    );
    expect(likenessApplies('/var/www/html/readme', 'plain words')).toBe(false);
  });

  it('raises to high, never to critical, and says it is the learned judgement', () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const shell = `<?php @eval(base64_decode($_POST['Z'])); /* ${words} */`;
    const strong = { ...tiny, weights: [40, 60, 1, -5] };
    const hit = likenessFinding(shell, strong);
    expect(hit?.severity).toBe('high');
    expect(hit?.reason.startsWith(LIKENESS_REASON)).toBe(true);
    expect(hit?.reason).toContain('weighed most: eval base64_decode, eval');
    expect(likenessFinding(`<?php namespace A; class B {} /* ${words} */`, strong)).toBeUndefined();
  });

  it('leaves a page too short to say much to the rules', () => {
    const strong = { ...tiny, weights: [40, 60, 1, -5] };
    const oneLiner = `<?php @eval(base64_decode($_POST['Z']));`;
    expect(hasEnoughWords(likenessFeatures(oneLiner))).toBe(false);
    expect(likenessOf(likenessFeatures(oneLiner), strong).score).toBeGreaterThan(0.9);
    expect(likenessFinding(oneLiner, strong)).toBeUndefined();
  });

  it('ships a model trained on the tuning side with a threshold it can reach', () => {
    expect(LIKENESS_MODEL.features.length).toBe(LIKENESS_MODEL.weights.length);
    expect(LIKENESS_MODEL.features.length).toBeGreaterThan(1000);
    expect(LIKENESS_MODEL.threshold).toBeGreaterThan(0.5);
    expect(LIKENESS_MODEL.threshold).toBeLessThan(1);
    expect(LIKENESS_MODEL.trainedOn).toMatch(/tuning side only/);
  });

  it('ranks a page the rules pass high through the model: a PHP file browser', () => {
    // Written for this test: it lists and shows any file the visitor names, and runs nothing.
    const browser = `<?php
error_reporting(0); set_time_limit(0);
$p = isset($_REQUEST['d']) ? $_REQUEST['d'] : getcwd();
echo "<title>Files</title><form method=post><input name=d value='".htmlspecialchars($p)."'><input type=submit value=Go></form>";
foreach (scandir($p) as $n) { echo "<a href='?d=".urlencode($p.'/'.$n)."'>$n</a> ".@filesize($p.'/'.$n)." ".substr(sprintf('%o', @fileperms($p.'/'.$n)), -4)."<br>"; }
if (is_file($p)) { echo "<textarea>".htmlspecialchars(file_get_contents($p))."</textarea>"; }
echo php_uname()." | uid=".getmyuid()." | ".$_SERVER['SERVER_SOFTWARE'];
`;
    const hit = judge('/opt/collected/files.php', browser);
    expect(hit?.severity).toBe('high');
    expect(hit?.reason.startsWith(LIKENESS_REASON)).toBe(true);
    expect(webShellLikeness(browser).score).toBeGreaterThanOrEqual(LIKENESS_MODEL.threshold);
  });

  it('leaves JSP, ASP.NET and classic ASP to the rules: too few benign pages to learn from', () => {
    const aspBrowser = `<%@ Language=VBScript %>
<%
Dim fso, folder, f, p
p = Request.QueryString("path")
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Set folder = fso.GetFolder(p)
For Each f In folder.Files
  Response.Write f.Name & " " & f.Size & " " & f.DateLastModified & "<br>"
Next
%>`;
    expect(likenessApplies('/opt/collected/list.asp', aspBrowser)).toBe(false);
    expect(likenessApplies('/opt/collected/a.jsp', '<%@ page import="java.io.*" %>')).toBe(false);
    expect(judge('/opt/collected/list.asp', aspBrowser)?.severity ?? 'none').not.toMatch(
      /high|critical/,
    );
  });

  it('leaves a library page that calls a command below high', () => {
    const library = `<?php
declare(strict_types=1);

namespace Acme\\Mail\\Transport;

use Psr\\Log\\LoggerInterface;

/**
 * Sends a message through the local sendmail binary.
 *
 * @internal
 */
final class SendmailTransport implements TransportInterface
{
    /**
     * @param string $command The sendmail command line, from the configuration.
     */
    public function __construct(private string $command, private LoggerInterface $logger)
    {
    }

    /**
     * @throws TransportException when the binary exits with an error
     */
    public function send(Message $message): void
    {
        $process = proc_open($this->command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w']], $pipes);
        if (!\\is_resource($process)) {
            throw new TransportException('Unable to start ' . $this->command);
        }
        fwrite($pipes[0], $message->toString());
        fclose($pipes[0]);
        $this->logger->debug('Message sent', ['id' => $message->getId()]);
        proc_close($process);
    }
}
`;
    expect(
      judge('/var/www/html/vendor/acme/SendmailTransport.php', library)?.severity ?? 'none',
    ).not.toMatch(/high|critical/);
  });
});
