#!/usr/bin/env bash
# dnsperf against MeshDns (hosts plugin, 10,000 names) and Knot DNS (the same names as a zone), one server at a time,
# same dnsperf flags for all. Prints QPS, average and p99 latency, RSS and server CPU per query, and the ratios.
# Exits non-zero only when something cannot be set up; slow results are results.
#
#   bench/load/run.sh                                    # defaults: 15 s per server, about 2.5 minutes in all
#   DURATION=30 CONFIGS="knot1 minimal" bench/load/run.sh
#
# "kubernetes" is the product's own path: the kubernetes plugin answering 10,000 ClusterIP services (read from
# manifests, so no API server is needed), 90% A and 10% SRV queries, behind errors, prometheus and cache.
#
# Environment: DURATION (s, timed pass), WARMUP (s), P99_DURATION (s, the -v pass), NAMES (10000),
# DNSPERF_FLAGS ("-c 1 -T 1 -q 200"), CONFIGS (any of: knot1 knot2 minimal realistic minimal1 realistic1 kubernetes),
# NO_BUILD=1 (use the existing Release build), KEEP=1 (keep the temp dir with configs and dnsperf output).
. "$(dirname "$0")/lib.sh"

require_tools dnsperf knotd dig python3 dotnet awk
NAMES=${NAMES:-10000}
CONFIGS=${CONFIGS:-knot1 minimal realistic kubernetes knot2 minimal1}
ZONE=bench.test

build_meshdns
gen_names "$NAMES" "$ZONE"
[[ " $CONFIGS " == *" kubernetes "* ]] && gen_services "$NAMES" cluster.local
print_context
echo "data: $NAMES names host0..host$((NAMES - 1)).$ZONE, one A record each; queries cycle through them shuffled"

minimal_corefile() {
    cat <<EOF
$ZONE:$1 {
    bind 127.0.0.1
    hosts $work/hosts
}
EOF
}

# What a production Corefile puts around an authoritative plugin: errors, metrics, a cache in front, answer order.
realistic_corefile() {
    cat <<EOF
$ZONE:$1 {
    bind 127.0.0.1
    errors
    prometheus 127.0.0.1:$2
    cache 30
    hosts $work/hosts
    loadbalance
}
EOF
}

kubernetes_corefile() {
    cat <<EOF
cluster.local:$1 {
    bind 127.0.0.1
    errors
    prometheus 127.0.0.1:$2
    cache 30
    kubernetes cluster.local {
        manifests $work/manifests
    }
}
EOF
}

declare -A LABELS=(
    [knot1]="knot, 1 UDP worker"
    [knot2]="knot, 2 UDP workers"
    [minimal]="meshdns minimal, $(nproc) loops (default)"
    [realistic]="meshdns realistic, $(nproc) loops (default)"
    [minimal1]="meshdns minimal, 1 loop"
    [realistic1]="meshdns realistic, 1 loop"
    [kubernetes]="meshdns kubernetes, 10k services"
)

for config in $CONFIGS; do
    [[ -n ${LABELS[$config]:-} ]] || die "unknown configuration '$config' (known: ${!LABELS[*]})"
    port=$(free_port)
    case $config in
        knot1) start_knot "$config" "$port" 1 "$ZONE" ;;
        knot2) start_knot "$config" "$port" 2 "$ZONE" ;;
        minimal) start_meshdns "$config" "$(minimal_corefile "$port")" "host1.$ZONE" "$port" ;;
        realistic) start_meshdns "$config" "$(realistic_corefile "$port" "$(free_port)")" "host1.$ZONE" "$port" ;;
        # The loop count is one per processor; DOTNET_PROCESSOR_COUNT is how the runtime is told to see fewer.
        minimal1) start_meshdns "$config" "$(minimal_corefile "$port")" "host1.$ZONE" "$port" DOTNET_PROCESSOR_COUNT=1 ;;
        realistic1) start_meshdns "$config" "$(realistic_corefile "$port" "$(free_port)")" "host1.$ZONE" "$port" DOTNET_PROCESSOR_COUNT=1 ;;
        kubernetes) start_meshdns "$config" "$(kubernetes_corefile "$port" "$(free_port)")" "svc1.bench.svc.cluster.local" "$port" ;;
    esac
    queries=$work/queries
    [[ $config == kubernetes ]] && queries=$work/k8s-queries
    measure "${LABELS[$config]}" "$SERVER_PID" "$port" "$queries"
    stop_server "$SERVER_PID"
done

print_table
echo
for pair in "minimal knot1" "realistic knot1" "kubernetes knot1" "minimal1 knot1" "realistic1 knot1" "minimal knot2" "realistic knot2"; do
    read -r a b <<<"$pair"
    if [[ " $CONFIGS " == *" $a "* && " $CONFIGS " == *" $b "* ]]; then
        printf '%-40s / %-22s QPS %s\n' "${LABELS[$a]}" "${LABELS[$b]}" "$(ratio "${LABELS[$a]}" "${LABELS[$b]}")"
    fi
done
