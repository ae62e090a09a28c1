#!/usr/bin/env bash
# Interop test of MeshDns's forward plugin against real DNS servers playing a "peer region":
#   peer A: Knot DNS (knotd) serving cluster.local on UDP/TCP,
#   peer B: Unbound serving the same zone from local-data on UDP/TCP and DNS over TLS (self-signed CA).
# MeshDns forwards cluster.local to both (policy sequential: A first) and, on a second port, to B over TLS; and
# serves the peer as gcp-europe-west4-c.local (rewrite to cluster.local and back, cache) over UDP, TCP and TLS.
# Checks answers with dig (UDP, TCP) and kdig, then stops peer A, checks failover to B, starts A again and
# checks MeshDns goes back to it. Prints PASS/FAIL lines; exits non-zero on any failure.
#
# Usage: tests/interop/forward/test.sh            (builds MeshDns in Release if no build is found)
#        MESHDNS_DLL=/path/meshdns.dll tests/interop/forward/test.sh
#        BENCH=1 tests/interop/forward/test.sh     (adds a short dnsperf run through forward)
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
DLL=${MESHDNS_DLL:-$ROOT/src/MeshDns/bin/Release/net10.0/meshdns.dll}
FAILED=0
PIDS=()

for tool in knotd unbound dig kdig openssl dotnet; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL prerequisites: $tool not found (Debian packages: knot knot-dnsutils unbound bind9-dnsutils openssl)"
        exit 1
    fi
done

if [[ ! -f $DLL ]]; then
    echo "building MeshDns (Release)..."
    timeout 300 dotnet build "$ROOT/src/MeshDns/MeshDns.csproj" -c Release -v quiet -nologo >/dev/null || { echo "FAIL build"; exit 1; }
fi

TMP=$(mktemp -d /tmp/meshdns-interop-forward.XXXXXX)
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    if [[ $FAILED -ne 0 ]]; then
        echo "--- meshdns log (tail) ---"
        tail -n 40 "$TMP/meshdns.log" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
START=$SECONDS

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; FAILED=1; }

# A port nobody uses on 127.0.0.1 for both UDP and TCP (bind and release; good enough on a quiet test box).
free_port() { python3 "$ROOT/tests/interop/free-port.py"; }

