# Shared pieces of the load scripts (run.sh, forward.sh): temp dir and cleanup, building MeshDns, free ports,
# the 10,000-name data set, starting Knot and MeshDns, one dnsperf measurement, the results table.
# Source it: . "$(dirname "$0")/lib.sh"
set -u -o pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/meshdns-load.XXXXXX)
pids=()
results=()

cleanup() {
    local pid
    for pid in "${pids[@]:-}"; do
        [[ -n $pid ]] && kill "$pid" 2>/dev/null
    done
    for pid in "${pids[@]:-}"; do
        [[ -n $pid ]] && wait "$pid" 2>/dev/null
    done
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
    echo "load: $*" >&2
    exit 1
}

require_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian packages: dnsperf knot bind9-dnsutils python3; dotnet SDK)"
    done
}

# The Release build of the executable; `dotnet build` is incremental, so this costs a few seconds when nothing changed.
build_meshdns() {
    local dll=$repo/src/MeshDns/bin/Release/net10.0/meshdns.dll
    if [[ ${NO_BUILD:-0} != 1 || ! -f $dll ]]; then
        echo "building MeshDns (Release)..." >&2
        timeout 300 dotnet build "$repo/src/MeshDns/MeshDns.csproj" -c Release -nologo -v quiet >"$work/build.log" 2>&1 ||
            { tail -n 20 "$work/build.log" >&2; die "build failed"; }
    fi
    MESHDNS_DLL=$dll
}

# A port free for both UDP and TCP on 127.0.0.1 (bind and release; good enough on a quiet box).
free_port() { python3 "$repo/tests/interop/free-port.py"; }

# wait_dns PORT NAME: until 127.0.0.1:PORT answers NAME (at most 20 s).
wait_dns() {
    local port=$1 name=$2 deadline=$((SECONDS + 20))
    while ((SECONDS < deadline)); do
        # +short alone is not enough: dig prints "communications error" there too while nothing listens yet.
        dig @127.0.0.1 -p "$port" +time=1 +tries=1 +noall +answer "$name" A 2>/dev/null | grep -q "[[:space:]]IN[[:space:]]*A[[:space:]]" && return 0
        sleep 0.1
    done
    return 1
}

