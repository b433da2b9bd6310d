#!/bin/sh
# bootstrap.sh demo|check [MAKE ARGUMENTS]: `make demo` or `make check` on
# a machine that may have nothing yet, make included.  As root on Debian
# (apt-get) or FreeBSD (pkg) it installs what is missing first; as another
# user it prints the exact command to run as root instead.  Then it runs
# make, which needs nothing more.  It works from the top of the tree,
# wherever it is called from.

set -u
cd "$(dirname "$0")/../.." || exit 1

case ${1:-} in
demo | check) ;;
*)	echo "usage: sh contrib/quickstart/bootstrap.sh demo|check" \
	    "[make arguments]" >&2
	exit 2 ;;
esac

sh contrib/quickstart/deps.sh "$1" || exit 1
exec make "$@"
