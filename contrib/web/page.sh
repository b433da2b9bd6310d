#!/bin/sh
# page.sh DIR [XTERMLIB]: the page's files in DIR, what websocketd
# --staticdir serves: index.html, conslet.js and conslet.css from beside
# this script, and xterm/xterm.js and xterm/xterm.css made from the
# CommonJS modules of xterm.js 3 in XTERMLIB (default: Debian's
# node-xterm, /usr/share/nodejs/xterm/lib).
#
# Debian 12's libjs-xterm 3.8.1 ships as /usr/share/javascript/xterm/xterm.js
# a stub that calls require() and so cannot run in a browser; node-xterm,
# from the same source, has the modules themselves.  This wraps each one
# in a function and resolves require() between them into one script that
# defines the global Terminal: no bundler, no network, nothing but what
# the system has.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: page.sh DIR [XTERMLIB]}
lib=${2:-/usr/share/nodejs/xterm/lib}
if [ ! -r "$lib/public/Terminal.js" ] || [ ! -r "$lib/xterm.css" ]; then
	echo "page.sh: no xterm.js modules in $lib" \
	    "(Debian: apt-get install node-xterm)" >&2
	exit 1
fi

mkdir -p "$dir/xterm"
for f in index.html conslet.js conslet.css; do
	cp "$here/$f" "$dir/$f"
	chmod 644 "$dir/$f"
done
cp "$lib/xterm.css" "$dir/xterm/xterm.css"
chmod 644 "$dir/xterm/xterm.css"

bundle() {
	cat <<'EOF'
/* xterm.js: its CommonJS modules, wrapped for a browser by conslet's page.sh */
(function () {
'use strict';
var defs = {}, done = {};
EOF
	# Every module but the tests, by its path without .js; the names
	# are checked, as they become JavaScript strings.
	(cd "$lib" && find . -name '*.js' ! -name '*.test.js' | LC_ALL=C sort) |
	    while read -r f; do
		n=${f#./}
		n=${n%.js}
		case $n in
		*[!A-Za-z0-9_/.-]*)
			echo "page.sh: unexpected file name: $f" >&2
			exit 1 ;;
		esac
		printf 'defs["%s"] = function (module, exports, require) {\n' "$n"
		sed '/^\/\/# sourceMappingURL=/d' "$lib/$f"
		printf '\n};\n'
	done
	cat <<'EOF'
/* "./x", "../y/z" from the module "a/b" */
function resolve(from, to) {
	var parts = from.split('/'), steps = to.split('/'), i;

	parts.pop();
	for (i = 0; i < steps.length; i++) {
		if (steps[i] === '..')
			parts.pop();
		else if (steps[i] !== '.')
			parts.push(steps[i]);
	}
	return parts.join('/');
}
function load(name) {
	var module;

	if (done.hasOwnProperty(name))
		return done[name].exports;
	if (!defs.hasOwnProperty(name))
		throw new Error('xterm.js: no module ' + name);
	module = done[name] = { exports: {} };
	defs[name].call(module.exports, module, module.exports,
	    function (to) { return load(resolve(name, to)); });
	return module.exports;
}
window.Terminal = load('xterm');
})();
EOF
}

bundle >"$dir/xterm/xterm.js.new"
chmod 644 "$dir/xterm/xterm.js.new"
mv "$dir/xterm/xterm.js.new" "$dir/xterm/xterm.js"
