#!/bin/sh
# run.sh: build the fuzz targets with clang's libFuzzer under ASan and
# UBSan, and run each for FUZZTIME seconds on a copy of its seed corpus in
# a temporary directory (the repository's corpus is never written).  Run
# by `make fuzz`, which passes FUZZCC, FUZZFLAGS, FUZZSRCS, FUZZLIBS and
# FUZZTIME.  On a crash: the input in hex, how to reproduce it, status 1.

set -u

targets="telnet escape ctl"
: "${FUZZCC:=clang-14}" "${FUZZTIME:=60}" "${FUZZLIBS:=}"
: "${FUZZFLAGS:=-g -O1 -fsanitize=fuzzer,address,undefined}"
: "${FUZZSRCS:=tests/fuzz/stubs.c src/command.c src/comport.c src/ctl.c src/escape.c src/msg.c src/session.c src/signals.c src/telnet.c}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/conslet-fuzz.XXXXXX") || exit 1
keep=
# shellcheck disable=SC2317
cleanup() {
	[ -n "$keep" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Reports on stderr, with the fuzzer's own log, whatever the caller set.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

for t in $targets; do
	echo "fuzz: building fuzz_$t"
	# shellcheck disable=SC2086
	$FUZZCC $FUZZFLAGS -Isrc -Itests/fuzz -o "$dir/fuzz_$t" \
	    "tests/fuzz/fuzz_$t.c" $FUZZSRCS $FUZZLIBS || exit 1
done

rc=0
for t in $targets; do
	mkdir "$dir/corpus_$t" "$dir/crash_$t"
	cp "tests/fuzz/corpus_$t"/* "$dir/corpus_$t/" || exit 1
	echo "fuzz: fuzz_$t for ${FUZZTIME}s"
	"$dir/fuzz_$t" -max_len=4096 -max_total_time="$FUZZTIME" \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$dir/crash_$t/" "$dir/corpus_$t" \
	    >"$dir/fuzz_$t.log" 2>&1
	st=$?
	found=$(ls "$dir/crash_$t" 2>/dev/null)
	if [ "$st" -eq 0 ] && [ -z "$found" ]; then
		grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss)' \
		    "$dir/fuzz_$t.log" | sed "s/^/fuzz_$t: /"
		continue
	fi
	rc=1
	keep=1
	echo "fuzz: fuzz_$t FAILED (status $st); the end of its log:"
	grep -v -E '^#[0-9]+[[:space:]]' "$dir/fuzz_$t.log" | tail -n 60
	for f in $found; do
		echo "fuzz: input $dir/crash_$t/$f:"
		od -A d -t x1 "$dir/crash_$t/$f" | head -n 40
		echo "fuzz: reproduce with: $dir/fuzz_$t $dir/crash_$t/$f"
	done
done
[ -z "$keep" ] || echo "fuzz: kept $dir"
exit "$rc"