# gen_names N ZONE: $work/hosts (hosts(5) lines), $work/zone.db (the same names for Knot) and $work/queries
# (one "name A" line per name, in a shuffled order so consecutive queries do not walk the table in order).
gen_names() {
    local count=$1 zone=$2
    python3 - "$count" "$zone" "$work" <<'PY'
import random, sys
count, zone, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
names = [(f"host{i}.{zone}", f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}") for i in range(count)]
with open(f"{work}/hosts", "w") as hosts, open(f"{work}/zone.db", "w") as db:
    db.write(f"$ORIGIN {zone}.\n$TTL 3600\n@ SOA ns.{zone}. hostmaster.{zone}. 1 7200 1800 86400 3600\n@ NS ns\nns A 127.0.0.1\n")
    for name, address in names:
        hosts.write(f"{address} {name}\n")
        db.write(f"{name}. A {address}\n")
random.Random(42).shuffle(names)
with open(f"{work}/queries", "w") as queries:
    for name, _ in names:
        queries.write(f"{name} A\n")
PY
}

# gen_services N ZONE: $work/manifests/services.yaml (namespace "bench" and N ClusterIP services svc0..svcN-1 with a
# named port, as `kubectl get -o yaml` prints them) and $work/k8s-queries (their A names, shuffled; every tenth an SRV).
gen_services() {
    local count=$1 zone=$2
    mkdir -p "$work/manifests"
    python3 - "$count" "$zone" "$work" <<'PY'
import random, sys
count, zone, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(f"{work}/manifests/services.yaml", "w") as out:
    out.write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n")
    for i in range(count):
        ip = f"10.{96 + ((i >> 16) & 3)}.{(i >> 8) & 255}.{i & 255}"
        out.write(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\n  namespace: bench\n"
                  f"spec:\n  type: ClusterIP\n  clusterIP: {ip}\n  clusterIPs:\n  - {ip}\n"
                  f"  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n")
queries = [f"svc{i}.bench.svc.{zone} A" if i % 10 else f"_http._tcp.svc{i}.bench.svc.{zone} SRV" for i in range(count)]
random.Random(42).shuffle(queries)
with open(f"{work}/k8s-queries", "w") as out:
    out.write("\n".join(queries) + "\n")
PY
}

# start_knot LABEL PORT UDP_WORKERS ZONE: Knot serving $work/zone.db; sets SERVER_PID.
start_knot() {
    local label=$1 port=$2 workers=$3 zone=$4 dir=$work/knot-$1
    mkdir -p "$dir"
    cp "$work/zone.db" "$dir/zone.db"
    cat >"$dir/knot.conf" <<EOF
server:
    rundir: "$dir"
    listen: 127.0.0.1@$port
    udp-workers: $workers
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$dir"
log:
  - target: stderr
    any: warning
zone:
  - domain: $zone
    storage: "$dir"
    file: "zone.db"
EOF
    knotd -c "$dir/knot.conf" >"$dir/knot.log" 2>&1 &
    SERVER_PID=$!
    pids+=("$SERVER_PID")
    wait_dns "$port" "host1.$zone" || { tail -n 5 "$dir/knot.log" >&2; die "knotd ($label) did not start"; }
}

# start_meshdns LABEL COREFILE_TEXT PROBE_NAME PORT [ENV=VALUE...]: MeshDns with that Corefile; sets SERVER_PID.
start_meshdns() {
    local label=$1 corefile=$2 probe=$3 port=$4 dir=$work/meshdns-$1
    shift 4
    mkdir -p "$dir"
    printf '%s\n' "$corefile" >"$dir/Corefile"
    env "$@" dotnet "$MESHDNS_DLL" -conf "$dir/Corefile" >"$dir/meshdns.log" 2>&1 &
    SERVER_PID=$!
    pids+=("$SERVER_PID")
    wait_dns "$port" "$probe" || { tail -n 5 "$dir/meshdns.log" >&2; die "meshdns ($label) did not start"; }
}

stop_server() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# The dnsperf flags every server gets (see README.md for why these).
DNSPERF_FLAGS=${DNSPERF_FLAGS:--c 1 -T 1 -q 200}
DURATION=${DURATION:-15}
P99_DURATION=${P99_DURATION:-5}
WARMUP=${WARMUP:-2}

# p99_of FILE: the 99th percentile (ms) of the latencies dnsperf -v printed (lines "> RCODE name type seconds").
p99_of() {
    awk '$1 == ">" && NF == 5 { us = int($5 * 1e6 + 0.5); h[us]++; n++; if (us > max) max = us }
         END {
             if (n == 0) { print "-"; exit }
             want = n * 0.99; seen = 0
             for (us = 0; us <= max; us++) { seen += h[us]; if (seen >= want) { printf "%.3f", us / 1000; exit } }
         }' "$1"
}

# measure LABEL PID PORT [QUERIES]: warm-up, a timed throughput pass (QPS, average latency, loss, server CPU per
# query), a verbose pass for p99, then RSS. Appends a row to results and prints it.
measure() {
    local label=$1 pid=$2 port=$3 queries=${4:-$work/queries} out=$work/dnsperf-$1
    # shellcheck disable=SC2086 # DNSPERF_FLAGS is a list of flags
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$WARMUP" $DNSPERF_FLAGS >/dev/null 2>&1
    local before after
    before=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$DURATION" $DNSPERF_FLAGS >"$out.txt" 2>&1
    after=$(cpu_ticks "$pid")
    # shellcheck disable=SC2086
    dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$P99_DURATION" $DNSPERF_FLAGS -v >"$out.verbose" 2>&1
    local qps avg lost completed p99 rss cpu
    qps=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$out.txt")
    avg=$(awk '/Average Latency/ { printf "%.3f", $4 * 1000 }' "$out.txt")
    lost=$(awk '/Queries lost:/ { print $3 }' "$out.txt")
    completed=$(awk '/Queries completed:/ { print $3 }' "$out.txt")
    p99=$(p99_of "$out.verbose")
    rss=$(rss_mb "$pid")
    cpu=$(awk -v t=$((after - before)) -v q="${completed:-0}" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (q > 0) printf "%.1f", t / hz * 1e6 / q; else print "-" }')
    results+=("$label|${qps:-0}|${avg:--}|$p99|${lost:--}|$rss|$cpu")
    printf '  %-38s %9s QPS  avg %s ms  p99 %s ms  lost %s  RSS %s MB  CPU %s us/query\n' \
        "$label" "${qps:-0}" "${avg:--}" "$p99" "${lost:--}" "$rss" "$cpu" >&2
    rm -f "$out.verbose"
}

# qps_of LABEL: the measured QPS of a row.
qps_of() {
    local row
    for row in "${results[@]}"; do
        [[ ${row%%|*} == "$1" ]] && { cut -d'|' -f2 <<<"$row"; return; }
    done
    echo 0
}

# ratio A B: QPS of row A divided by QPS of row B, e.g. "0.87x (87%)".
ratio() {
    awk -v a="$(qps_of "$1")" -v b="$(qps_of "$2")" 'BEGIN { if (b > 0) printf "%.2fx (%.0f%%)", a / b, 100 * a / b; else print "-" }'
}

print_table() {
    local row
    printf '\n| %-38s | %9s | %8s | %8s | %6s | %7s | %8s |\n' "server" "QPS" "avg ms" "p99 ms" "lost" "RSS MB" "CPU us/q"
    printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..40})" "-----------" "----------" "----------" "--------" "---------" "----------"
    for row in "${results[@]}"; do
        IFS='|' read -r label qps avg p99 lost rss cpu <<<"$row"
        printf '| %-38s | %9s | %8s | %8s | %6s | %7s | %8s |\n' "$label" "$qps" "$avg" "$p99" "$lost" "$rss" "$cpu"
    done
}

