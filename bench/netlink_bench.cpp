// The netlink dump against `conntrack -L -o extended` on the same table, in the same run.
//
//   sudo build/bench/netlink_bench [ENTRIES]
//
// Builds the namespace router of tests/lab/lab.sh (a prefix of its own), fills its conntrack
// table with ENTRIES (default 262,144) entries made through ctnetlink (IPCTNL_MSG_CT_NEW in
// batches: conntrack -I would start one process per entry), then times, best of three:
//   (a) `conntrack -L -o extended > /dev/null` in the router namespace;
//   (b) NetlinkDumpSource::read_entries keeping the outbound entries (dump, parse, filter: the
//       issue's measure), with the default receive buffers and with smaller and larger ones;
//   (c) the same without the filter; (d) SnapshotSource::read, which also folds the outbound
//       entries into a Snapshot; (e) the kernel's part alone: the dump received on one thread
//       and not parsed;
//   (f) the reconciler's full cycle in this process, cold and warm; (g) netmon-ingest run's peak
//       RSS, names off and on; (h) its warm cycles, whole, from its own log, names off and on
//       (with DNS answers sent from the WAN host meanwhile).
// Prints the times, the ratio (b)/(a) and peak RSS. Needs root; removes the namespaces at exit.
// Entries made this way have zero counters; counters cost the same to dump and parse whatever
// their value.
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "conntrack_object.h"
#include "netlink_source.h"
#include "reconciler.h"
#include "store.h"
#include "netmon/c_handle.h"
#include "netmon/database.h"
#include "netmon/meta_keys.h"
#include "netmon/outbound.h"

using namespace netmon;
using Clock = std::chrono::steady_clock;

namespace {

const std::string lab_script = std::string(NETMON_SOURCE_DIR) + "/tests/lab/lab.sh";

int shell(const std::string& command) {
    std::string full = "bash -c '" + command + "'";
    return std::system(full.c_str());
}

// The namespace router for this run, removed again however the run ends.
class Lab {
public:
    explicit Lab(std::string prefix) : prefix_(std::move(prefix)) {
        if (lab("lab_up 0 >/dev/null") != 0) {
            lab("lab_down");
            throw std::runtime_error("lab_up failed (root, nft and ip needed)");
        }
    }
    ~Lab() { lab("lab_down"); }
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;
    std::string router() const { return prefix_ + "-router"; }
    std::string wan() const { return prefix_ + "-wan"; }
    int lab(const std::string& script) const {
        return shell("source " + lab_script + "; LAB=" + prefix_ + "; " + script);
    }

private:
    std::string prefix_;
};

// Runs f in a thread that has entered network namespace name: netlink sockets opened there
// belong to that namespace.
template <class F>
void in_namespace(const std::string& name, F&& f) {
    std::exception_ptr failure;
    std::thread thread([&] {
        try {
            int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0)
                throw std::runtime_error("cannot enter namespace " + name + ": " + std::strerror(errno));
            ::close(fd);
            f();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    thread.join();
    if (failure) std::rethrow_exception(failure);
}


// The i-th entry: a mix like a home router's table. Of every 16: 8 tcp ESTABLISHED, 4 udp,
// 1 tcp and 1 udp over IPv6, 1 icmp echo, 1 tcp to a private address (not outbound). Tuples
// are unique in both directions: (remote, NAT port) differs for every i.
void make_entry(std::uint32_t i, nf_conntrack* ct) {
    const std::uint32_t kind = i % 16;
    const auto nat_port = static_cast<std::uint16_t>(1024 + i % 60000);
    const std::uint32_t remote_index = i / 60000;
    const bool v6 = kind == 12 || kind == 13;
    const std::uint8_t proto = kind == 14 ? IPPROTO_ICMP : (kind >= 8 && kind <= 11) || kind == 13 ? IPPROTO_UDP : IPPROTO_TCP;
    const std::uint16_t remote_port = proto == IPPROTO_UDP ? 53 : 443;

    nfct_set_attr_u8(ct, ATTR_L3PROTO, v6 ? AF_INET6 : AF_INET);
    nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, v6 ? AF_INET6 : AF_INET);
    if (v6) {
        in6_addr lan{}, remote{}, wan{};
        inet_pton(AF_INET6, "fd00:10::", &lan);
        lan.s6_addr[15] = static_cast<std::uint8_t>(2 + i % 200);
        inet_pton(AF_INET6, "2001:db8:2::", &remote);
        remote.s6_addr[15] = static_cast<std::uint8_t>(remote_index);
        inet_pton(AF_INET6, "2001:db8:100::2", &wan);
        nfct_set_attr(ct, ATTR_IPV6_SRC, &lan);
        nfct_set_attr(ct, ATTR_IPV6_DST, &remote);
        nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, &remote);
        nfct_set_attr(ct, ATTR_REPL_IPV6_DST, &wan);
    } else {
        const std::uint32_t lan = htonl(0x0a000002u + i % 200);  // 10.0.0.2..
        const std::uint32_t remote = kind == 15 ? htonl(0xc0a80100u + remote_index)  // 192.168.1.x
                                                : htonl(0xc000020au + remote_index);  // 192.0.2.10..
        const std::uint32_t wan = htonl(0xc6336402u);                                // 198.51.100.2
        nfct_set_attr_u32(ct, ATTR_IPV4_SRC, lan);
        nfct_set_attr_u32(ct, ATTR_IPV4_DST, remote);
        nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, remote);
        nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, wan);
    }
    nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
    nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
    if (proto == IPPROTO_ICMP) {
        nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 8);
        nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
        nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(nat_port));
        nfct_set_attr_u32(ct, ATTR_TIMEOUT, 3600);
    } else {
        nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(nat_port));
        nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(remote_port));
        nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(remote_port));
        nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(nat_port));
        nfct_set_attr_u32(ct, ATTR_TIMEOUT, proto == IPPROTO_TCP ? 432000 : 3600);
    }
    if (proto == IPPROTO_TCP) nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
    nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SEEN_REPLY | (proto == IPPROTO_TCP ? IPS_ASSURED : 0));
    nfct_set_attr_u32(ct, ATTR_MARK, i % 4 == 0 ? 42 : 0);
}

