#!/usr/bin/env bash
# Issue 4 interop: Corefile.sample (two demo regions from deploy/demo, and their clusterset) served by MeshDns and asked by real clients:
# dig and kdig for every record kind, over UDP and TCP; a manifest edit followed within seconds; and unbound
# (Debian) with a stub-zone pointing at MeshDns resolving regional names through it, as a cluster's resolver would.
. "$(dirname "$0")/../lib.sh"

for tool in dig kdig unbound curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAIL kubernetes: $tool not found (Debian: bind9-dnsutils knot-dnsutils unbound curl)"; exit 1; }
done

port=$(free_port); health=$(free_port); ready=$(free_port); metrics=$(free_port); uport=$(free_port)

# Corefile.sample as shipped, on free ports, next to a copy of deploy/demo (its manifests paths are relative to it).
mkdir -p "$work/deploy"
cp -r "$repo/deploy/demo" "$work/deploy/demo"
sed -e "s/^\.:1053 {/.:$port {/" -e "s/127.0.0.1:8080/127.0.0.1:$health/" -e "s/127.0.0.1:8181/127.0.0.1:$ready/" \
    -e "s/127.0.0.1:9153/127.0.0.1:$metrics/" "$repo/Corefile.sample" >"$work/Corefile.sample"
grep -q "manifests deploy/demo/aws-euwest1" "$work/Corefile.sample" || { echo "FAIL kubernetes: Corefile.sample changed shape"; exit 1; }
start_meshdns "$work/Corefile.sample" >/dev/null
if ! wait_dns "$port" 60; then
  fail "kubernetes: meshdns did not start"; tail -20 "$work/meshdns.log"; exit 1
fi

