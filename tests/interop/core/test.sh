#!/usr/bin/env bash
# Issue 2 interop: dig and kdig (real clients) against MeshDns: answers over UDP and TCP, the client's spelling
# echoed, truncation with TC and the automatic retry over TCP, EDNS sizes and BADVERS, REFUSED/NOTIMP.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
{
  echo "example.org:$port {"
  echo "    bind 127.0.0.1"
  echo "    hosts {"
  echo "        10.0.0.1 web.example.org"
  echo "        fd00::1 web.example.org"
  for i in $(seq 1 120); do echo "        10.1.$((i / 250)).$((i % 250)) big.example.org"; done
  echo "    }"
  echo "}"
} >"$work/Corefile"
start_meshdns "$work/Corefile" >/dev/null
if ! wait_dns "$port" 60; then
  fail "core: server did not start"; cat "$work/meshdns.log"; exit 1
fi

q() { dig +time=2 +tries=1 @127.0.0.1 -p "$port" "$@"; }
kq() { kdig +time=2 +retry=0 @127.0.0.1 -p "$port" "$@"; }

check "core: dig A over UDP" bash -c "[ \"\$(dig +short +time=2 @127.0.0.1 -p $port web.example.org A)\" = 10.0.0.1 ]"
check "core: dig AAAA over TCP" bash -c "[ \"\$(dig +short +tcp +time=2 @127.0.0.1 -p $port web.example.org AAAA)\" = fd00::1 ]"
check "core: kdig A over TCP" bash -c "kdig +short +tcp +time=2 @127.0.0.1 -p $port web.example.org A | grep -qx 10.0.0.1"
check "core: aa flag set" bash -c "dig +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'flags: qr aa'"
check "core: 0x20 spelling echoed" bash -c "dig +time=2 @127.0.0.1 -p $port WeB.ExAmPlE.OrG A | grep -E '^WeB\.ExAmPlE\.OrG\.\s' | grep -q 10.0.0.1"
check "core: NODATA for another type" bash -c "dig +time=2 @127.0.0.1 -p $port web.example.org MX | grep -q 'status: NOERROR.*' && [ -z \"\$(dig +short +time=2 @127.0.0.1 -p $port web.example.org MX)\" ]"
check "core: NXDOMAIN for an unknown name" bash -c "dig +time=2 @127.0.0.1 -p $port nope.example.org A | grep -q 'status: NXDOMAIN'"
check "core: REFUSED outside the served zones" bash -c "dig +time=2 @127.0.0.1 -p $port example.net A | grep -q 'status: REFUSED'"
check "core: truncated over UDP without EDNS (TC, no partial RRset)" bash -c "dig +ignore +noedns +time=2 @127.0.0.1 -p $port big.example.org A | grep -Eq 'flags: qr aa tc( rd)?; QUERY: 1, ANSWER: 0'"
check "core: UDP reply without EDNS fits 512 octets" bash -c "dig +ignore +noedns +time=2 @127.0.0.1 -p $port big.example.org A | grep -E 'MSG SIZE +rcvd: [0-9]+' | awk '{print \$NF}' | xargs -I{} test {} -le 512"
check "core: dig retries over TCP after TC and gets all 120" bash -c "[ \$(dig +short +time=2 @127.0.0.1 -p $port big.example.org A | wc -l) -eq 120 ]"
check "core: kdig sees TC over UDP" bash -c "kdig +notcp +time=2 +retry=0 +noedns @127.0.0.1 -p $port big.example.org A | grep -Eq 'Flags: qr aa tc( rd)?; QUERY: 1; ANSWER: 0'"
check "core: EDNS answer advertises 1232" bash -c "dig +bufsize=4096 +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'udp: 1232'"
check "core: EDNS 1232 reply stays within 1232 octets" bash -c "dig +ignore +bufsize=4096 +time=2 @127.0.0.1 -p $port big.example.org A | grep -E 'MSG SIZE +rcvd: [0-9]+' | awk '{print \$NF}' | xargs -I{} test {} -le 1232"
check "core: EDNS version 1 gets BADVERS" bash -c "dig +edns=1 +noednsnegotiation +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'status: BADVERS'"
check "core: opcode STATUS gets NOTIMP" bash -c "dig +opcode=2 +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'status: NOTIMP'"
check "core: DO bit echoed" bash -c "dig +dnssec +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'flags: do;'"
check "core: kdig EDNS + TCP" bash -c "kdig +edns +tcp +time=2 @127.0.0.1 -p $port web.example.org A | grep -q 'Version: 0; flags: ; UDP size: 1232'"
finish
