#!/usr/bin/env python3
"""Makes the seed corpora of fuzz/corpus/<target>/ from the real captures.

    fuzz/make-corpus.py

- parser: lines of tests/fixtures/conntrack/*.txt (captured from a real kernel by
  tests/lab/capture-fixtures.sh), one per kind of line (file, event, protocol, state, flags), the
  malformed lines of router_mixed.txt, and two whole small captures.
- netlink: the same entries as the kernel's ctnetlink sends them (dump replies, NEW, UPDATE and
  DESTROY events, one datagram holding a whole dump and its NLMSG_DONE), encoded from the lines
  of router_extended.txt and router_events.txt in the kernel's attribute order
  (ctnetlink_fill_info), with 64-bit counters padded as nla_put_be64 pads them.
- config: config/netmon.yml and variants of each setting.
- request_params, query_string, auth: the query strings and headers of docs/API.md and the tests.

Writes seed-* files only; other files (regress-*: inputs of fixed bugs) are kept. Deterministic:
running it again gives the same files.
"""

import ipaddress
import pathlib
import re
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "conntrack"
CORPUS = ROOT / "fuzz" / "corpus"


def write_corpus(target, seeds):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("seed-*"):
        old.unlink()
    for name, data in seeds:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        (directory / ("seed-" + name)).write_bytes(data)
    print(f"{target}: {len(seeds)} seeds")


# ------------------------------------------------------------------------------------------------
# Conntrack text lines, split into what a ctnetlink message carries.

EVENT_PREFIX = re.compile(r"^\s*(\[\d+\.\d+\]\s*)?(\[(NEW|UPDATE|DESTROY)\]\s*)?")
FAMILIES = {"ipv4": 2, "ipv6": 10}
TCP_STATES = ["NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",
              "TIME_WAIT", "CLOSE", "SYN_SENT2"]
SCTP_STATES = ["NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT",
               "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED"]
DCCP_STATES = ["NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING", "TIMEWAIT",
               "IGNORE", "INVALID"]


def split_line(line):
    """The fields of one line of conntrack -L -o extended or -E -o timestamp,extended."""
    match = EVENT_PREFIX.match(line)
    event = match.group(3) or "DUMP"
    tokens = line[match.end():].split()
    if len(tokens) < 4 or tokens[0] not in FAMILIES:
        return None
    entry = {"event": event, "family": FAMILIES[tokens[0]], "proto": int(tokens[3]),
             "tuples": [{}, {}], "flags": set(), "extra": {}}
    rest = tokens[4:]
    if rest and rest[0].isdigit():
        entry["timeout"] = int(rest.pop(0))
    if rest and "=" not in rest[0] and not rest[0].startswith("["):
        entry["state"] = rest.pop(0)
    tuple_index = -1
    for token in rest:
        if token.startswith("["):
            entry["flags"].add(token.strip("[]"))
            continue
        if "=" not in token:
            continue
        key, value = token.split("=", 1)
        if key == "src":
            tuple_index += 1
        if key in ("src", "dst", "sport", "dport", "type", "code", "packets", "bytes", "srckey",
                   "dstkey") or (key == "id" and "use" not in entry["extra"]):
            if 0 <= tuple_index < 2:
                entry["tuples"][tuple_index][key] = value
        else:
            entry["extra"][key] = value.rstrip(",")
    return entry


# ------------------------------------------------------------------------------------------------
# ctnetlink messages (linux/netfilter/nfnetlink_conntrack.h).

NLA_F_NESTED = 0x8000
NLM_F_MULTI, NLM_F_EXCL, NLM_F_CREATE = 0x2, 0x200, 0x400
NLMSG_DONE = 3
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_DELETE = 0, 2
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO = 1, 2, 3, 4
CTA_TIMEOUT, CTA_MARK, CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY, CTA_USE, CTA_ID = 7, 8, 9, 10, 11, 12
CTA_ZONE = 18
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTO_ICMP_ID, CTA_PROTO_ICMPV6_ID = 4, 7  # then _TYPE and _CODE
CTA_PROTOINFO_TCP, CTA_PROTOINFO_DCCP, CTA_PROTOINFO_SCTP = 1, 2, 3
CTA_COUNTERS_PACKETS, CTA_COUNTERS_BYTES, CTA_COUNTERS_PAD = 1, 2, 5
IPS_SEEN_REPLY, IPS_ASSURED, IPS_CONFIRMED, IPS_SRC_NAT, IPS_DST_NAT = 0x2, 0x4, 0x8, 0x10, 0x20
IPS_SRC_NAT_DONE, IPS_DST_NAT_DONE, IPS_OFFLOAD, IPS_HW_OFFLOAD = 0x80, 0x100, 0x4000, 0x8000