# Waits (bounded) until something answers DNS on 127.0.0.1:$1 (over TCP when $2 is "+tcp").
wait_dns() {
    local port=$1 extra=${2:-} deadline=$((SECONDS + 15))
    while ((SECONDS < deadline)); do
        if dig @127.0.0.1 -p "$port" $extra +time=1 +tries=1 svc.cluster.local A >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Polls until `dig ... who.cluster.local TXT` through MeshDns returns "$2" (at most $3 seconds).
wait_who() {
    local port=$1 want=$2 limit=$3 deadline=$((SECONDS + $3)) got=""
    while ((SECONDS < deadline)); do
        got=$(dig @127.0.0.1 -p "$port" +time=2 +tries=1 +short who.cluster.local TXT 2>/dev/null | tr -d '"')
        [[ $got == "$want" ]] && return 0
        sleep 0.2
    done
    echo "$got"
    return 1
}

PORT_A=$(free_port); PORT_B=$(free_port); PORT_TLS=$(free_port); PORT_M=$(free_port); PORT_MTLS=$(free_port)

# ---- peer A: knotd ----
mkdir -p "$TMP/knot"
cat >"$TMP/knot/cluster.local.zone" <<EOF
\$ORIGIN cluster.local.
\$TTL 30
@    SOA ns.cluster.local. hostmaster.cluster.local. 1 3600 600 86400 30
@    NS  ns
ns   A   127.0.0.1
svc  A   10.96.0.10
who  TXT "knot"
EOF
cat >"$TMP/knot/knot.conf" <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$PORT_A
database:
    storage: "$TMP/knot"
log:
  - target: stderr
    any: warning
zone:
  - domain: cluster.local
    storage: "$TMP/knot"
    file: "cluster.local.zone"
EOF
start_knot() {
    knotd -c "$TMP/knot/knot.conf" >>"$TMP/knot.log" 2>&1 &
    KNOT_PID=$!
    PIDS+=("$KNOT_PID")
}
start_knot

# ---- peer B: unbound with DNS over TLS ----
mkdir -p "$TMP/unbound"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=MeshDns interop CA" \
    -keyout "$TMP/unbound/ca.key" -out "$TMP/unbound/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=dns.peer.test" \
    -keyout "$TMP/unbound/server.key" -out "$TMP/unbound/server.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:dns.peer.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$TMP/unbound/ext.cnf"
openssl x509 -req -in "$TMP/unbound/server.csr" -CA "$TMP/unbound/ca.pem" -CAkey "$TMP/unbound/ca.key" -CAcreateserial \
    -days 1 -extfile "$TMP/unbound/ext.cnf" -out "$TMP/unbound/server.pem" >/dev/null 2>&1
cat >"$TMP/unbound/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$PORT_B
    interface: 127.0.0.1@$PORT_TLS
    tls-port: $PORT_TLS
    tls-service-key: "$TMP/unbound/server.key"
    tls-service-pem: "$TMP/unbound/server.pem"
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$TMP/unbound"
    pidfile: "$TMP/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    local-zone: "cluster.local." static
    local-data: "cluster.local. 30 IN SOA ns.cluster.local. hostmaster.cluster.local. 1 3600 600 86400 30"
    local-data: "svc.cluster.local. 30 IN A 10.96.0.10"
    local-data: "who.cluster.local. 30 IN TXT unbound"
remote-control:
    control-enable: no
EOF
unbound -c "$TMP/unbound/unbound.conf" >>"$TMP/unbound.log" 2>&1 &
PIDS+=("$!")

# ---- MeshDns ----
cat >"$TMP/Corefile" <<EOF
cluster.local:$PORT_M {
    forward . 127.0.0.1:$PORT_A 127.0.0.1:$PORT_B {
        policy sequential
        max_fails 1
        health_check 200ms
    }
}
cluster.local:$PORT_MTLS {
    forward . tls://127.0.0.1:$PORT_TLS {
        tls $TMP/unbound/ca.pem
        tls_servername dns.peer.test
    }
}
# The peer region serves cluster.local; clients here ask for it by its regional name (issue 5's stub zone).
gcp-europe-west4-c.local:$PORT_M {
    cache 30
    rewrite name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto
    forward . 127.0.0.1:$PORT_A 127.0.0.1:$PORT_B {
        policy sequential
        max_fails 1
        health_check 200ms
    }
}
gcp-europe-west4-c.local:$PORT_MTLS {
    rewrite name suffix .gcp-europe-west4-c.local. .cluster.local. answer auto
    forward . tls://127.0.0.1:$PORT_TLS {
        tls $TMP/unbound/ca.pem
        tls_servername dns.peer.test
    }
}
EOF
dotnet "$DLL" -conf "$TMP/Corefile" >"$TMP/meshdns.log" 2>&1 &
PIDS+=("$!")

wait_dns "$PORT_A" || fail "peer A (knotd) did not start" "$(tail -n 5 "$TMP/knot.log")"
wait_dns "$PORT_B" || fail "peer B (unbound) did not start" "$(tail -n 5 "$TMP/unbound.log")"
wait_dns "$PORT_M" || fail "meshdns did not start" "$(tail -n 5 "$TMP/meshdns.log")"
[[ $FAILED -eq 0 ]] || exit 1

# ---- answers over UDP and TCP (through knot), and over TLS (through unbound) ----
got=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 +short svc.cluster.local A)
[[ $got == "10.96.0.10" ]] && pass "udp answer" || fail "udp answer" "got '$got'"

got=$(dig @127.0.0.1 -p "$PORT_M" +tcp +time=2 +tries=1 +short svc.cluster.local A)
[[ $got == "10.96.0.10" ]] && pass "tcp answer" || fail "tcp answer" "got '$got'"

got=$(kdig @127.0.0.1 -p "$PORT_M" +time=2 +retry=0 +short SvC.ClUsTeR.LoCaL A)
[[ $got == "10.96.0.10" ]] && pass "kdig answer, mixed-case name" || fail "kdig answer, mixed-case name" "got '$got'"

out=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 SvC.ClUsTeR.LoCaL A)
grep -q "^;SvC.ClUsTeR.LoCaL.[[:space:]]" <<<"$out" && pass "question spelling echoed" || fail "question spelling echoed" "$out"

status=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 missing.cluster.local A | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
[[ $status == "NXDOMAIN" ]] && pass "nxdomain relayed" || fail "nxdomain relayed" "got '$status'"

got=$(wait_who "$PORT_M" knot 5) && pass "sequential policy uses peer A" || fail "sequential policy uses peer A" "got '$got'"

got=$(dig @127.0.0.1 -p "$PORT_MTLS" +time=3 +tries=1 +short who.cluster.local TXT | tr -d '"')
[[ $got == "unbound" ]] && pass "tls answer (DNS over TLS to unbound)" || fail "tls answer (DNS over TLS to unbound)" "got '$got'"