print_context() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')  host: $(nproc) cores, $(awk '/model name/ { $1 = $2 = $3 = ""; print; exit }' /proc/cpuinfo | sed 's/^ *//')"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)  dnsperf: $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }')  knotd: $(knotd -V | awk '{ print $NF }')  dotnet: $(dotnet --version)  meshdns: $(git -C "$repo" rev-parse --short HEAD)"
    echo "dnsperf flags: $DNSPERF_FLAGS, $DURATION s timed (+ $WARMUP s warm-up, + $P99_DURATION s with -v for p99)"
}

# start_unbound LABEL PORT UPSTREAM_PORT ZONE: unbound (one thread, cache on, no validation) forwarding ZONE to
# 127.0.0.1:UPSTREAM_PORT, the caching forwarder people put in front of an authoritative server; sets SERVER_PID.
start_unbound() {
    local label=$1 port=$2 upstream=$3 zone=$4 dir=$work/unbound-$1
    mkdir -p "$dir"
    cat >"$dir/unbound.conf" <<EOF2
server:
    interface: 127.0.0.1@$port
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    local-zone: "${zone#*.}." nodefault
    domain-insecure: "$zone."
forward-zone:
    name: "$zone."
    forward-addr: 127.0.0.1@$upstream
remote-control:
    control-enable: no
EOF2
    unbound -c "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 &
    SERVER_PID=$!
    pids+=("$SERVER_PID")
    wait_dns "$port" "host1.$zone" || { tail -n 5 "$dir/unbound.log" >&2; die "unbound ($label) did not start"; }
}