class Attributes:
    """Attributes appended at an offset within a message (for the padding of 64-bit values)."""

    def __init__(self, offset):
        self.offset = offset
        self.data = bytearray()

    def put(self, kind, payload):
        length = 4 + len(payload)
        self.data += struct.pack("=HH", length, kind) + payload
        self.data += b"\0" * (-len(self.data) % 4)

    def put_be64(self, kind, value):
        if (self.offset + len(self.data) + 4) % 8:
            self.put(CTA_COUNTERS_PAD, b"")
        self.put(kind, struct.pack(">Q", value))

    def nest(self, kind, build):
        inner = Attributes(self.offset + len(self.data) + 4)
        build(inner)
        self.put(kind | NLA_F_NESTED, bytes(inner.data))


def put_tuple(attrs, entry, tuple_fields):
    def ip(a):
        v6 = entry["family"] == 10
        for number, key in ((3 if v6 else 1, "src"), (4 if v6 else 2, "dst")):
            a.put(number, ipaddress.ip_address(tuple_fields[key]).packed)

    def proto(a):
        a.put(CTA_PROTO_NUM, struct.pack("B", entry["proto"]))
        if "type" in tuple_fields:
            first = CTA_PROTO_ICMPV6_ID if entry["proto"] == 58 else CTA_PROTO_ICMP_ID
            a.put(first, struct.pack(">H", int(tuple_fields.get("id", 0))))
            a.put(first + 1, struct.pack("B", int(tuple_fields["type"])))
            a.put(first + 2, struct.pack("B", int(tuple_fields["code"])))
        elif "sport" in tuple_fields:
            a.put(CTA_PROTO_SRC_PORT, struct.pack(">H", int(tuple_fields["sport"])))
            a.put(CTA_PROTO_DST_PORT, struct.pack(">H", int(tuple_fields["dport"])))
        elif "srckey" in tuple_fields:  # GRE keys travel in the port attributes
            a.put(CTA_PROTO_SRC_PORT, struct.pack(">H", int(tuple_fields["srckey"], 16) & 0xffff))
            a.put(CTA_PROTO_DST_PORT, struct.pack(">H", int(tuple_fields["dstkey"], 16) & 0xffff))

    attrs.nest(CTA_TUPLE_IP, ip)
    attrs.nest(CTA_TUPLE_PROTO, proto)


def status_of(entry):
    original, reply = entry["tuples"]
    status = IPS_CONFIRMED
    if "UNREPLIED" not in entry["flags"]:
        status |= IPS_SEEN_REPLY
    for flag, bit in (("ASSURED", IPS_ASSURED), ("OFFLOAD", IPS_OFFLOAD), ("HW_OFFLOAD", IPS_HW_OFFLOAD)):
        if flag in entry["flags"]:
            status |= bit
    if original["src"] != reply["dst"]:
        status |= IPS_SRC_NAT | IPS_SRC_NAT_DONE
    if original["dst"] != reply["src"]:
        status |= IPS_DST_NAT | IPS_DST_NAT_DONE
    return status