A=aws-euwest1.local
G=gcp-europe-west4-c.local
q() { dig +time=2 +tries=2 @127.0.0.1 -p "$port" "$@"; }
short() { q +short "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

check "kubernetes: ClusterIP A" test "$(short web.shop.svc.$A A)" = "10.100.10.10"
check "kubernetes: ClusterIP AAAA (dual-stack)" test "$(short web.shop.svc.$G AAAA)" = "fd00:101::a"
check "kubernetes: answer is authoritative" bash -c "dig +time=2 @127.0.0.1 -p $port web.shop.svc.$A A | grep -q 'flags: qr aa'"
check "kubernetes: headless A, every member" test "$(short cassandra.db.svc.$A A)" = "10.200.20.21 10.200.20.22 10.200.20.23"
check "kubernetes: StatefulSet member by its hostname" test "$(short cassandra-1.cassandra.db.svc.$G AAAA)" = "fd00:201::20:22"
check "kubernetes: SRV _cql._tcp, three targets" test "$(short _cql._tcp.cassandra.db.svc.$A SRV | tr ' ' '\n' | grep -c '^cassandra-.\.cassandra\.db\.svc\.aws-euwest1\.local\.$')" = 3
check "kubernetes: SRV glue in the additional section" bash -c "[ \$(dig +time=2 +noall +additional @127.0.0.1 -p $port _cql._tcp.cassandra.db.svc.$A SRV | grep -Ec '^cassandra-[0-2]\.cassandra\.db\.svc\.aws-euwest1\.local\..*(A|AAAA)') -eq 6 ]"
check "kubernetes: SRV of a ClusterIP port" bash -c "dig +short +time=2 @127.0.0.1 -p $port _https._tcp.web.shop.svc.$A SRV | grep -qx '0 50 443 web.shop.svc.aws-euwest1.local.'"  # two cluster IPs: weight 100/2
check "kubernetes: SRV of every port of a service" test "$(short web.shop.svc.$A SRV | wc -w)" = 12
check "kubernetes: unknown port NXDOMAIN" bash -c "dig +time=2 @127.0.0.1 -p $port _smtp._tcp.web.shop.svc.$A SRV | grep -q 'status: NXDOMAIN'"
check "kubernetes: ExternalName CNAME" bash -c "dig +time=2 +noall +answer @127.0.0.1 -p $port payments.shop.svc.$A CNAME | grep -q 'CNAME.*payments.example.com.'"
check "kubernetes: ExternalName into the other region followed" test "$(short cassandra-gcp.db.svc.$A A)" = "10.201.20.21 10.201.20.22 10.201.20.23 cassandra.db.svc.gcp-europe-west4-c.local."
check "kubernetes: PTR of a cluster IP" test "$(short -x 10.100.10.10)" = "web.shop.svc.aws-euwest1.local."
check "kubernetes: PTR of an endpoint" test "$(short -x 10.201.20.23)" = "cassandra-2.cassandra.db.svc.gcp-europe-west4-c.local."
check "kubernetes: pod record (pods verified)" test "$(short 10-200-10-12.shop.pod.$A A)" = "10.200.10.12"
check "kubernetes: dns-version TXT" test "$(short dns-version.$A TXT)" = '"1.1.0"'
check "kubernetes: SOA at the apex" bash -c "dig +short +time=2 @127.0.0.1 -p $port $G SOA | grep -Eq '^ns\.dns\.gcp-europe-west4-c\.local\. hostmaster\.gcp-europe-west4-c\.local\. [0-9]+ 7200 1800 86400 5$'"
check "kubernetes: NXDOMAIN with the SOA" bash -c "dig +time=2 @127.0.0.1 -p $port nope.shop.svc.$A A | grep -q 'status: NXDOMAIN' && dig +time=2 +noall +authority @127.0.0.1 -p $port nope.shop.svc.$A A | grep -q 'SOA'"
check "kubernetes: NODATA for an existing namespace" bash -c "dig +time=2 @127.0.0.1 -p $port shop.svc.$A A | grep -q 'status: NOERROR.*' && [ -z \"\$(dig +short +time=2 @127.0.0.1 -p $port shop.svc.$A A)\" ]"
check "kubernetes: client's spelling echoed" bash -c "dig +time=2 +noall +answer @127.0.0.1 -p $port WeB.ShOp.svc.AWS-euwest1.local A | grep -q '^WeB\.ShOp\.svc\.AWS-euwest1\.local\.'"
check "kubernetes: kdig over TCP" bash -c "kdig +short +tcp +time=2 @127.0.0.1 -p $port cassandra-0.cassandra.db.svc.$A A | grep -qx 10.200.20.21"
check "kubernetes: kdig SRV over UDP" bash -c "[ \$(kdig +short +notcp +time=2 @127.0.0.1 -p $port _cql._tcp.cassandra.db.svc.$G SRV | wc -l) -eq 3 ]"
check "kubernetes: /ready once both regions synced" bash -c "curl -fsS --max-time 5 http://127.0.0.1:$ready/ready | grep -qx OK"
check "kubernetes: per-cluster metrics" bash -c "curl -fsS --max-time 5 http://127.0.0.1:$metrics/metrics | grep -q 'meshdns_kubernetes_synced{cluster=\"gcp-europe-west4-c\"} 1'"

# The clusterset of Corefile.sample: cassandra exported from both regions (Cilium annotation in aws, MCS ServiceExport in gcp).
C=clusterset.local
check "clusterset: merged A from both regions" test "$(short cassandra.db.svc.$C A)" = "10.200.20.21 10.200.20.22 10.200.20.23 10.201.20.21 10.201.20.22 10.201.20.23"
check "clusterset: SRV targets host.clusterid names" test "$(short _cql._tcp.cassandra.db.svc.$C SRV | tr ' ' '\n' | grep -Ec '^cassandra-[0-2]\.(aws-euwest1|gcp-europe-west4-c)\.cassandra\.db\.svc\.clusterset\.local\.$')" = 6
check "clusterset: endpoint by hostname and cluster id (AAAA)" test "$(short cassandra-1.gcp-europe-west4-c.cassandra.db.svc.$C AAAA)" = "fd00:201::20:22"
check "clusterset: clusterid.svc name is NXDOMAIN (MCS)" bash -c "dig +time=2 @127.0.0.1 -p $port aws-euwest1.cassandra.db.svc.$C A | grep -q 'status: NXDOMAIN'"
check "clusterset: a service not exported is NXDOMAIN" bash -c "dig +time=2 @127.0.0.1 -p $port web.shop.svc.$C A | grep -q 'status: NXDOMAIN'"
check "clusterset: kdig over TCP, authoritative" bash -c "kdig +tcp +time=2 @127.0.0.1 -p $port cassandra.db.svc.$C A | grep -qi 'flags: qr aa'"
check "clusterset: member staleness metric" bash -c "curl -fsS --max-time 5 http://127.0.0.1:$metrics/metrics | grep -q 'meshdns_clusterset_member_stale{member=\"aws-euwest1\",zone=\"clusterset.local.\"} 0'"

# A fourth Cassandra member appears in a manifest: the SRV answer follows (bounded wait, no fixed sleep).
python3 - "$work/deploy/demo/aws-euwest1/db-cassandra.yaml" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
member = """- addresses:
  - "10.200.20.24"
  conditions:
    ready: true
  hostname: cassandra-3
"""
text = text.replace("addressType: IPv4\nendpoints:\n", "addressType: IPv4\nendpoints:\n" + member, 1)
open(path, "w").write(text)
PY
scaled=""
for _ in $(seq 1 100); do
  if [ "$(short _cql._tcp.cassandra.db.svc.$A SRV | tr ' ' '\n' | grep -c 'cassandra-3')" = 1 ]; then scaled=yes; break; fi
  sleep 0.1
done
check "kubernetes: manifest edit followed (4th member in SRV)" test "$scaled" = yes
check "kubernetes: new member resolves" test "$(short cassandra-3.cassandra.db.svc.$A A)" = "10.200.20.24"
check "clusterset: the new member joins the merged answer" test "$(short cassandra-3.aws-euwest1.cassandra.db.svc.$C A)" = "10.200.20.24"

# unbound as a cluster's resolver: a stub zone per region pointing at MeshDns.
mkdir -p "$work/unbound"
cat >"$work/unbound/unbound.conf" <<CONF
server:
    interface: 127.0.0.1@$uport
    port: $uport
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$work/unbound"
    pidfile: "$work/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    do-not-query-localhost: no
    module-config: "iterator"
    domain-insecure: "$A"
    domain-insecure: "$G"
    local-zone: "local." transparent
    access-control: 127.0.0.0/8 allow
    qname-minimisation: no
stub-zone:
    name: "$A"
    stub-addr: 127.0.0.1@$port
stub-zone:
    name: "$G"
    stub-addr: 127.0.0.1@$port
remote-control:
    control-enable: no
CONF
unbound -c "$work/unbound/unbound.conf" >"$work/unbound.log" 2>&1 &
pids+=($!)
if wait_dns "$uport" 30; then
  uq() { dig +short +time=3 +tries=2 @127.0.0.1 -p "$uport" "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
  check "kubernetes: unbound resolves a regional name through MeshDns" test "$(uq web.shop.svc.$A A)" = "10.100.10.10"
  check "kubernetes: unbound resolves the other region's StatefulSet SRV" test "$(uq _cql._tcp.cassandra.db.svc.$G SRV | wc -w)" = 12
  check "kubernetes: unbound follows the cross-region ExternalName" bash -c "dig +short +time=3 @127.0.0.1 -p $uport cassandra-gcp.db.svc.$A A | grep -qx 10.201.20.21"
  check "kubernetes: unbound passes NXDOMAIN on" bash -c "dig +time=3 @127.0.0.1 -p $uport nope.shop.svc.$A A | grep -q 'status: NXDOMAIN'"
else
  fail "kubernetes: unbound did not start"; tail -20 "$work/unbound.log"
fi

[ "$failures" -eq 0 ] || { echo "--- meshdns log (tail)"; tail -20 "$work/meshdns.log"; }
finish
