#!/usr/bin/env bats
# labgrid (Debian's python3-labgrid) on a conslet port: the environment
# of contrib/labgrid/env.yaml, a NetworkSerialPort on a conslet -t -p -E
# port (RFC 2217) or a raw -E one, its SerialDriver logging in to the
# simulated guest through conslog, and the speed it sets reaching the
# device; the exporter's configuration as labgrid reads it.

# shellcheck disable=SC2154
# (PORT_r and PORT_t are set by serve_as.)

setup() {
	load lib/helpers
	load lib/conslog
	common_setup
	PY=/usr/bin/python3
	"$PY" -c 'import labgrid' 2>/dev/null ||
		skip "labgrid (python3-labgrid) is not installed"
}

teardown() {
	common_teardown
}

# env_for PORT SPEED PROTOCOL: contrib/labgrid/env.yaml for this test's
# port, speed and protocol, as $T/env.yaml.
env_for() {
	sed -e 's/vmhost\.example\.net/127.0.0.1/' -e "s/7201/$1/" \
	    -e "s/115200/$2/" -e "s/rfc2217/$3/" \
	    "$TOP/contrib/labgrid/env.yaml" >"$T/env.yaml"
}

# labgrid_login: tests/tools/labgrid-login.py on $T/env.yaml.
labgrid_login() {
	run env CONSLET_TESTDIR="$T" timeout 60 "$PY" \
	    "$TOP/tests/tools/labgrid-login.py" "$T/env.yaml" vm1 \
	    "$GUEST_TTY" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "labgrid's SerialDriver on a NetworkSerialPort, RFC 2217 through conslet -t -p -E and conslog: login prompt, a session, and its speed on the device" {
	start_guest vm1 -d
	start_logger vm1
	serve_as t -t -p -E vm1
	[ "$(stty -F "$GUEST_TTY" speed)" != 57600 ]
	env_for "$PORT_t" 57600 rfc2217
	labgrid_login
	[[ "$output" == *"saw the login prompt"* ]]
	[[ "$output" == *"answer: FakeOS demo 1.0 GENERIC amd64"* ]]
	[[ "$output" == *"device speed: 57600"* ]]
	# what labgrid typed reached the guest, and the log has the session
	wait_file_contains "$T/log/vm1.log" "FakeOS demo 1.0 GENERIC amd64"
	grep -a -q '^labgrid' "$T/vm1.rec"
	# nothing of conslet's in what labgrid read: no notice
	if grep -a -F '[conslet' "$T/log/vm1.log"; then false; fi
}

@test "labgrid's SerialDriver on a raw conslet -E port: the same session, without line settings" {
	start_guest vm1 -d
	start_logger vm1
	serve_as r -E vm1
	env_for "$PORT_r" 115200 raw
	labgrid_login
	[[ "$output" == *"answer: FakeOS demo 1.0 GENERIC amd64"* ]]
}

@test "contrib/labgrid/exporter.yaml: labgrid's exporter reads it, and each NetworkSerialPort is one labgrid takes" {
	"$PY" - "$TOP/contrib/labgrid/exporter.yaml" <<'PY'
import sys
from labgrid import Target
from labgrid.remote.config import ResourceConfig
from labgrid.resource import NetworkSerialPort

config = ResourceConfig(sys.argv[1]).data
assert config, "no groups"
for group, resources in config.items():
    params = resources["NetworkSerialPort"]
    port = NetworkSerialPort(Target(group), None, **params)
    assert port.protocol == "rfc2217", port
    print(group, port.host, port.port, port.speed, port.protocol)
PY
}