got=$(kdig @127.0.0.1 -p "$PORT_TLS" +tls-ca="$TMP/unbound/ca.pem" +tls-hostname=dns.peer.test +time=2 +retry=0 +short svc.cluster.local A 2>/dev/null)
[[ $got == "10.96.0.10" ]] && pass "peer B serves DNS over TLS (kdig)" || fail "peer B serves DNS over TLS (kdig)" "got '$got'"

# ---- the regional name, rewritten to the peer's cluster.local and mapped back (UDP, TCP, TLS) ----
out=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 +noall +answer svc.gcp-europe-west4-c.local A)
grep -Eq '^svc\.gcp-europe-west4-c\.local\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.96\.0\.10$' <<<"$out" \
    && pass "rewrite: regional name over UDP, answered under the regional name" || fail "rewrite: regional name over UDP" "$out"
got=$(dig @127.0.0.1 -p "$PORT_M" +tcp +time=2 +tries=1 +short svc.gcp-europe-west4-c.local A)
[[ $got == "10.96.0.10" ]] && pass "rewrite: regional name over TCP" || fail "rewrite: regional name over TCP" "got '$got'"
got=$(kdig @127.0.0.1 -p "$PORT_MTLS" +time=3 +retry=0 +short who.gcp-europe-west4-c.local TXT | tr -d '"')
[[ $got == "unbound" ]] && pass "rewrite: regional name forwarded over TLS" || fail "rewrite: regional name forwarded over TLS" "got '$got'"
status=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 missing.gcp-europe-west4-c.local A | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
[[ $status == "NXDOMAIN" ]] && pass "rewrite: NXDOMAIN relayed for the regional name" || fail "rewrite: NXDOMAIN relayed" "got '$status'"
got=$(dig @127.0.0.1 -p "$PORT_M" +time=2 +tries=1 +short who.gcp-europe-west4-c.local TXT | tr -d '"')
[[ $got == "knot" ]] && pass "rewrite: sequential policy asks peer A" || fail "rewrite: sequential policy asks peer A" "got '$got'"

# ---- peer A stops: MeshDns fails over to peer B ----
kill "$KNOT_PID"; wait "$KNOT_PID" 2>/dev/null
ok=1
for i in 1 2 3 4 5; do
    got=$(dig @127.0.0.1 -p "$PORT_M" +time=4 +tries=1 +short who.cluster.local TXT | tr -d '"')
    [[ $got == "unbound" ]] || { ok=0; break; }
done
((ok)) && pass "failover to peer B while A is down" || fail "failover to peer B while A is down" "got '$got'"

got=$(dig @127.0.0.1 -p "$PORT_M" +tcp +time=4 +tries=1 +short svc.cluster.local A)
[[ $got == "10.96.0.10" ]] && pass "tcp failover" || fail "tcp failover" "got '$got'"

# The regional block caches: peer A's answer is still served from the cache while A is down.
got=$(dig @127.0.0.1 -p "$PORT_M" +time=4 +tries=1 +short who.gcp-europe-west4-c.local TXT | tr -d '"')
[[ $got == "knot" ]] && pass "cache: answer cached from peer A served while A is down" || fail "cache: cached answer while A is down" "got '$got'"

# ---- peer A comes back: MeshDns returns to it ----
start_knot
wait_dns "$PORT_A" || fail "peer A (knotd) did not restart"
got=$(wait_who "$PORT_M" knot 10) && pass "recovered to peer A" || fail "recovered to peer A" "got '$got'"

if [[ ${BENCH:-0} == 1 ]] && command -v dnsperf >/dev/null 2>&1; then
    printf 'svc.cluster.local A\nwho.cluster.local TXT\nmissing.cluster.local A\n' >"$TMP/queries"
    dnsperf -s 127.0.0.1 -p "$PORT_M" -d "$TMP/queries" -l 5 -c 4 -Q "${BENCH_QPS:-20000}" 2>&1 | grep -E "Queries per second|Average Latency|Queries lost"
    echo "--- direct to knotd, for comparison ---"
    dnsperf -s 127.0.0.1 -p "$PORT_A" -d "$TMP/queries" -l 5 -c 4 -Q "${BENCH_QPS:-20000}" 2>&1 | grep -E "Queries per second|Average Latency|Queries lost"
fi

echo "elapsed $((SECONDS - START))s"
if [[ $FAILED -ne 0 ]]; then
    exit 1
fi
