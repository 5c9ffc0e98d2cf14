/**
 * Web server configuration that makes the server run a file as code. A web shell kept as
 * `logo.png` is an image to every page rule; an `.htaccess` beside it that hands `.png` to
 * PHP is what makes it run. And PHP's `auto_prepend_file` and `auto_append_file` run a file
 * before or after every page the server serves: a backdoor no page includes. Read here:
 *
 * - Apache's `AddType` and `AddHandler` giving PHP or CGI a name that is not a script's,
 *   and `SetHandler` doing so for a `<Files>` pattern that is not, or for a whole folder
 *   (in an `.htaccess` or the server's own configuration);
 * - nginx's `location` blocks passing names that are not PHP's to FastCGI;
 * - `auto_prepend_file` and `auto_append_file` in php.ini, a `.user.ini`, an FPM pool or an
 *   `.htaccess`'s `php_value`.
 *
 * A file the page rules judge as a shell is theirs; this rule names what makes a file run.
 */
import type { ChangeRule } from './change-rules.js';
import { scriptWithoutComments } from './web-shell/comments.js';

const APACHE = /(?:^|\/)\.htaccess$|^\/etc\/(?:apache2|httpd)\/|^\/usr\/local\/apache2\/conf\//;
const NGINX = /^\/etc\/nginx\/|^\/usr\/local\/nginx\/conf\/|(?:^|\/)nginx\.conf$/;
const PHP_SETTINGS =
  /(?:^|\/)(?:\.user\.ini|php[\w.-]{0,20}\.ini)$|\/php[\w.-]{0,20}\/(?:[\w.-]{1,40}\/){0,3}conf\.d\/[^/]{1,200}\.ini$|\/(?:php-fpm\.d|pool\.d)\/[^/]{1,200}\.conf$|(?:^|\/)php-fpm\.conf$/;

// PHP's and CGI's handlers, as Apache names them (`-source` shows a file's source, runs nothing).
const CODE_HANDLER =
  /^(?:(?:application\/)?x-httpd-php(?!-source)[\w.-]{0,20}|php[\d.]{0,4}-script|php-script|cgi-script|proxy:(?:unix|fcgi):\S{0,200})$/i;

// The names whose files are scripts already (PHP's includes too): mapping them to their
// handler changes nothing.
const SCRIPT_NAME = /^\.?(?:php[3-8]?|phtml|phar|pht|inc|cgi|pl|py|sh|fcgi)$/i;

// A <Files> pattern naming files that are not scripts (it is the attacker's regex: read, not
// run), and one naming scripts.
const NOT_SCRIPT_PATTERN =
  /\b(?:png|jpe?g|gif|ico|bmp|svg|webp|txt|log|css|js|html?|pdf|zip|dat|tmp|cfg|xml|json)\b/i;
const SCRIPT_PATTERN = /\.ph|\bphp|\bphtml|\bcgi\b|\bpl\b/i;

/** True when a pattern names files that are not scripts, or names no script at all. */
const namesOtherFiles = (pattern: string) =>
  NOT_SCRIPT_PATTERN.test(pattern) || !SCRIPT_PATTERN.test(pattern);

const ADD_HANDLER = /^[ \t]*(AddType|AddHandler)[ \t]+([^\n]{1,700})/gim;
const SET_HANDLER = /^[ \t]*SetHandler[ \t]+([^\n]{1,300})/gim;
const FILES_OPEN = /<Files(?:Match)?[ \t]+([^>\n]{1,200})>/gi;

const PREPEND =
  /^[ \t]*(?:php_(?:admin_)?value(?:\[|[ \t]+))?(auto_(?:prepend|append)_file)\]?[ \t]*(?:=[ \t]*)?["']?([^\s"';=]{1,300})/gim;

const unquoted = (word: string) => word.replace(/^["']|["']$/g, '');

/** The first Apache directive that gives code's handler a name that is not a script's. */
function apacheMapping(text: string, isFolderConfig: boolean): string | undefined {
  for (const m of [...text.matchAll(ADD_HANDLER)].slice(0, 200)) {
    const [handler = '', ...names] = m[2]!
      .trim()
      .split(/[ \t]+/)
      .slice(0, 50)
      .map(unquoted);
    if (!CODE_HANDLER.test(handler)) continue;
    const other = names.find((n) => n && !n.startsWith('#') && !SCRIPT_NAME.test(n));
    if (other) return `${m[1]} hands ${other} files to ${handler}`;
  }
  const lower = text.toLowerCase();
  const sections = [...text.matchAll(FILES_OPEN)].slice(0, 500);
  for (const m of [...text.matchAll(SET_HANDLER)].slice(0, 200)) {
    const handler = unquoted(m[1]!.trim().split(/[ \t]/)[0]!);
    if (!CODE_HANDLER.test(handler)) continue;
    // The `<Files>` or `<FilesMatch>` section the directive is in, if it is in one.
    const section = sections.filter((o) => o.index! < m.index!).at(-1);
    const end = section ? lower.indexOf('</files', section.index!) : -1;
    const files = section && (end < 0 || end > m.index!) ? unquoted(section[1]!.trim()) : undefined;
    // A folder handed to CGI wholesale is what a server's own cgi-bin section says; handed to
    // PHP, or by an .htaccess (a folder's own, often web-writable), it is not.
    if (files === undefined) {
      if (isFolderConfig || !/cgi-script/i.test(handler))
        return `SetHandler hands every file of its folder to ${handler}`;
      continue;
    }
    if (namesOtherFiles(files)) return `SetHandler hands files matching ${files} to ${handler}`;
  }
  return undefined;
}

// An nginx location given by a regex, and a FastCGI pass in its block.
const NGINX_LOCATION =
  /\blocation[ \t]+~\*?[ \t]+["']?([^\s"'{]{1,200})["']?[ \t]*\{([^{}]{0,2000})\}/g;

/** The first nginx location that passes names that are not PHP's to FastCGI. */
function nginxMapping(text: string): string | undefined {
  for (const m of [...text.matchAll(NGINX_LOCATION)].slice(0, 200)) {
    if (/\bfastcgi_pass\b/.test(m[2]!) && namesOtherFiles(m[1]!))
      return `location ${m[1]} passes its files to FastCGI (PHP)`;
  }
  return undefined;
}

export const webServerRunsFiles: ChangeRule = (f) => {
  if (f.kind === 'D' || f.currentText === undefined) return undefined;
  const isApache = APACHE.test(f.path);
  const isNginx = !isApache && NGINX.test(f.path);
  const isPhp = !isApache && !isNginx && PHP_SETTINGS.test(f.path);
  if (!isApache && !isNginx && !isPhp) return undefined;
  // Apache's and nginx's comments, and php.ini's, are whole lines (`#`, `;`).
  const text = scriptWithoutComments(f.currentText);
  const mapping = isApache
    ? apacheMapping(text, f.path.endsWith('.htaccess'))
    : isNginx
      ? nginxMapping(text)
      : undefined;
  if (mapping)
    return {
      severity: 'critical',
      reason: `web server configuration that runs files as code: ${mapping} (a web shell kept under a harmless name)`,
      attack: 'T1505.003',
    };
  if (isNginx) return undefined;
  for (const m of [...text.matchAll(PREPEND)].slice(0, 20)) {
    if (/^none$/i.test(m[2]!)) continue;
    return {
      severity: 'high',
      reason: `PHP configuration sets ${m[1]} to ${m[2]}: PHP runs that file with every page it serves`,
      attack: 'T1505.003',
    };
  }
  return undefined;
};
