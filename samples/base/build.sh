#!/usr/bin/env bash
# Offline stand-in for `busybox:1.36`: a root filesystem made from Debian's
# busybox-static, imported as a one-layer image. No registry involved.
set -euo pipefail
image=${1:-coroner-sample/base:busybox}
busybox=/bin/busybox

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,var/log,var/spool/cron/crontabs,run,home,lib,proc,sys,dev}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
# Every applet as a symlink to /bin/busybox, where busybox itself says it lives.
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sf /bin/busybox "$root/$applet"
done

cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat >"$root/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
www-data:x:33:
operator:x:37:
nogroup:x:65534:
G
cat >"$root/etc/shadow" <<'S'
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
www-data:*:19000:0:99999:7:::
operator:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
S
chmod 640 "$root/etc/shadow"
echo 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin' >"$root/etc/profile"
echo 'coroner-sample' >"$root/etc/hostname"

tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import \
    --change 'LABEL coroner.sample=base' \
    --change 'CMD ["sh"]' \
    - "$image" >/dev/null
echo "$image"
