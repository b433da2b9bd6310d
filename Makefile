# conslet: serial consoles on TCP, one port per console.
# Works with GNU make and bmake: no conditionals, no pattern rules.

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
SBINDIR ?=	$(PREFIX)/sbin
MANDIR ?=	$(PREFIX)/share/man
SYSCONFDIR ?=	$(PREFIX)/etc
CONSDIR ?=	$(SYSCONFDIR)/conslet/consoles
LIBEXECDIR ?=	$(PREFIX)/libexec/conslet
SHAREDIR ?=	$(PREFIX)/share/conslet
RUNDIR ?=	/var/run/conslet
LOGDIR ?=	/var/log/conslet
# xterm.js 3's CommonJS modules, for the web page (Debian: node-xterm)
XTERMLIB ?=	/usr/share/nodejs/xterm/lib
DESTDIR ?=

CC ?=		cc
CFLAGS ?=	-O2 -g
WARNFLAGS ?=	-Wall -Wextra
# CI sets WERROR=-Werror and SANITIZE=-fsanitize=address,undefined ...
WERROR ?=
SANITIZE ?=
LDFLAGS ?=

# The BSD functions (flopen, strtonum, strlcpy, setproctitle, vis) come
# from libc and libutil on FreeBSD, and from libbsd on Linux, linked in:
# a conslet starts for every connection, and loading libbsd and libmd
# took it 170,000 instructions (of 464,000 in a one-byte session) and
# 20 system calls before its first byte.  BSD_LIBS=-lbsd links them shared.
BSD_CFLAGS !=	pkg-config --cflags libbsd-overlay 2>/dev/null || true
BSD_LIBS !=	pkg-config --libs libbsd-overlay >/dev/null 2>&1 && \
		echo "-Wl,-Bstatic `pkg-config --static --libs libbsd-overlay` \
		-Wl,-Bdynamic" || echo -lutil

PATHS =		-DCONSDIR=\"$(CONSDIR)\" -DRUNDIR=\"$(RUNDIR)\" \
		-DLOGDIR=\"$(LOGDIR)\"
ALL_CFLAGS =	$(CFLAGS) $(WARNFLAGS) $(WERROR) $(SANITIZE) $(BSD_CFLAGS) \
		$(PATHS)

CONSLET_OBJS =	src/conslet.o src/access.o src/command.o src/comport.o \
		src/console.o src/ctl.o src/escape.o src/line.o src/list.o \
		src/lock.o src/menu.o src/msg.o src/peer.o src/relay.o \
		src/session.o src/share.o src/signals.o src/telnet.o \
		src/term.o src/uucp.o src/web.o
CONSLOG_OBJS =	src/conslog.o src/alert.o src/console.o src/ctl.o src/fanout.o \
		src/line.o src/lock.o src/logfile.o src/msg.o src/ring.o \
		src/signals.o src/status.o src/syslogger.o src/uucp.o
HEADERS =	src/console.h src/conslet.h src/conslog.h src/ctl.h

PROGS =		src/conslet src/conslog
# The tests' own programs: a simulated guest and LD_PRELOAD shims, built
# beside their sources in tests/tools.
TESTPROGS =	tests/tools/fakeguest tests/tools/nobreak.so \
		tests/tools/modemshim.so tests/tools/serialshim.so \
		tests/tools/swaplink.so

.SUFFIXES: .c .o
.PHONY: all check demo test install uninstall clean lint fuzz valgrind bench \
		guest bare install-platform uninstall-platform install-web \
		uninstall-web

all: $(PROGS)

.c.o:
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(CONSLET_OBJS) $(CONSLOG_OBJS): $(HEADERS)

src/conslet: $(CONSLET_OBJS)
	$(CC) $(LDFLAGS) $(SANITIZE) -o $@ $(CONSLET_OBJS) $(BSD_LIBS)

src/conslog: $(CONSLOG_OBJS)
	$(CC) $(LDFLAGS) $(SANITIZE) -o $@ $(CONSLOG_OBJS) $(BSD_LIBS)

