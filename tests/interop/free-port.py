#!/usr/bin/env python3
"""Prints a port free for both UDP and TCP on 127.0.0.1 (bind both, release both; good enough on a quiet box).

Used by the interop scripts and bench/load, which start servers (MeshDns, knotd, unbound) on ports they choose.
"""
import socket

while True:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        udp.close()
        tcp.close()
    print(port)
    break
