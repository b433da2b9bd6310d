#!/bin/sh
# kernel.sh DIR: make sure DIR holds a Debian cloud kernel,
# DIR/vmlinuz-VERSION, and print its path.  The versioned linux-image package is fetched with
# `apt-get download` and only its boot/vmlinuz-* is taken out: nothing is
# installed, the host's boot setup is left alone.  A kernel already in DIR
# for the version apt would give is used as it is.

set -u

dir=${1:?usage: sh tests/guest/kernel.sh DIR}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd) || exit 1

# the image the cloud kernel's metapackage depends on, e.g.
# linux-image-6.1.0-56-cloud-amd64
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	# no package lists, or no apt: a kernel fetched before will do
	for k in "$dir"/vmlinuz-*; do
		case $k in
		*.version) ;;
		*) [ -f "$k" ] && echo "$k" && exit 0 ;;
		esac
	done
	echo "kernel.sh: no linux-image-cloud-amd64 known to apt-cache" \
	    "(run apt-get update)" >&2
	exit 1
fi
ver=${pkg#linux-image-}
if [ -f "$dir/vmlinuz-$ver" ]; then
	echo "$dir/vmlinuz-$ver"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kernel.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
# apt-get download writes into the current directory
(cd "$tmp" && apt-get download -q "$pkg" >&2) || {
	echo "kernel.sh: apt-get download $pkg failed" >&2
	exit 1
}
deb=
for f in "$tmp"/*.deb; do
	[ -f "$f" ] && deb=$f
done
if [ -z "$deb" ]; then
	echo "kernel.sh: apt-get download $pkg gave no .deb" >&2
	exit 1
fi
if ! dpkg-deb --fsys-tarfile "$deb" |
    (cd "$tmp" && tar -x "./boot/vmlinuz-$ver"); then
	echo "kernel.sh: no boot/vmlinuz-$ver in $deb" >&2
	exit 1
fi
# the package's version, for the record
dpkg-deb -f "$deb" Version >"$dir/vmlinuz-$ver.version" 2>/dev/null
mv "$tmp/boot/vmlinuz-$ver" "$dir/vmlinuz-$ver" || exit 1
echo "$dir/vmlinuz-$ver"