tests/tools/fakeguest: tests/tools/fakeguest.c
	$(CC) $(CFLAGS) $(WARNFLAGS) $(WERROR) -o $@ tests/tools/fakeguest.c

tests/tools/modemshim.so: tests/tools/modemshim.c
	$(CC) $(CFLAGS) $(WARNFLAGS) $(WERROR) -shared -fPIC -o $@ \
	    tests/tools/modemshim.c -ldl

tests/tools/nobreak.so: tests/tools/nobreak.c
	$(CC) $(CFLAGS) $(WARNFLAGS) $(WERROR) -shared -fPIC -o $@ \
	    tests/tools/nobreak.c

tests/tools/serialshim.so: tests/tools/serialshim.c
	$(CC) $(CFLAGS) $(WARNFLAGS) $(WERROR) -shared -fPIC -o $@ \
	    tests/tools/serialshim.c -ldl

tests/tools/swaplink.so: tests/tools/swaplink.c
	$(CC) $(CFLAGS) $(WARNFLAGS) $(WERROR) -shared -fPIC -o $@ \
	    tests/tools/swaplink.c -ldl

# check and demo first install what is missing, then build in a fresh
# make, so that the pkg-config answers above see what was installed.
check:
	@sh contrib/quickstart/deps.sh check
	@$(MAKE) all $(TESTPROGS)
	@$(MAKE) test

test:
	bats tests

demo:
	@sh contrib/quickstart/deps.sh demo
	@$(MAKE) all $(TESTPROGS)
	@sh contrib/quickstart/demo.sh

# A real guest: a Debian cloud kernel (fetched with apt-get download,
# never installed) and a busybox initramfs under qemu-system-x86_64 (TCG),
# logged and served; both are kept in tests/guest/cache for the next run.
GUESTCACHE =	tests/guest/cache

guest:
	@sh contrib/quickstart/deps.sh guest
	@$(MAKE) all
	@k=`sh tests/guest/kernel.sh $(GUESTCACHE)` && \
	    i=`sh tests/guest/initramfs.sh $(GUESTCACHE)` && \
	    echo "guest: kernel $$k, initramfs $$i" && \
	    GUEST_KERNEL=$$k GUEST_INITRD=$$i bats tests/guest

# The README's quick start from nothing, as root: a debootstrap
# --variant=minbase bookworm root (kept in BARECACHE, with the packages the
# two commands download) under an overlay in a private mount namespace;
# the README's two commands (sh contrib/quickstart/bootstrap.sh demo, then
# check) run in it.  Linux only.
BARECACHE =	tests/bare/cache

bare:
	@sh tests/bare/run.sh $(BARECACHE)

lint:
	mandoc -T lint -W warning man/conslet.8 man/conslog.8
	python3 tests/tools/mancheck.py man/conslet.8 man/conslog.8

# The manual pages get the paths this build was made with.
MANSED =	sed -e 's|/usr/local/etc/conslet/consoles|$(CONSDIR)|g' \
		    -e 's|/var/run/conslet|$(RUNDIR)|g' \
		    -e 's|/var/log/conslet|$(LOGDIR)|g' \
		    -e 's|/usr/local/sbin/conslog|$(SBINDIR)/conslog|g' \
		    -e 's|/usr/local/bin/conslet|$(BINDIR)/conslet|g'

install: all install-platform
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(CONSDIR)
	install -m 755 src/conslet $(DESTDIR)$(BINDIR)/conslet
	install -m 755 src/conslog $(DESTDIR)$(SBINDIR)/conslog
	$(PATHSED) man/conslet.8 > $(DESTDIR)$(MANDIR)/man8/conslet.8
	$(PATHSED) man/conslog.8 > $(DESTDIR)$(MANDIR)/man8/conslog.8
	chmod 644 $(DESTDIR)$(MANDIR)/man8/conslet.8 \
	    $(DESTDIR)$(MANDIR)/man8/conslog.8

