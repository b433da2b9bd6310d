#!/bin/sh
# initramfs.sh DIR: make sure DIR/initramfs.gz exists, a tiny initramfs of
# Debian's static busybox whose /init mounts proc, sys and devtmpfs, says
# "conslet guest: init up", and runs a shell on the serial console with
# the prompt "guest# "; print its path.  It needs no kernel modules.

set -u

dir=${1:?usage: sh tests/guest/initramfs.sh DIR}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd) || exit 1
out=$dir/initramfs.gz
here=$(cd "$(dirname "$0")" && pwd)

bb=
for f in /bin/busybox /usr/bin/busybox; do
	[ -x "$f" ] && bb=$f && break
done
if [ -z "$bb" ]; then
	echo "initramfs.sh: no /bin/busybox (install busybox-static)" >&2
	exit 1
fi
if ldd "$bb" >/dev/null 2>&1; then
	echo "initramfs.sh: $bb is not static (install busybox-static)" >&2
	exit 1
fi

# Built again when the busybox or the init script is newer than it.
if [ -f "$out" ] && [ -z "$(find "$bb" "$here/init" -newer "$out")" ]; then
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -p "$tmp/root/bin" "$tmp/root/sbin" "$tmp/root/dev" \
    "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/tmp" || exit 1
cp "$bb" "$tmp/root/bin/busybox" || exit 1
cp "$here/init" "$tmp/root/init" || exit 1
chmod 755 "$tmp/root/init" "$tmp/root/bin/busybox"
# the device node the kernel needs before devtmpfs is mounted
mknod "$tmp/root/dev/console" c 5 1 2>/dev/null || true
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) | gzip -9 \
    >"$tmp/initramfs.gz" || {
	echo "initramfs.sh: cpio or gzip failed" >&2
	exit 1
}
mv "$tmp/initramfs.gz" "$out" || exit 1
echo "$out"