def message(entry, sequence=0, portid=0):
    header_size = 16 + 4  # nlmsghdr, nfgenmsg
    attrs = Attributes(header_size)
    original, reply = entry["tuples"]
    attrs.nest(CTA_TUPLE_ORIG, lambda a: put_tuple(a, entry, original))
    attrs.nest(CTA_TUPLE_REPLY, lambda a: put_tuple(a, entry, reply))
    if int(entry["extra"].get("zone", 0)):
        attrs.put(CTA_ZONE, struct.pack(">H", int(entry["extra"]["zone"])))
    attrs.put(CTA_STATUS, struct.pack(">I", status_of(entry)))
    if "timeout" in entry and entry["event"] != "DESTROY":
        attrs.put(CTA_TIMEOUT, struct.pack(">I", entry["timeout"]))
    for kind, fields in ((CTA_COUNTERS_ORIG, original), (CTA_COUNTERS_REPLY, reply)):
        if "packets" in fields:
            def counters(a, fields=fields):
                a.put_be64(CTA_COUNTERS_PACKETS, int(fields["packets"]))
                a.put_be64(CTA_COUNTERS_BYTES, int(fields["bytes"]))
            attrs.nest(kind, counters)
    state = entry.get("state")
    if state is not None and entry["proto"] in (6, 132, 33):
        def protoinfo(a):
            if entry["proto"] == 6:
                def tcp(t):
                    t.put(1, struct.pack("B", TCP_STATES.index(state)))
                    t.put(2, struct.pack("B", 7))  # window scale, original and reply
                    t.put(3, struct.pack("B", 7))
                    t.put(4, struct.pack("BB", 0x23, 0))  # nf_ct_tcp_flags {flags, mask}
                    t.put(5, struct.pack("BB", 0x23, 0))
                a.nest(CTA_PROTOINFO_TCP, tcp)
            elif entry["proto"] == 132:
                def sctp(s):
                    s.put(1, struct.pack("B", SCTP_STATES.index(state)))
                    s.put(2, struct.pack(">I", 0x5eed0001))  # verification tags
                    s.put(3, struct.pack(">I", 0x5eed0002))
                a.nest(CTA_PROTOINFO_SCTP, sctp)
            else:
                def dccp(d):
                    d.put(1, struct.pack("B", DCCP_STATES.index(state)))
                    d.put(2, struct.pack("B", 0))
                    d.put_be64(3, 1)
                a.nest(CTA_PROTOINFO_DCCP, dccp)
        attrs.nest(CTA_PROTOINFO, protoinfo)
    if "mark" in entry["extra"] or entry["event"] == "DUMP":
        attrs.put(CTA_MARK, struct.pack(">I", int(entry["extra"].get("mark", 0))))
    attrs.put(CTA_ID, struct.pack(">I", int(entry["extra"].get("id", 0x1f2e3d4c))))
    if entry["event"] == "DUMP":
        attrs.put(CTA_USE, struct.pack(">I", int(entry["extra"].get("use", 1))))

    if entry["event"] == "DESTROY":
        kind, flags = IPCTNL_MSG_CT_DELETE, 0
    elif entry["event"] == "NEW":
        kind, flags = IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL
    elif entry["event"] == "UPDATE":
        kind, flags = IPCTNL_MSG_CT_NEW, 0
    else:
        kind, flags = IPCTNL_MSG_CT_NEW, NLM_F_MULTI
    length = header_size + len(attrs.data)
    return (struct.pack("=IHHII", length, NFNL_SUBSYS_CTNETLINK << 8 | kind, flags, sequence, portid) +
            struct.pack("=BBH", entry["family"], 0, 0) + bytes(attrs.data))


def done(sequence, portid):
    return struct.pack("=IHHIIi", 20, NLMSG_DONE, NLM_F_MULTI, sequence, portid, 0)


# ------------------------------------------------------------------------------------------------

def fixture_lines(name):
    return read_fixture(FIXTURES / name).splitlines()


def read_fixture(path):
    # Some captures hold bytes that are not UTF-8 on purpose: kept as they are.
    return path.read_text(errors="surrogateescape")


def kind_of_line(line):
    """What makes a line different for the parser: event, family, protocol, state, flags, keys."""
    tokens = EVENT_PREFIX.sub(lambda m: (m.group(3) or "") + " ", line).split()
    words = [t for t in tokens if not any(c.isdigit() for c in t) or t in ("ipv4", "ipv6")]
    keys = sorted({t.split("=")[0] for t in tokens if "=" in t})
    return " ".join(words[:6]) + " " + ",".join(keys)


def parser_seeds():
    seeds, seen = [], set()
    for path in sorted(FIXTURES.glob("router_*.txt")):
        if path.name == "router_mixed.txt":
            continue
        count = 0
        for line in read_fixture(path).splitlines():
            kind = (path.name, kind_of_line(line))
            if kind in seen or count >= 5:
                continue
            seen.add(kind)
            count += 1
            seeds.append((f"{path.stem}-{count:02}", line + "\n"))
    good = set(fixture_lines("router_extended_id.txt"))
    bad = [line for line in fixture_lines("router_mixed.txt") if line not in good]
    for number, line in enumerate(bad, 1):
        seeds.append((f"mixed-malformed-{number:02}", line + "\n"))
    seeds.append(("mixed-whole", read_fixture(FIXTURES / "router_mixed.txt")))
    seeds.append(("noacct-whole", read_fixture(FIXTURES / "router_noacct_extended.txt")))
    return seeds


def netlink_seeds():
    seeds = []
    dump = [e for e in map(split_line, fixture_lines("router_extended_id.txt")) if e]
    for number, entry in enumerate(dump, 1):
        seeds.append((f"dump-{number:02}-{entry['proto']}", message(entry, 7, 4242)))
    seen = set()
    for line in fixture_lines("router_events.txt"):
        entry = split_line(line)
        if entry is None or (entry["event"], entry["proto"], entry["family"]) in seen:
            continue
        seen.add((entry["event"], entry["proto"], entry["family"]))
        seeds.append((f"event-{entry['event'].lower()}-{entry['family']}-{entry['proto']}", message(entry)))
    # One datagram of a dump: several messages, then NLMSG_DONE.
    seeds.append(("dump-datagram", b"".join(message(e, 7, 4242) for e in dump[:6]) + done(7, 4242)))
    return seeds