uninstall: uninstall-platform
	rm -f $(DESTDIR)$(BINDIR)/conslet $(DESTDIR)$(SBINDIR)/conslog \
	    $(DESTDIR)$(MANDIR)/man8/conslet.8 \
	    $(DESTDIR)$(MANDIR)/man8/conslog.8

# Platform files, for the system make runs on (PLATFORM=FreeBSD or
# PLATFORM=Linux chooses; PLATFORM=all installs both sets): FreeBSD's
# (devd/, and contrib/freebsd: rc.d, newsyslog and their conslogctl)
# where the system reads them under PREFIX; Linux's (contrib/systemd,
# contrib/logrotate) in SHAREDIR for the operator to copy.  Every system
# gets the inetd sample and, in SHAREDIR, the s6 services and the
# tcpserver rules (contrib/s6, contrib/tcpserver).  Each file gets this
# build's paths, as the manuals do.
PLATFORM !=	uname -s
PATHSED =	$(MANSED) -e 's|/usr/local/libexec/conslet|$(LIBEXECDIR)|g' \
		    -e 's|/usr/local/etc/conslet/ports|$(SYSCONFDIR)/conslet/ports|g' \
		    -e 's|/usr/local/etc/devd|$(SYSCONFDIR)/devd|g' \
		    -e 's|/usr/local/etc/rc.d|$(SYSCONFDIR)/rc.d|g' \
		    -e 's|/usr/local/etc/newsyslog.conf.d|$(SYSCONFDIR)/newsyslog.conf.d|g' \
		    -e 's|/usr/local/etc/conslet/inetd.conf.sample|$(SYSCONFDIR)/conslet/inetd.conf.sample|g' \
		    -e 's|/usr/local/share/conslet|$(SHAREDIR)|g'
DIRS_common =	$(DESTDIR)$(SYSCONFDIR)/conslet $(DESTDIR)$(SHAREDIR)/nginx \
		$(DESTDIR)$(SHAREDIR)/s6/conslog-pbx/log \
		$(DESTDIR)$(SHAREDIR)/s6/conslet-pbx $(DESTDIR)$(SHAREDIR)/tcpserver
DIRS_FreeBSD =	$(DESTDIR)$(SYSCONFDIR)/devd $(DESTDIR)$(SYSCONFDIR)/rc.d \
		$(DESTDIR)$(SYSCONFDIR)/newsyslog.conf.d $(DESTDIR)$(LIBEXECDIR)
DIRS_Linux =	$(DESTDIR)$(SHAREDIR)/systemd $(DESTDIR)$(SHAREDIR)/logrotate.d
DIRS_all =	$(DIRS_FreeBSD) $(DIRS_Linux)
PLATFORM_DIRS =	$(DIRS_common) $(DIRS_$(PLATFORM))
# source, installed path, mode: three words a file
FILES_common = \
	inetd.conf.sample	$(SYSCONFDIR)/conslet/inetd.conf.sample	644 \
	contrib/s6/conslog-pbx/run \
		$(SHAREDIR)/s6/conslog-pbx/run				755 \
	contrib/s6/conslog-pbx/notification-fd \
		$(SHAREDIR)/s6/conslog-pbx/notification-fd		644 \
	contrib/s6/conslog-pbx/log/run \
		$(SHAREDIR)/s6/conslog-pbx/log/run			755 \
	contrib/s6/conslet-pbx/run \
		$(SHAREDIR)/s6/conslet-pbx/run				755 \
	contrib/tcpserver/rules.sample \
		$(SHAREDIR)/tcpserver/rules.sample			644 \
	contrib/nginx/conslet-web.conf.sample \
		$(SHAREDIR)/nginx/conslet-web.conf.sample		644
FILES_FreeBSD = \
	devd/conslet.conf	$(SYSCONFDIR)/devd/conslet.conf		644 \
	contrib/freebsd/rc.d/conslog \
		$(SYSCONFDIR)/rc.d/conslog				755 \
	contrib/freebsd/newsyslog.conf.d/conslog.conf \
		$(SYSCONFDIR)/newsyslog.conf.d/conslog.conf		644 \
	contrib/freebsd/libexec/conslogctl \
		$(LIBEXECDIR)/conslogctl				755 \
	contrib/freebsd/rc.d/conslet_web \
		$(SYSCONFDIR)/rc.d/conslet_web				755
