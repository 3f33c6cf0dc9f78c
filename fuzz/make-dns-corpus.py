#!/usr/bin/env python3
"""Writes fuzz/corpus/dns_answers/seed-*: real answers of Debian's dnsmasq (on 127.0.0.1, a
high port, names of the documentation ranges), each twice: as a DNS message (first byte 1: the
harness wraps it in IPv4+UDP) and as a whole IPv4 or IPv6 packet from port 53 (first byte 0).
Run it again after changing the names: fuzz/make-dns-corpus.py"""
import os, random, shutil, socket, struct, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "dns_answers")
port = 5399
dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"

def query(name, qtype, qid):
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + struct.pack(">HH", qtype, 1)

def ipv4(payload, dst="10.0.0.11"):
    udp = struct.pack(">HHHH", 53, 40000, 8 + len(payload), 0) + payload
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         socket.inet_aton("10.0.0.1"), socket.inet_aton(dst))
    return header + udp

def ipv6(payload, dst="2001:db8:1::11"):
    udp = struct.pack(">HHHH", 53, 40000, 8 + len(payload), 0) + payload
    return (struct.pack(">IHBB", 0x60000000, len(udp), 17, 64) + socket.inet_pton(socket.AF_INET6, "2001:db8:1::1")
            + socket.inet_pton(socket.AF_INET6, dst) + udp)

def main():
    with tempfile.TemporaryDirectory() as work:
        args = [dnsmasq, "--no-daemon", "--conf-file=/dev/null", f"--port={port}", "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--local=/example.test/", "--local=/example.net/",
                f"--pid-file={work}/pid", "--host-record=www.example.test,192.0.2.10,2001:db8::10",
                "--host-record=edge.example.net,192.0.2.20,2001:db8::20",
                "--host-record=video.example.net,198.51.100.7,198.51.100.8",
                "--cname=cdn.example.test,edge.example.net", "--cname=media.example.test,cdn.example.test",
                "--txt-record=txt.example.test,hello", "--mx-host=example.test,www.example.test,10"]
        server = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(2)
            asks = [("www.example.test", 1), ("www.example.test", 28), ("cdn.example.test", 1),
                    ("media.example.test", 1), ("media.example.test", 28), ("video.example.net", 1),
                    ("missing.example.test", 1), ("txt.example.test", 16), ("example.test", 15),
                    ("WWW.Example.Test", 1), ("www.example.test", 255)]
            os.makedirs(out, exist_ok=True)
            for old in os.listdir(out):
                if old.startswith("seed-"):
                    os.remove(os.path.join(out, old))
            for i, (name, qtype) in enumerate(asks):
                sock.sendto(query(name, qtype, 0x1000 + i), ("127.0.0.1", port))
                answer, _ = sock.recvfrom(65535)
                stem = f"seed-{name.lower().replace('.', '_')}-{qtype}"
                with open(os.path.join(out, stem + "-dns"), "wb") as f:
                    f.write(b"\1" + answer)
                packet = ipv6(answer) if qtype == 28 else ipv4(answer)
                with open(os.path.join(out, stem + "-ip"), "wb") as f:
                    f.write(b"\0" + packet)
        finally:
            server.terminate()
            server.wait()
    print(f"wrote {len(os.listdir(out))} files to {out}")

if __name__ == "__main__":
    sys.exit(main())