def config_seeds():
    full = (ROOT / "config" / "netmon.yml").read_text()
    variants = {
        "shipped": full,
        "empty": "",
        "comment-only": "# nothing set\n",
        "subnets-list": "local_subnets:\n  - 10.0.0.0/24\n  - fd00:10::/64\n  - 192.168.1.0/24\n",
        "subnets-scalar": "local_subnets: 10.0.0.0/24\n",
        "subnets-flow": "local_subnets: [10.0.0.0/8, \"fd00::/8\"]\nmonitor_interfaces: [eth0, wan0, br-lan]\n",
        "interfaces": "interfaces: {lan: br-lan, wan: pppoe-wan}\nmonitor_interfaces: pppoe-wan\n",
        "interval-source": "interval: 0.25\nsource: netlink\ndatabase: /tmp/netmon.db\n",
        "source-file": "source: file\ninterval: 3600\n",
        "netlink-buffer": "netlink:\n  event_buffer: 65536\n",
        "web-listen-v6": "web:\n  listen: \"[fd00:10::1]:8443\"\n",
        "web-auth": ("web:\n  listen: 10.0.0.1:8080\n  auth:\n    user: admin\n"
                     "    password_hash: \"$y$j9T$netmonsaltnetmonsalt$8k5h2A0qKmHPCxQTYdMafFF7d9aKjeSglmAbvtZzop5\"\n"),
        "web-auth-null": "web:\n  auth:\n",
        "anchors": "local_subnets: &lan [10.0.0.0/24]\nweb: {listen: '10.0.0.1:80'}\n",
        "bad-cidr": "local_subnets:\n  - 10.0.0.0/33\n",
        "bad-key": "intervall: 1\n",
        "bad-nested-key": "web:\n  lisen: 10.0.0.1:8080\n",
        "bad-yaml": "local_subnets: [10.0.0.0/24\n",
        "bad-tab": "web:\n\tlisten: 1\n",
        "bad-interval": "interval: 1e400\n",
        "bad-document": "--- a\n--- b\n",
    }
    return list(variants.items())


def request_params_seeds():
    # The first byte picks the endpoint (fuzz_request_params.cpp): 'c' connections, 'h' hosts,
    # 'n' one without parameters.
    queries = [
        "c", "climit=2&proto=tcp", "cq=192.0.2.&proto=udp&src=10.0.0.11&limit=10000",
        "cq=2001%3ADB8&src=fd00%3A10%3A0%3A0%3A0%3A0%3A0%3A11", "cproto=253", "cproto=ICMPv6",
        "cq=&proto=&src=&limit=", "climit=5&limit=6", "climit=0", "cq=not-hex", "csrc=::ffff:10.0.0.1",
        "cfoo=1", "climit", "climit=99999999999999999999", "c%71=443",
        "h", "hsince=60", "hsince=60&limit=20", "hsince=316224001", "hsince=-1", "hlimit=1&since=",
        "n", "nx=1", "n&",
    ]
    return [(f"{number:02}", query) for number, query in enumerate(queries, 1)]


def query_string_seeds():
    # Raw query strings, as they follow the '?' of a request (docs/API.md and the tests).
    queries = [
        "", "limit=2&proto=tcp", "q=192.0.2.&proto=udp&src=10.0.0.11&limit=10000",
        "q=2001%3Adb8&proto=tcp&src=fd00%3A10%3A%3A11&limit=10000", "since=60&limit=20",
        "q=&proto=&src=&limit=", "limit=5=6", "limit=5;limit=6", "limit=5&limit=6", "&x", "limit",
        "q=%zz", "q=%4", "src=%C3%A9", "q=%E2%82%AC", "q=%ED%A0%80", "q=%C0%AF", "q=%00", "q=a+b",
        "proto=ICMPv6&q=%3A%3Affff", "since=316224001", "foo=1",
    ]
    return [(f"{number:02}", query) for number, query in enumerate(queries, 1)]


def auth_seeds():
    headers = [
        "Basic YWRtaW46c2VjcmV0", "basic YWRtaW46c2VjcmV0", "BASIC   YWRtaW46c2VjcmV0  ",
        "Basic YQ==", "Basic YWI=", "Basic ", "Basic YQ=", "Basic Y=Q=", "Basic YWRtaW4=",
        "Basic YWRtaW46AHNlY3JldA==", "Bearer abc", "Digest username=\"admin\"", "admin:secret",
        "Basic w6lsw6h2ZTpww6Rzcw==",
    ]
    return [(f"{number:02}", header) for number, header in enumerate(headers, 1)]


def main():
    write_corpus("parser", parser_seeds())
    write_corpus("netlink", netlink_seeds())
    write_corpus("config", config_seeds())
    write_corpus("request_params", request_params_seeds())
    write_corpus("auth", auth_seeds())
    write_corpus("query_string", query_string_seeds())


if __name__ == "__main__":
    main()