FILES_Linux = \
	contrib/systemd/conslog@.service \
		$(SHAREDIR)/systemd/conslog@.service			644 \
	contrib/systemd/conslet.socket \
		$(SHAREDIR)/systemd/conslet.socket			644 \
	contrib/systemd/conslet@.service \
		$(SHAREDIR)/systemd/conslet@.service			644 \
	contrib/systemd/conslet-generator \
		$(SHAREDIR)/systemd/conslet-generator			755 \
	contrib/systemd/ports.sample \
		$(SHAREDIR)/systemd/ports.sample			644 \
	contrib/logrotate/conslog \
		$(SHAREDIR)/logrotate.d/conslog				644 \
	contrib/systemd/conslet-web.service \
		$(SHAREDIR)/systemd/conslet-web.service			644
FILES_all =	$(FILES_FreeBSD) $(FILES_Linux)
PLATFORM_FILES = $(FILES_common) $(FILES_$(PLATFORM))

install-platform:
	mkdir -p $(PLATFORM_DIRS)
	@set -- $(PLATFORM_FILES); while [ $$# -ge 3 ]; do \
		echo "$$1 -> $(DESTDIR)$$2 ($$3)"; \
		$(PATHSED) "$$1" >"$(DESTDIR)$$2" && \
		    chmod "$$3" "$(DESTDIR)$$2" || exit 1; \
		shift 3; \
	done

uninstall-platform:
	@set -- $(PLATFORM_FILES); while [ $$# -ge 3 ]; do \
		rm -f "$(DESTDIR)$$2"; shift 3; \
	done
	rmdir $(DESTDIR)$(SHAREDIR)/s6/conslog-pbx/log \
	    $(DESTDIR)$(SHAREDIR)/s6/conslog-pbx \
	    $(DESTDIR)$(SHAREDIR)/s6/conslet-pbx $(DESTDIR)$(SHAREDIR)/s6 \
	    $(DESTDIR)$(SHAREDIR)/systemd $(DESTDIR)$(SHAREDIR)/logrotate.d \
	    $(DESTDIR)$(SHAREDIR)/tcpserver $(DESTDIR)$(SHAREDIR)/nginx \
	    $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true

# The web page, what websocketd --staticdir serves: SHAREDIR/web, with
# xterm.js made from the modules in XTERMLIB.  Not part of install: it
# needs them (Debian: node-xterm).
install-web:
	sh contrib/web/page.sh $(DESTDIR)$(SHAREDIR)/web $(XTERMLIB)

uninstall-web:
	rm -f $(DESTDIR)$(SHAREDIR)/web/index.html \
	    $(DESTDIR)$(SHAREDIR)/web/conslet.js \
	    $(DESTDIR)$(SHAREDIR)/web/conslet.css \
	    $(DESTDIR)$(SHAREDIR)/web/xterm/xterm.js \
	    $(DESTDIR)$(SHAREDIR)/web/xterm/xterm.css
	rmdir $(DESTDIR)$(SHAREDIR)/web/xterm $(DESTDIR)$(SHAREDIR)/web \
	    $(DESTDIR)$(SHAREDIR) 2>/dev/null || true

clean:
	rm -f $(PROGS) $(TESTPROGS) src/*.o bench/*.o bench/bench \
	    $(BENCH_FLOORS)

# Fuzzing: libFuzzer targets for the telnet decoder (with RFC 2217), the
# escape parser and the logger's request parser, built with clang under
# ASan and UBSan and run for
# FUZZTIME seconds each on a copy of their seed corpus; a crash fails.
FUZZCC ?=	clang-14
FUZZTIME ?=	60
FUZZFLAGS =	-g -O1 -fno-omit-frame-pointer $(WARNFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(BSD_CFLAGS)
FUZZSRCS =	tests/fuzz/stubs.c src/command.c src/comport.c src/ctl.c \
		src/escape.c src/msg.c src/session.c src/signals.c src/telnet.c

fuzz:
	@sh contrib/quickstart/deps.sh fuzz
	@FUZZCC='$(FUZZCC)' FUZZTIME='$(FUZZTIME)' FUZZFLAGS='$(FUZZFLAGS)' \
	    FUZZSRCS='$(FUZZSRCS)' FUZZLIBS='$(BSD_LIBS)' sh tests/fuzz/run.sh

# valgrind's memcheck on a session of each program (tests/valgrind), on a
# build without sanitizers, made afresh: a sanitizer build does not run
# under valgrind.
VGCFLAGS ?=	-O1 -g

valgrind:
	@sh contrib/quickstart/deps.sh valgrind
	@$(MAKE) clean
	@$(MAKE) all $(TESTPROGS) CFLAGS='$(VGCFLAGS)' SANITIZE=
	bats tests/valgrind

# Benchmark: conslet beside the floor (bench/floor, the least a relay
# can be, static and dynamic), socat and ser2net on ptys and TCP loopback
# (Linux: it reads /proc).  Not part of check.  See bench/README.
BENCH_MIB ?=	64
BENCH_REPS ?=	5
BENCH_KEYS ?=	2000
BENCH_CONNECTS ?= 20
BENCH_FANMIB ?=	4
BENCH_SCALE ?=	200
BENCH_RELAYS ?=

# Built without libbsd's overlay (its getopt does not permute), hence a
# rule for each object rather than the suffix rule.
BENCH_CFLAGS =	$(CFLAGS) $(WARNFLAGS) $(WERROR)
BENCH_OBJS =	bench/bench.o bench/conn.o bench/fanout.o bench/figures.o \
		bench/latency.o bench/pattern.o bench/process.o \
		bench/relay.o bench/report.o bench/scale.o bench/throughput.o

$(BENCH_OBJS): bench/bench.h

BENCH_FLOORS =	bench/floor bench/floor-static

bench/bench: $(BENCH_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) -lutil

bench/floor: bench/floor.c
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ bench/floor.c

bench/floor-static: bench/floor.c
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -static -o $@ bench/floor.c

bench/bench.o: bench/bench.c
	$(CC) $(BENCH_CFLAGS) -c bench/bench.c -o $@

bench/conn.o: bench/conn.c
	$(CC) $(BENCH_CFLAGS) -c bench/conn.c -o $@

bench/fanout.o: bench/fanout.c
	$(CC) $(BENCH_CFLAGS) -c bench/fanout.c -o $@

bench/figures.o: bench/figures.c
	$(CC) $(BENCH_CFLAGS) -c bench/figures.c -o $@

bench/latency.o: bench/latency.c
	$(CC) $(BENCH_CFLAGS) -c bench/latency.c -o $@

bench/pattern.o: bench/pattern.c
	$(CC) $(BENCH_CFLAGS) -c bench/pattern.c -o $@

bench/process.o: bench/process.c
	$(CC) $(BENCH_CFLAGS) -c bench/process.c -o $@

bench/relay.o: bench/relay.c
	$(CC) $(BENCH_CFLAGS) -c bench/relay.c -o $@

bench/report.o: bench/report.c
	$(CC) $(BENCH_CFLAGS) -c bench/report.c -o $@

bench/scale.o: bench/scale.c
	$(CC) $(BENCH_CFLAGS) -c bench/scale.c -o $@

bench/throughput.o: bench/throughput.c
	$(CC) $(BENCH_CFLAGS) -c bench/throughput.c -o $@

bench:
	@sh contrib/quickstart/deps.sh bench
	@$(MAKE) all bench/bench $(BENCH_FLOORS)
	bench/bench -b src -m $(BENCH_MIB) -r $(BENCH_REPS) -k $(BENCH_KEYS) \
	    -c $(BENCH_CONNECTS) -f $(BENCH_FANMIB) -S $(BENCH_SCALE) \
	    $(BENCH_RELAYS)