// Creates count entries through ctnetlink in batches of messages, and counts the failures.
std::uint32_t fill(std::uint32_t count) {
    CHandle<mnl_socket*, &mnl_socket_close> socket(mnl_socket_open(NETLINK_NETFILTER));
    if (!socket || mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
    int receive_buffer = 64 << 20;
    if (::setsockopt(mnl_socket_get_fd(socket.get()), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer,
                     sizeof receive_buffer) < 0)
        throw std::runtime_error(std::string("SO_RCVBUFFORCE: ") + std::strerror(errno));
    std::vector<char> batch(256 << 10);
    std::vector<char> replies(1 << 16);
    std::uint32_t failures = 0;
    auto read_errors = [&](int flags) {
        for (;;) {
            ssize_t n = ::recv(mnl_socket_get_fd(socket.get()), replies.data(), replies.size(), flags);
            if (n <= 0) return;
            int left = static_cast<int>(n);
            for (auto* m = reinterpret_cast<const nlmsghdr*>(replies.data()); netlink_message_ok(m, left);
                 m = mnl_nlmsg_next(m, &left)) {
                if (m->nlmsg_type != NLMSG_ERROR) continue;
                const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
                if (error->error != 0) ++failures;
            }
        }
    };
    // The kernel takes a batch in one sendmsg, up to the socket's send buffer (about 200 KiB).
    mnl_nlmsg_batch* raw = mnl_nlmsg_batch_start(batch.data(), 128 << 10);
    CHandle<mnl_nlmsg_batch*, &mnl_nlmsg_batch_stop> guard(raw);
    auto send = [&] {
        if (mnl_socket_sendto(socket.get(), mnl_nlmsg_batch_head(raw), mnl_nlmsg_batch_size(raw)) < 0)
            throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        read_errors(MSG_DONTWAIT);
    };
    for (std::uint32_t i = 0; i < count; ++i) {
        ConntrackObject ct = make_conntrack();
        make_entry(i, ct.get());
        nlmsghdr* message = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(raw));
        message->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
        message->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;  // errors only, no ACKs
        message->nlmsg_seq = i;
        auto* header = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(nfgenmsg)));
        header->nfgen_family = nfct_get_attr_u8(ct.get(), ATTR_L3PROTO);
        header->version = NFNETLINK_V0;
        nfct_nlmsg_build(message, ct.get());
        if (!mnl_nlmsg_batch_next(raw)) {  // full: send all but this message, which moves to the head
            send();
            mnl_nlmsg_batch_reset(raw);
        }
    }
    if (!mnl_nlmsg_batch_is_empty(raw)) send();
    read_errors(MSG_DONTWAIT);
    return failures;
}

