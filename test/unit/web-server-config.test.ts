/**
 * Web server configuration that makes a file run as code: a handler given an image's name,
 * and PHP's prepended and appended files. The configurations PHP's and the web servers'
 * packages ship are not.
 */
import { describe, expect, it } from 'vitest';
import { webServerRunsFiles } from '../../src/findings/web-server-config.js';
import { addedFile } from '../support/change-facts.js';

const judge = (path: string, text: string) => webServerRunsFiles(addedFile(path, text));

describe('web server configuration that runs files as code', () => {
  it.each([
    ['/var/www/html/.htaccess', 'AddType application/x-httpd-php .png .jpg\n'],
    ['/var/www/html/up/.htaccess', 'AddHandler php8-script .gif\n'],
    [
      '/var/www/html/up/.htaccess',
      '<FilesMatch "\\.(png|php)$">\nSetHandler php-script\n</FilesMatch>\n',
    ],
    [
      '/var/www/html/up/.htaccess',
      '<FilesMatch "\\.jpg$">\n  SetHandler application/x-httpd-php\n</FilesMatch>\n',
    ],
    [
      '/var/www/html/up/.htaccess',
      'SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"\n',
    ],
    ['/etc/apache2/conf-enabled/x.conf', 'AddHandler cgi-script .txt\n'],
    [
      '/etc/nginx/conf.d/x.conf',
      'server {\n  location ~* \\.(png|ico)$ {\n    fastcgi_pass 127.0.0.1:9000;\n  }\n}\n',
    ],
  ])('hands a name that is not a script to code: %s', (path, text) => {
    expect(judge(path, text)).toMatchObject({ severity: 'critical', attack: 'T1505.003' });
  });

  it.each([
    ['/var/www/html/.user.ini', 'auto_prepend_file = /tmp/.x.txt\n'],
    ['/usr/local/etc/php/conf.d/zz-x.ini', 'auto_append_file="/var/tmp/.s"\n'],
    ['/etc/php/8.2/fpm/pool.d/www.conf', 'php_admin_value[auto_prepend_file] = /dev/shm/x\n'],
    ['/var/www/html/.htaccess', 'php_value auto_prepend_file /var/www/html/img/a.gif\n'],
  ])("sets PHP's prepended or appended file: %s", (path, text) => {
    expect(judge(path, text)).toMatchObject({
      severity: 'high',
      reason: expect.stringMatching(/PHP runs that file with every page/),
    });
  });

  it.each([
    // Debian's php8.2 module configuration for Apache.
    [
      '/etc/apache2/mods-available/php8.2.conf',
      '<FilesMatch ".+\\.ph(?:ar|p|tml)$">\n    SetHandler application/x-httpd-php\n</FilesMatch>\n<FilesMatch ".+\\.phps$">\n    SetHandler application/x-httpd-php-source\n    Require all denied\n</FilesMatch>\n',
    ],
    [
      '/var/www/html/.htaccess',
      'AddHandler application/x-httpd-php82 .php\nAddType application/x-httpd-php-source .phps\n',
    ],
    ['/var/www/html/.htaccess', '# AddType application/x-httpd-php .png\nRewriteEngine On\n'],
    [
      '/etc/php/8.2/apache2/php.ini',
      '; auto_prepend_file = /x\nauto_prepend_file =\nauto_append_file = none\n',
    ],
    [
      '/etc/nginx/sites-available/default',
      'server {\n  #location ~ \\.png$ {\n  #  fastcgi_pass unix:/run/php/php-fpm.sock;\n  #}\n  location ~ \\.php$ {\n    fastcgi_pass unix:/run/php/php-fpm.sock;\n  }\n}\n',
    ],
    ['/var/www/html/app/config.ini', 'auto_prepend_file = /x\n'],
  ])('leaves what packages and applications ship: %s', (path, text) => {
    expect(judge(path, text)).toBeUndefined();
  });
});
