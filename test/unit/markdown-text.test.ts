/**
 * Markdown files (issue 27): documentation's code samples are not code a server runs, and
 * what an attacker hides in such a file is not written as a sample.
 */
import { describe, expect, it } from 'vitest';
import { isMarkdown, withoutCodeSamples } from '../../src/findings/web-shell/markdown-text.js';
import { isAlarm } from '../support/top-finding.js';

// A framework guide's page: a view example in a fence, and inline spans naming variables.
const GUIDE = [
  '# Views',
  '',
  'A view reads `$model` and `$this`; the request is `$_GET` in `yii\\web\\Request`.',
  '',
  '```php',
  '<?php',
  '$cmd = $_GET["q"];',
  'echo `ls $cmd`;',
  '```',
  '',
  'Within a view you can access `$this` which refers to the view component.',
].join('\n');

describe('Markdown files', () => {
  it('passes a guide whose samples run a command on the request', () => {
    expect(isAlarm('/var/www/html/docs/guide/structure-views.md', GUIDE)).toBe(false);
  });

  it('ranks code hidden as plain text in a Markdown file, for an include to run, high', () => {
    const hidden = `# Changelog\n\n<?php @eval($_POST['x']); ?>\n\n- fixed a bug\n`;
    expect(isAlarm('/var/www/html/CHANGELOG.md', hidden)).toBe(true);
  });

  it('blanks fences and spans, and keeps the lines where they were', () => {
    const text = withoutCodeSamples(GUIDE);
    expect(text.split('\n')).toHaveLength(GUIDE.split('\n').length);
    expect(text).not.toContain('$_GET');
    expect(text).not.toContain('`');
    expect(text).toContain('Within a view you can access');
  });

  it('knows Markdown by its names only', () => {
    expect(isMarkdown('/srv/README.md')).toBe(true);
    expect(isMarkdown('/srv/notes.markdown')).toBe(true);
    expect(isMarkdown('/srv/index.php')).toBe(false);
  });
});
