#!/usr/bin/env bash
# The forwarding path under load: dnsperf against MeshDns's forward plugin (cache off, then cache on) in front of
# Knot DNS, against unbound doing the same job, and against Knot directly (the upstream's own ceiling on this box).
# Knot, the forwarder and dnsperf share the machine, so "forward, no cache" measures the whole relay: two servers
# and a client on the same cores.
#
#   bench/load/forward.sh                                  # defaults: 15 s per configuration, about 2 minutes
#   DURATION=30 CONFIGS="direct cached" bench/load/forward.sh
#
# Environment: as run.sh; CONFIGS is any of: direct uncached cached unbound.
. "$(dirname "$0")/lib.sh"

require_tools dnsperf knotd unbound dig python3 dotnet awk
NAMES=${NAMES:-10000}
CONFIGS=${CONFIGS:-direct uncached cached unbound}
ZONE=bench.test

build_meshdns
gen_names "$NAMES" "$ZONE"
print_context
echo "data: $NAMES names host0..host$((NAMES - 1)).$ZONE served by knotd (1 UDP worker); queries cycle through them shuffled"

upstream=$(free_port)
start_knot upstream "$upstream" 1 "$ZONE"
knot_pid=$SERVER_PID

forward_corefile() {
    cat <<EOF2
$ZONE:$1 {
    bind 127.0.0.1
    $2
    forward . 127.0.0.1:$upstream
}
EOF2
}

declare -A LABELS=(
    [direct]="knot directly (no forwarder)"
    [uncached]="meshdns forward, no cache"
    [cached]="meshdns cache 30 + forward"
    [unbound]="unbound forward-zone (cache)"
)

for config in $CONFIGS; do
    [[ -n ${LABELS[$config]:-} ]] || die "unknown configuration '$config' (known: ${!LABELS[*]})"
    case $config in
        direct)
            measure "${LABELS[$config]}" "$knot_pid" "$upstream"
            continue
            ;;
        uncached)
            port=$(free_port)
            start_meshdns "$config" "$(forward_corefile "$port" "")" "host1.$ZONE" "$port"
            ;;
        cached)
            port=$(free_port)
            start_meshdns "$config" "$(forward_corefile "$port" "cache 30")" "host1.$ZONE" "$port"
            ;;
        unbound)
            port=$(free_port)
            start_unbound "$config" "$port" "$upstream" "$ZONE"
            ;;
    esac
    measure "${LABELS[$config]}" "$SERVER_PID" "$port"
    stop_server "$SERVER_PID"
done

print_table
echo
for pair in "uncached direct" "cached direct" "cached unbound"; do
    read -r a b <<<"$pair"
    if [[ " $CONFIGS " == *" $a "* && " $CONFIGS " == *" $b "* ]]; then
        printf '%-34s / %-30s QPS %s\n' "${LABELS[$a]}" "${LABELS[$b]}" "$(ratio "${LABELS[$a]}" "${LABELS[$b]}")"
    fi
done