// The kernel's part: the dump received into a buffer of buffer_size and not parsed.
std::size_t raw_dump(std::size_t buffer_size) {
    CHandle<mnl_socket*, &mnl_socket_close> socket(mnl_socket_open(NETLINK_NETFILTER));
    mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID);
    std::vector<char> buffer(buffer_size);
    nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
    request->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
    request->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request->nlmsg_seq = 1;
    auto* header = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(nfgenmsg)));
    header->nfgen_family = AF_UNSPEC;
    header->version = NFNETLINK_V0;
    mnl_socket_sendto(socket.get(), request, request->nlmsg_len);
    std::size_t messages = 0;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(socket.get(), buffer.data(), buffer.size());
        if (n <= 0) throw std::runtime_error(std::string("raw dump: ") + std::strerror(errno));
        int left = static_cast<int>(n);
        for (auto* m = reinterpret_cast<const nlmsghdr*>(buffer.data()); netlink_message_ok(m, left);
             m = mnl_nlmsg_next(m, &left)) {
            if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) return messages;
            ++messages;
        }
    }
}

template <class F>
double best_of(int rounds, F&& f) {
    double best = 1e30;
    for (int i = 0; i < rounds; ++i) {
        auto start = Clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    }
    return best;
}

long max_rss_kib(int who) {
    rusage usage{};
    getrusage(who, &usage);
    return usage.ru_maxrss;
}

std::string read_line(const std::string& path) {
    std::ifstream file(path);
    std::string line;
    std::getline(file, line);
    return line;
}

// The whole cycles' times from netmon-ingest -v's log: its cycle summaries end in ", N ms".
std::vector<double> cycle_seconds(const std::string& log) {
    std::ifstream file(log);
    std::vector<double> seconds;
    for (std::string line; std::getline(file, line);) {
        if (line.find(" outbound flows (") == std::string::npos || line.size() < 4 ||
            line.compare(line.size() - 3, 3, " ms") != 0)
            continue;
        const std::size_t comma = line.rfind(", ");
        if (comma != std::string::npos) seconds.push_back(std::strtod(line.c_str() + comma + 2, nullptr) / 1000);
    }
    return seconds;
}

// Up to 1,000 DNS answers a second (each a new name and address) from port 53 of the WAN host to a LAN
// address, until killed: what table inet netmon logs and the ingest parses meanwhile.
const char* const dns_sender =
    "import socket, struct, time\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('198.51.100.1', 53))\n"
    "i = 0\n"
    "while True:\n"
    "    q = b''.join(bytes([len(l)]) + l.encode() for l in ('h%d' % i, 'bench', 'example', 'test')) + b'\\0'\n"
    "    a = struct.pack('!HHHIH', 0xC00C, 1, 1, 600, 4) + struct.pack('!I', 0xC6120000 + i % 65536)\n"
    "    s.sendto(struct.pack('!HHHHHH', i & 0xffff, 0x8180, 1, 1, 0, 0) + q + struct.pack('!HH', 1, 1) + a,\n"
    "             ('10.0.0.11', 40000))\n"
    "    i += 1\n"
    "    if i % 100 == 0: time.sleep(0.1)\n";

}  // namespace

