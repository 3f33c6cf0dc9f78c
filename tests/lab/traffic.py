#!/usr/bin/env python3
"""Traffic for the namespace lab: servers on the WAN host, clients on LAN hosts.

Only the standard library, so that a fresh Debian machine runs it as is.

  traffic.py serve ADDR [ADDR...]            TCP and UDP servers on every ADDR (ports below)
  traffic.py tcp  DST PORT UP DOWN [HOLD]    send UP bytes, receive DOWN bytes, keep open HOLD s
  traffic.py udp  DST PORT UP DOWN [COUNT]   COUNT datagrams of UP bytes, each answered by DOWN bytes
  traffic.py udplite DST PORT UP             one UDP-Lite datagram (kernel UDP-Lite socket)
  traffic.py raw  DST PROTO UP [COUNT]       raw IP datagrams of protocol PROTO (gre=47, sctp=132, ...)
  traffic.py burst DST PORT N                N short UDP flows from distinct source ports, fast
  traffic.py download DST PORT RATE          one long download read at RATE bytes/s, until killed
  traffic.py mix PREFIX [PREFIX...]          a household's traffic, until killed: short fetches
                                             and UDP queries to random hosts of the prefixes

ADDR 0.0.0.0 or :: serves every local address (with `ip route add local PREFIX dev lo`).

The TCP protocol: the client sends "UP DOWN\\n" then UP bytes; the server reads them and sends
DOWN bytes, then waits for the client to close. UDP: the server answers every datagram whose
first line is "DOWN\\n" with DOWN bytes.
"""
import os
import socket
import struct
import sys
import threading
import time

TCP_PORTS = (80, 443, 8080)
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's values; Python does not name them
IPV6_FREEBIND = 78
UDP_PORTS = (53, 123, 4500)
CHUNK = 65536


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def read_exact(conn, count):
    got = 0
    while got < count:
        data = conn.recv(min(CHUNK, count - got))
        if not data:
            break
        got += len(data)
    return got


def send_count(conn, count):
    block = b"x" * CHUNK
    while count > 0:
        n = conn.send(block[: min(CHUNK, count)])
        count -= n


def tcp_session(conn):
    with conn:
        header = b""
        while not header.endswith(b"\n"):
            byte = conn.recv(1)
            if not byte:
                return
            header += byte
        up, down = (int(v) for v in header.split())
        read_exact(conn, up)
        send_count(conn, down)
        while conn.recv(CHUNK):
            pass


def server_socket(addr, kind, proto=0):
    srv = socket.socket(family_of(addr), kind, proto)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(addr) == socket.AF_INET6:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # :: beside 0.0.0.0
    return srv


def tcp_server(addr, port):
    srv = server_socket(addr, socket.SOCK_STREAM)
    srv.bind((addr, port))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=tcp_session, args=(conn,), daemon=True).start()


def udp_server(addr, port, proto=0):
    srv = server_socket(addr, socket.SOCK_DGRAM, proto)
    srv.bind((addr, port))
    # On a wildcard address, answer from the address the datagram went to (IP_PKTINFO), as a
    # real server on that host would: else the reply leaves from the host's primary address
    # and conntrack never pairs it with the request.
    v6 = family_of(addr) == socket.AF_INET6
    if v6:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        srv.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)  # to send from an AnyIP address
    else:
        srv.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    while True:
        data, ancillary, _, peer = srv.recvmsg(CHUNK, socket.CMSG_SPACE(64))
        line = data.split(b"\n", 1)[0]
        try:
            down = int(line)
        except ValueError:
            continue
        if down <= 0:
            continue
        reply_from = []
        for level, kind, value in ancillary:
            if v6 and level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
                reply_from = [(level, kind, value[:16] + struct.pack("=I", 0))]
            elif not v6 and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                reply_from = [(level, kind, struct.pack("=I", 0) + value[8:12] + bytes(4))]
        srv.sendmsg([b"y" * down], reply_from, 0, peer)


def serve(addrs):
    threads = []
    for addr in addrs:
        for port in TCP_PORTS:
            threads.append(threading.Thread(target=tcp_server, args=(addr, port), daemon=True))
        for port in UDP_PORTS:
            threads.append(threading.Thread(target=udp_server, args=(addr, port), daemon=True))
    for t in threads:
        t.start()
    print("serving", " ".join(addrs), flush=True)
    while True:
        time.sleep(3600)


