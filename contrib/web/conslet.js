/*
 * conslet's page. Without a console in its URL (http://vmhost:7080/) it
 * lists the consoles and their state; with one (http://vmhost:7080/#pbx)
 * it is a terminal on that console. Each is a WebSocket to the host that
 * served the page, where websocketd runs conslet -w: the bare path lists,
 * a console's name as the path (ws://vmhost:7080/pbx) is a session.
 * Bytes pass unchanged both ways, as binary messages; escapes, read-only
 * and write access are conslet's, exactly as on a TCP port.
 */
'use strict';

(function () {
	var NAME_MAX = 64;		/* as conslet: 1 to 64 bytes */
	var RECORD_MAX = 4 << 20;	/* bytes of output kept for saving */
	var term = null;
	var sock = null;		/* the session's WebSocket */
	var decoder = null;
	var encoder = new TextEncoder();
	var chunks = [], kept = 0;	/* the output as it came, newest last */
	var opened = 0;			/* WebSockets this page opened */
	var sent = 0;			/* bytes of keystrokes it sent */
	var current = '';

	function $(id) {
		return document.getElementById(id);
	}

	function status(text) {
		$('status').textContent = text;
	}

	/* The rule conslet holds a name to; conslet checks it again. */
	function nameOk(s) {
		return s.length <= NAME_MAX && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s);
	}

	/* A refused name as conslet shows one: C escapes, no control bytes. */
	function shown(s) {
		var out = '', i, c;

		for (i = 0; i < s.length && i < 256; i++) {
			c = s.charCodeAt(i);
			if (s[i] === '\\')
				out += '\\\\';
			else if (c >= 0x20 && c < 0x7f)
				out += s[i];
			else if (c < 0x100)
				out += '\\' + ('00' + c.toString(8)).slice(-3);
			else
				out += '\\u' + ('000' + c.toString(16)).slice(-4);
		}
		return out;
	}

	/* ws: or wss: to path, relative to the page (a proxy may mount it). */
	function connect(path) {
		var u = new URL(path, location.href), ws;

		u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
		u.hash = '';
		u.search = '';
		ws = new WebSocket(u.href);
		ws.binaryType = 'arraybuffer';
		opened++;
		return ws;
	}

	function joined(list) {
		var n = 0, out, i;

		for (i = 0; i < list.length; i++)
			n += list[i].length;
		out = new Uint8Array(n);
		for (n = 0, i = 0; i < list.length; i++) {
			out.set(list[i], n);
			n += list[i].length;
		}
		return out;
	}

	function record(b) {
		chunks.push(b);
		kept += b.length;
		while (kept > RECORD_MAX && chunks.length > 1)
			kept -= chunks.shift().length;
	}

	function hangup() {
		var ws = sock;

		sock = null;
		if (ws !== null)
			ws.close();
	}

	/* The list: "  NAME  STATE" lines, or a "[conslet: ...]" message. */
	function showList() {
		var ws, got = [], isopen = false;

		hangup();
		current = '';
		$('console').hidden = true;
		$('save').hidden = true;
		$('list').hidden = false;
		$('title').textContent = '';
		status('asking for the list');
		ws = connect('./');
		ws.onopen = function () {
			isopen = true;
		};
		ws.onmessage = function (ev) {
			got.push(new Uint8Array(ev.data));
		};
		ws.onclose = function () {
			var lines, i, m, tr, td, a, n = 0, note = [];

			lines = new TextDecoder().decode(joined(got)).split(/\r?\n/);
			$('consoles').textContent = '';
			for (i = 0; i < lines.length; i++) {
				m = /^  (\S+) +(.*)$/.exec(lines[i]);
				if (m === null || !nameOk(m[1])) {
					if (lines[i] !== '')
						note.push(lines[i]);
					continue;
				}
				tr = document.createElement('tr');
				td = document.createElement('td');
				a = document.createElement('a');
				a.href = '#' + m[1];
				a.textContent = m[1];
				td.appendChild(a);
				tr.appendChild(td);
				td = document.createElement('td');
				td.textContent = m[2];
				tr.appendChild(td);
				$('consoles').appendChild(tr);
				n++;
			}
			if (!isopen)
				note.push('[the server refused the connection]');
			else if (n === 0 && note.length === 0)
				note.push('no consoles');
			$('listnote').textContent = note.join('\n');
			status(n + ' console' + (n === 1 ? '' : 's'));
		};
	}

	function onData(t, fn) {
		if (typeof t.onData === 'function')
			t.onData(fn);		/* xterm.js 4 and later */
		else
			t.on('data', fn);	/* 3 */
	}

	function send(data) {
		var b;

		if (sock !== null && sock.readyState === WebSocket.OPEN) {
			b = encoder.encode(data);
			sock.send(b);
			sent += b.length;
		}
	}

	function showConsole(name) {
		var ws, isopen = false;

		hangup();
		current = name;
		$('list').hidden = true;
		$('console').hidden = false;
		$('save').hidden = false;
		$('title').textContent = name;
		if (term === null) {
			term = new Terminal({ cols: 80, rows: 24,
			    scrollback: 10000 });
			term.open($('terminal'));
			onData(term, send);
		} else
			term.reset();
		chunks = [];
		kept = 0;
		decoder = new TextDecoder('utf-8');
		if (!nameOk(name)) {
			term.write('[conslet: invalid console name: "' +
			    shown(name) + '"]\r\n');
			status('refused');
			return;
		}
		status('connecting');
		sock = ws = connect(encodeURIComponent(name));
		ws.onopen = function () {
			isopen = true;
			status('connected');
			term.focus();
		};
		ws.onmessage = function (ev) {
			var b = new Uint8Array(ev.data);

			if (ws !== sock)
				return;
			record(b);
			term.write(decoder.decode(b, { stream: true }));
		};
		ws.onclose = function () {
			if (ws !== sock)
				return;
			sock = null;
			term.write(decoder.decode());
			if (isopen) {
				term.write('\r\n[connection closed]\r\n');
				status('closed');
			} else {
				term.write('[the server refused the connection]\r\n');
				status('refused');
			}
		};
	}

	function save() {
		var a = document.createElement('a');

		a.href = URL.createObjectURL(new Blob(chunks,
		    { type: 'application/octet-stream' }));
		a.download = (current || 'console') + '.log';
		document.body.appendChild(a);
		a.click();
		a.remove();
		setTimeout(function () {
			URL.revokeObjectURL(a.href);
		}, 60000);
	}

	function route() {
		var name = location.hash.replace(/^#/, '');

		if (name === '')
			showList();
		else
			showConsole(name);
	}

	/* What the page received and shows, for a look from outside. */
	window.conslet = {
		received: function () {
			var b = joined(chunks), s = '', i;

			for (i = 0; i < b.length; i += 8192)
				s += String.fromCharCode.apply(null,
				    b.subarray(i, i + 8192));
			return btoa(s);
		},
		screen: function () {
			var text;

			if (term === null)
				return '';
			term.selectAll();
			text = term.getSelection();
			term.clearSelection();
			return text;
		},
		opened: function () {
			return opened;
		},
		sent: function () {
			return sent;
		}
	};

	$('refresh').addEventListener('click', showList);
	$('save').addEventListener('click', save);
	window.addEventListener('hashchange', route);
	route();
})();