int main(int argc, char** argv) {
    const auto count = static_cast<std::uint32_t>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 262144);
    if (::geteuid() != 0) {
        std::fprintf(stderr, "netlink_bench: needs root (network namespaces, ctnetlink)\n");
        return 77;
    }
    try {
        Lab lab("nmb" + std::to_string(::getpid()));
        const std::string router = lab.router();
        std::string max_text, buckets_text;
        in_namespace(router, [&] {
            max_text = read_line("/proc/sys/net/netfilter/nf_conntrack_max");
            buckets_text = read_line("/proc/sys/net/netfilter/nf_conntrack_buckets");
        });
        std::printf("nf_conntrack_max %s, nf_conntrack_buckets %s (global: a namespace cannot raise them)\n",
                    max_text.c_str(), buckets_text.c_str());
        if (std::strtoul(max_text.c_str(), nullptr, 10) < count) {
            std::fprintf(stderr, "netlink_bench: nf_conntrack_max is below %u; raise it first\n", count);
            return 1;
        }

        std::uint32_t failures = 0;
        double fill_seconds = best_of(1, [&] { in_namespace(router, [&] { failures = fill(count); }); });
        std::size_t in_table = 0;
        in_namespace(router, [&] { in_table = raw_dump(1 << 20); });
        std::printf("filled %zu entries in %.2f s (%u creations refused)\n", in_table, fill_seconds, failures);

        const std::string list = "ip netns exec " + router + " conntrack -L -o extended > /dev/null 2>&1";
        double conntrack_seconds = best_of(3, [&] {
            if (std::system(list.c_str()) != 0) throw std::runtime_error("conntrack -L failed");
        });

        OutboundFilter filter({*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00:10::/64")});
        const long rss_before = max_rss_kib(RUSAGE_SELF);
        auto row = [&](const std::string& label, double seconds) {
            std::printf("%-58s %8.3f %7.2fx\n", label.c_str(), seconds, seconds / conntrack_seconds);
        };
        std::printf("\n%-58s %8s %8s\n", "best of 3", "seconds", "vs (a)");
        row("(a) conntrack -L -o extended > /dev/null", conntrack_seconds);

        // (b) the measure: dump, parse and keep the outbound entries.
        std::size_t outbound = 0;
        double filter_seconds = 0;
        for (std::size_t size : {NetlinkDumpSource::default_buffer_size, std::size_t{32} << 10,
                                 std::size_t{256} << 10, std::size_t{1} << 20}) {
            double seconds = 0;
            in_namespace(router, [&] {
                NetlinkDumpSource source(size);
                seconds = best_of(3, [&] {
                    outbound = 0;
                    source.read_entries([&](Entry&& entry) { outbound += filter.is_outbound(entry); });
                });
            });
            if (size == NetlinkDumpSource::default_buffer_size) {
                filter_seconds = seconds;
                row("(b) dump + parse + filter (read_entries), 64 KiB buffers", seconds);
            } else {
                row("    the same, " + std::to_string(size >> 10) + " KiB buffers", seconds);
            }
        }
        double entries_seconds = 0, read_seconds = 0;
        std::size_t kept = 0, seen = 0;
        in_namespace(router, [&] {
            NetlinkDumpSource source;
            entries_seconds = best_of(3, [&] { source.read_entries([](Entry&&) {}); });
            read_seconds = best_of(3, [&] {
                Snapshot snapshot = source.read(filter);
                kept = snapshot.entries.size();
                seen = snapshot.entries_seen;
            });
        });
        const long rss_after = max_rss_kib(RUSAGE_SELF);
        row("(c) dump + parse (read_entries, entries dropped)", entries_seconds);
        row("(d) SnapshotSource::read: (b) + fold (SnapshotBuilder)", read_seconds);
        for (std::size_t size : {std::size_t{8} << 10, std::size_t{32} << 10, std::size_t{1} << 20}) {
            double seconds = 0;
            in_namespace(router, [&] { seconds = best_of(3, [&] { raw_dump(size); }); });
            row("(e) kernel dump alone, one thread, unparsed, " + std::to_string(size >> 10) + " KiB", seconds);
        }
        // (f) the reconciler's full cycle over the same table: the cold one inserts every flow,
        // the warm one finds nothing changed (these entries never move) and writes nothing.
        const std::string db_dir = "/tmp/netmon-netlink-bench-" + std::to_string(::getpid());
        std::filesystem::create_directories(db_dir);
        double cold_seconds = 0, warm_seconds = 0;
        {
            Store store(db_dir + "/netmon.db");
            Reconciler reconciler(store, filter);
            in_namespace(router, [&] {
                NetlinkDumpSource source;
                auto started = Clock::now();
                reconciler.run_cycle(source, 1'000'000);
                cold_seconds = std::chrono::duration<double>(Clock::now() - started).count();
                warm_seconds = best_of(3, [&] { reconciler.run_cycle(source, 1'001'000); });
            });
        }
        row("(f) a full cycle, cold: dump + reconcile, every row inserted", cold_seconds);
        row("    a full cycle, warm: dump + reconcile, nothing changed", warm_seconds);

        // (g) the real daemon on this table: netmon-ingest run in the router, its peak RSS
        // (VmHWM) after three cycles, first on an empty database (every flow inserted), then
        // again on the database it filled (every flow loaded back at start); names off, then on
        // (the defaults: the OUI registry loaded, table inet netmon, the DNS parser's child).
        // The daemon's configuration: names on are the defaults.
        auto daemon_config = [&](bool names) {
            const std::string path = db_dir + (names ? "/names-on.yml" : "/names-off.yml");
            std::ofstream(path) << "local_subnets: [10.0.0.0/24, fd00:10::/64]\ndatabase: " << db_dir
                                << "/daemon.db\nsource: netlink\n"
                                << (names ? "" : "names: {dhcp_leases: [], oui_file: \"\", dns: {ruleset: off}}\n");
            return path;
        };
        for (const bool names : {false, true}) {
            const std::string config = daemon_config(names);
            const std::string daemon = "ip netns exec " + router + " " + NETMON_BUILD_DIR +
                                       "/collector/netmon-ingest --config " + config +
                                       " run --interval 1 2>/dev/null & pid=$!; sleep 5; grep VmHWM /proc/$pid/status;"
                                       " kill $pid; wait $pid";
            for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_dir + "/daemon.db" + suffix);
            for (const char* when : {"empty database", "restarted on it"}) {
                std::printf("\n(g) netmon-ingest run, names %s, %s, peak RSS after 3 cycles: ", names ? "on" : "off",
                            when);
                std::fflush(stdout);
                shell(daemon);
            }
        }

        // (h) the daemon's warm cycles on the database it filled, whole (the DNS answers drained,
        // the neighbours read, the flows reconciled and written), from its own log: names off, then
        // on (the defaults: table inet netmon, the OUI registry) with up to 1,000 DNS answers a
        // second forwarded to the LAN from the WAN host meanwhile.
        std::printf("\n(h) netmon-ingest run's warm cycles, whole (median, min-max of 8; vs (a)):\n");
        for (const bool names : {false, true}) {
            const std::string log = db_dir + "/cycles.log";
            const std::string sender = db_dir + "/dns_sender.py";
            std::ofstream(sender) << dns_sender;
            const std::string answers =
                names ? "ip netns exec " + lab.wan() + " python3 " + sender + " & sender=$!; " : "";
            shell(answers + "ip netns exec " + router + " " + NETMON_BUILD_DIR + "/collector/netmon-ingest --config " +
                  daemon_config(names) + " -v run --interval 1 2>" + log +
                  " & pid=$!; sleep 10; kill $pid; wait $pid" + (names ? "; kill $sender" : ""));
            std::vector<double> cycles = cycle_seconds(log);
            if (cycles.size() > 2) cycles.erase(cycles.begin(), cycles.begin() + 2);  // the start's
            if (cycles.size() > 8) cycles.resize(8);
            if (cycles.empty()) {
                std::printf("    names %s: no cycle in the log (%s)\n", names ? "on" : "off", log.c_str());
                continue;
            }
            std::sort(cycles.begin(), cycles.end());
            const double median = cycles[cycles.size() / 2];
            std::int64_t answers_total = 0;
            {
                Database db(db_dir + "/daemon.db", Database::Mode::read_only);
                Statement s = db.prepare("SELECT value FROM meta WHERE key = ?1");
                s.bind(1, meta::dns_answers_total);
                if (s.step()) answers_total = s.column_int(0);
            }
            std::printf("    names %-3s %8.3f s (%.3f-%.3f) %7.2fx, %lld DNS answers parsed in all\n",
                        names ? "on" : "off", median, cycles.front(), cycles.back(), median / conntrack_seconds,
                        static_cast<long long>(answers_total));
        }
        std::filesystem::remove_all(db_dir);

        std::printf("\n%zu entries dumped, %zu outbound flows kept\n", seen, kept);
        std::printf("ratio (b)/(a): %.2f (target <= 0.60); with the fold, (d)/(a): %.2f\n",
                    filter_seconds / conntrack_seconds, read_seconds / conntrack_seconds);
        std::printf("peak RSS of this process: %ld KiB before the reads, %ld KiB after (the folded snapshot)\n",
                    rss_before, rss_after);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netlink_bench: %s\n", e.what());
        return 1;
    }
}