def tcp_client(dst, port, up, down, hold):
    with socket.create_connection((dst, port), timeout=10) as conn:
        conn.sendall(f"{up} {down}\n".encode())
        send_count(conn, up)
        got = read_exact(conn, down)
        if got != down:
            sys.exit(f"tcp {dst}:{port}: received {got} of {down} bytes")
        time.sleep(hold)


def udp_client(dst, port, up, down, count, proto=0):
    sock = socket.socket(family_of(dst), socket.SOCK_DGRAM, proto)
    sock.settimeout(2)
    header = f"{down}\n".encode()
    payload = header + b"u" * max(0, up - len(header))
    for _ in range(count):
        sock.sendto(payload, (dst, port))
        if down > 0:
            try:
                sock.recvfrom(CHUNK)
            except socket.timeout:
                pass
    sock.close()


def raw_client(dst, proto, up, count):
    sock = socket.socket(family_of(dst), socket.SOCK_RAW, proto)
    payload = raw_payload(proto, up)
    for _ in range(count):
        sock.sendto(payload, (dst, 0))
    sock.close()


def raw_payload(proto, size):
    if proto == 47:  # GRE: no flags, protocol 0x0800 (IPv4), as a tunnel would send
        return struct.pack("!HH", 0, 0x0800) + b"g" * max(0, size - 4)
    if proto == 132:  # SCTP INIT chunk; the lab turns conntrack checksum checks off
        init = struct.pack("!BBHIIHHI", 1, 0, 20, 0x1234567, 65535, 10, 10, 0x7654321)
        return struct.pack("!HHII", 40000, 5000, 0, 0) + init
    return b"r" * size


def burst(dst, port, count):
    socks = []
    for _ in range(count):
        sock = socket.socket(family_of(dst), socket.SOCK_DGRAM)
        sock.sendto(b"0\n", (dst, port))
        socks.append(sock)
        if len(socks) >= 512:
            for s in socks:
                s.close()
            socks = []
    for s in socks:
        s.close()


def download(dst, port, rate):
    with socket.create_connection((dst, port), timeout=10) as conn:
        conn.sendall(b"0 1000000000000\n")
        chunk = max(1024, rate // 10)
        while True:
            started = time.monotonic()
            if read_exact(conn, chunk) < chunk:
                return
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))


def mix(prefixes):
    import ipaddress
    import random
    networks = [ipaddress.ip_network(p) for p in prefixes]
    while True:
        network = random.choice(networks)
        # Most traffic goes to a few popular hosts, some to hosts never seen before.
        span = min(network.num_addresses - 2, 250)
        index = 1 + (int(random.paretovariate(1.2)) % span if random.random() < 0.8 else random.randrange(span))
        host = str(network.network_address + index)
        try:
            if random.random() < 0.6:
                tcp_client(host, random.choice(TCP_PORTS), random.randint(200, 3000),
                           random.choice([2000, 15000, 80000, 400000]), random.uniform(0, 4))
            else:
                udp_client(host, random.choice(UDP_PORTS), random.randint(40, 120), random.randint(60, 500),
                           random.randint(1, 3))
        except OSError:
            pass
        time.sleep(random.uniform(0.2, 1.5))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(args)
    elif cmd == "tcp":
        tcp_client(args[0], int(args[1]), int(args[2]), int(args[3]), float(args[4]) if len(args) > 4 else 0)
    elif cmd == "udp":
        udp_client(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]) if len(args) > 4 else 1)
    elif cmd == "udplite":
        udp_client(args[0], int(args[1]), int(args[2]), 0, 1, socket.IPPROTO_UDPLITE)
    elif cmd == "raw":
        raw_client(args[0], int(args[1]), int(args[2]), int(args[3]) if len(args) > 3 else 1)
    elif cmd == "burst":
        burst(args[0], int(args[1]), int(args[2]))
    elif cmd == "download":
        download(args[0], int(args[1]), int(args[2]))
    elif cmd == "mix":
        mix(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(sys.argv)
