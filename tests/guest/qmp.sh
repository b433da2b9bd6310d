#!/bin/sh
# qmp.sh COMMAND...: speak QMP on stdin and stdout, as socat's EXEC gives
# them: read the greeting, leave capabilities negotiation, then run each
# COMMAND (e.g. cont) and wait for its answer.  Each answer goes to
# stderr; the status is 0 when every command returned.
#
#	socat UNIX-CONNECT:qmp.sock EXEC:"sh qmp.sh cont"

set -u

# answer: read lines until the command's answer, skipping events.
answer() {
	while IFS= read -r line; do
		case $line in
		*'"return"'*)	echo "qmp: $1: $line" >&2; return 0 ;;
		*'"error"'*)	echo "qmp: $1: $line" >&2; return 1 ;;
		esac
	done
	echo "qmp: $1: no answer" >&2
	return 1
}

IFS= read -r greeting || { echo "qmp: no greeting" >&2; exit 1; }
case $greeting in
*'"QMP"'*) ;;
*) echo "qmp: not a QMP greeting: $greeting" >&2; exit 1 ;;
esac
printf '{"execute": "qmp_capabilities"}\n'
answer qmp_capabilities || exit 1
for cmd; do
	printf '{"execute": "%s"}\n' "$cmd"
	answer "$cmd" || exit 1
done
exit 0
