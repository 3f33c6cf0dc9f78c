// netmon-web under load: the server of netmon-web, as the binary builds it, plus one route
// only this benchmark has, /bench/static, a fixed response of the same size as
// /connections.json?limit=500, served by the same server in the same run as its peer.
//
//   build/bench/web_bench capture FILE [FLOWS [FLOWS_PER_HOST]]
//                                                write a conntrack table of FLOWS (100,000)
//                                                outbound flows, FLOWS_PER_HOST (4) to each
//                                                remote host, for netmon-ingest once
//   build/bench/web_bench serve DB PORT [THREADS [KEEPALIVE_REQUESTS [nocache]]]
//                                                serve DB on 127.0.0.1:PORT until SIGTERM
//   build/bench/web_bench cpu DB                 CPU time of the work behind one request, in
//                                                this thread, without HTTP and without cache
//
// bench/web_bench.sh puts it together with netmon-ingest and wrk; see docs/PERFORMANCE.md.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "api_json.h"
#include "netmon/clock.h"
#include "netmon/config.h"
#include "netmon/database.h"
#include "netmon/log.h"
#include "netmon/mac.h"
#include "queries.h"
#include "shutdown_signals.h"
#include "web_server.h"

using namespace netmon;
using namespace netmon::web;

namespace {

// One extended-format line per flow: 250 LAN devices (every tenth flow IPv6), flows_per_host
// flows per remote host, mostly TCP to 443, some UDP to 53 and 443, byte counts spread over four orders
// of magnitude so that the sort has work to do.
int write_capture(const std::string& path, std::size_t flows, std::size_t flows_per_host) {
    std::ofstream out(path);
    if (!out) {
        std::cerr << "web_bench: cannot write " << path << '\n';
        return 1;
    }
    for (std::size_t i = 0; i < flows; ++i) {
        const unsigned device = 2 + static_cast<unsigned>(i % 250);
        const unsigned sport = 1024 + static_cast<unsigned>((i * 7919) % 60000);
        const std::size_t host = i / flows_per_host;
        const bool v6 = i % 10 == 9;
        const bool udp = i % 7 == 3;
        const unsigned dport = udp ? (i % 2 ? 53 : 443) : (i % 5 == 0 ? 80 : 443);
        const unsigned long long up = 60 + (i * 2654435761ull) % 2'000'000;
        const unsigned long long down = 60 + (i * 40503ull) % 90'000'000;
        char src[64], dst[64], reply_dst[64];
        if (v6) {
            std::snprintf(src, sizeof src, "fd00:10::%x", device);
            std::snprintf(dst, sizeof dst, "2001:db8:%x:%x::1", static_cast<unsigned>(host >> 16),
                          static_cast<unsigned>(host & 0xffff));
            std::snprintf(reply_dst, sizeof reply_dst, "fd00:10::%x", device);
        } else {
            std::snprintf(src, sizeof src, "10.0.0.%u", device);
            std::snprintf(dst, sizeof dst, "%u.%u.%u.1", 20 + static_cast<unsigned>((host >> 16) % 100),
                          static_cast<unsigned>((host >> 8) & 255), static_cast<unsigned>(host & 255));
            std::snprintf(reply_dst, sizeof reply_dst, "198.51.100.2");
        }
        char line[600];
        if (udp) {
            std::snprintf(line, sizeof line,
                          "%s     %u udp      17 29 src=%s dst=%s sport=%u dport=%u packets=%llu bytes=%llu "
                          "src=%s dst=%s sport=%u dport=%u packets=%llu bytes=%llu [ASSURED] mark=0 use=1\n",
                          v6 ? "ipv6" : "ipv4", v6 ? 10u : 2u, src, dst, sport, dport, up / 100 + 1, up, dst,
                          reply_dst, dport, sport, down / 1000 + 1, down);
        } else {
            std::snprintf(line, sizeof line,
                          "%s     %u tcp      6 431999 ESTABLISHED src=%s dst=%s sport=%u dport=%u packets=%llu "
                          "bytes=%llu src=%s dst=%s sport=%u dport=%u packets=%llu bytes=%llu [ASSURED] mark=0 "
                          "use=1\n",
                          v6 ? "ipv6" : "ipv4", v6 ? 10u : 2u, src, dst, sport, dport, up / 100 + 1, up, dst,
                          reply_dst, dport, sport, down / 1000 + 1, down);
        }
        out << line;
    }
    return out ? 0 : 1;
}

int serve(const std::string& db_path, int port, ServerOptions options) {
    block_shutdown_signals();
    StderrLogger log("web_bench", false);
    Config config;
    config.database = db_path;
    config.monitor_interfaces = {"lo"};
    // The peer: what /connections.json?limit=500 answers now, frozen.
    ConnectionFilter filter;
    filter.limit = 500;
    std::string peer;
    {
        Reader reader(Database(db_path, Database::Mode::read_only));
        const std::int64_t now = unix_ms_now();
        ConnectionsJson json(now, filter.limit);
        reader.connections(filter, now, [&](const ConnectionRow& row) { json.add(row); });
        peer = json.finish();
    }
    // history_bench.sh: the peer of another response, the same bytes (NETMON_BENCH_STATIC=FILE).
    if (const char* file = std::getenv("NETMON_BENCH_STATIC")) {
        std::ifstream in(file, std::ios::binary);
        peer.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ListenAddress listen{IpAddress::v4(127, 0, 0, 1), static_cast<std::uint16_t>(port)};
    config.web_listen = listen;  // the Host that requests name
    WebServer server(config, log, options);
    server.api().add_route("/bench/static", [&peer](const Request&) {
        Response response;
        response.body = peer;
        response.set("Content-Type", "application/json");
        return response;
    });
    server.bind(listen);
    ShutdownSignals signals([&](int) { server.stop(); }, [] {});
    std::fprintf(stderr, "web_bench: serving %s on %s, /bench/static is %zu bytes\n", db_path.c_str(),
                 listen.to_string().c_str(), peer.size());
    return server.run() ? 0 : 1;
}

double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// Runs work repeatedly (after a warm-up) and prints its CPU time per run.
template <class Work>
void time_cpu(const char* what, int runs, Work&& work) {
    for (int i = 0; i < 5; ++i) work();
    const double start = thread_cpu_ms();
    for (int i = 0; i < runs; ++i) work();
    std::printf("%-52s %8.3f ms CPU\n", what, (thread_cpu_ms() - start) / runs);
}

// Wall time per run too: what a client waits for, on a machine that others share.
template <class Work>
void time_both(const char* what, int runs, Work&& work) {
    for (int i = 0; i < 2; ++i) work();
    const double start = thread_cpu_ms();
    const auto wall = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) work();
    const double wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall).count();
    std::printf("%-52s %8.3f ms CPU %8.3f ms\n", what, (thread_cpu_ms() - start) / runs, wall_ms / runs);
}

int cpu(const std::string& db_path) {
    Reader reader(Database(db_path, Database::Mode::read_only));
    const std::int64_t now = unix_ms_now();
    std::size_t sink = 0;
    ConnectionFilter top;
    top.limit = 500;
    time_cpu("connections query, limit 500", 300, [&] {
        reader.connections(top, now, [&](const ConnectionRow& row) { sink += row.src_port; });
    });
    time_cpu("connections query + JSON, limit 500", 300, [&] {
        ConnectionsJson json(now, top.limit);
        reader.connections(top, now, [&](const ConnectionRow& row) { json.add(row); });
        sink += json.finish().size();
    });
    auto filtered = [&](const char* what, std::string q, std::string src, int runs = 10) {
        ConnectionFilter filter;
        filter.q = std::move(q);
        filter.src = std::move(src);
        std::size_t rows = 0;
        time_both(what, runs, [&] {
            ConnectionsJson json(now, filter.limit);
            rows = 0;
            reader.connections(filter, now, [&](const ConnectionRow& row) {
                json.add(row);
                ++rows;
            });
            sink += json.finish().size();
        });
        std::printf("%-52s %8zu rows\n", "", rows);
    };
    filtered("+ JSON, src=10.0.0.7", "", "10.0.0.7");
    filtered("+ JSON, q=443 (most rows)", "443", "");
    filtered("+ JSON, q=20.1 (a tenth of the rows)", "20.1", "");
    filtered("+ JSON, q=:1f (a few hundred)", ":1f", "");
    filtered("+ JSON, q=7919 (a few)", "7919", "");
    filtered("+ JSON, q=fffff (none)", "fffff", "");
    // Names (issue 13; web_bench names DB fills them): a device, a site, every site.
    filtered("+ JSON, q=device-7 (a device's name)", "device-7", "");
    filtered("+ JSON, q=host-1234.example (a remote name)", "host-1234.example", "");
    filtered("+ JSON, q=example (every remote name)", "example", "");
    filtered("+ JSON, src=00:1b:63:00:00:07 (a MAC)", "", "00:1b:63:00:00:07");
    // Random four-digit substrings, as the load test asked.
    std::uint64_t state = 88172645463325252ull;
    std::vector<std::string> random_q;
    for (int i = 0; i < 20; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        random_q.push_back(std::to_string(1000 + state % 9000));
    }
    std::size_t next = 0;
    time_both("+ JSON, 20 random four-digit q, each", 20, [&] {
        ConnectionFilter filter;
        filter.q = random_q[next++ % random_q.size()];
        ConnectionsJson json(now, filter.limit);
        reader.connections(filter, now, [&](const ConnectionRow& row) { json.add(row); });
        sink += json.finish().size();
    });
    time_cpu("summary (count(DISTINCT dst_ip), uncached)", 10, [&] {
        // A data_version that moves: a fresh connection each time would cost more than this.
        Reader fresh(Database(db_path, Database::Mode::read_only));
        sink += static_cast<std::size_t>(fresh.summary(now).active_remote_hosts);
    });
    HostFilter hosts;
    time_both("hosts + JSON, limit 500", 20, [&] { sink += hosts_json(reader.hosts(hosts, now), now).size(); });
    HostFilter recent;
    recent.since_seconds = 60;
    time_both("hosts + JSON, since=60", 20, [&] { sink += hosts_json(reader.hosts(recent, now), now).size(); });
    return sink == 0 ? 1 : 0;
}

}  // namespace

// The names tables as big as the ingest lets them grow (schema/006_names.sql, the contract's
// cap): every LAN device of the connections with a MAC (an IPv4 and an IPv6 address sharing one
// where both exist), a name ("device-N") and a vendor; a remote_names row for every pair of the
// connections and a host_names row for every remote host, up to 200,000 each.
int fill_names(const std::string& db_path) {
    Database db(db_path, Database::Mode::read_write_create);
    Transaction transaction(db);
    const std::int64_t now = unix_ms_now();
    Statement devices = db.prepare("SELECT DISTINCT src_ip FROM connections");
    Statement lan = db.prepare("INSERT OR REPLACE INTO lan_addresses VALUES (?1, ?2, ?3, ?3)");
    Statement name = db.prepare("INSERT OR REPLACE INTO device_names VALUES (?1, ?2, 'dhcp', 'Vendor, Inc.', ?3)");
    std::size_t device_count = 0;
    while (devices.step()) {
        auto address = IpAddress::parse(devices.column_text(0));
        if (!address) continue;
        // 10.0.0.N and fd00:10::N (hex) are one device: their last byte.
        MacAddress mac{{0x00, 0x1b, 0x63, 0x00, 0x00, address->bytes[15]}};
        if (address->family == Family::v4) mac.bytes[5] = address->bytes[3];
        lan.reset();
        lan.bind_blob(1, address->blob()).bind_blob(2, mac.blob()).bind(3, now);
        lan.run();
        name.reset();
        name.bind_blob(1, mac.blob()).bind(2, std::string_view("device-" + std::to_string(mac.bytes[5]))).bind(3, now);
        name.run();
        ++device_count;
    }
    Statement pairs = db.prepare("SELECT DISTINCT src_ip, dst_ip FROM connections LIMIT 200000");
    Statement answer = db.prepare("INSERT OR REPLACE INTO remote_names VALUES (?1, ?2, ?3, ?4, ?4 + 3600000)");
    Statement host = db.prepare("INSERT OR REPLACE INTO host_names VALUES (?1, ?2, ?3, ?3 + 3600000)");
    std::size_t pair_count = 0, host_count = 0;
    while (pairs.step()) {
        auto device = IpAddress::parse(pairs.column_text(0));
        auto remote = IpAddress::parse(pairs.column_text(1));
        if (!device || !remote) continue;
        const std::string site = "host-" + std::to_string(pair_count) + ".example.net";
        answer.reset();
        // Answered over the last day, as a LAN's are: the newest few a cycle.
        const std::int64_t at = now - static_cast<std::int64_t>(pair_count) * 400;
        answer.bind_blob(1, device->blob()).bind_blob(2, remote->blob()).bind(3, std::string_view(site)).bind(4, at);
        answer.run();
        ++pair_count;
    }
    Statement hosts = db.prepare("SELECT ip FROM remote_hosts LIMIT 200000");
    while (hosts.step()) {
        auto remote = IpAddress::parse(hosts.column_text(0));
        if (!remote) continue;
        host.reset();
        host.bind_blob(1, remote->blob()).bind(2, std::string_view("site-" + std::to_string(host_count++) + ".example.org"));
        host.bind(3, now - static_cast<std::int64_t>(host_count) * 400);
        host.run();
    }
    transaction.commit();
    std::printf("names: %zu device addresses, %zu answers, %zu host names\n", device_count, pair_count, host_count);
    return 0;
}

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "capture" && argc >= 3) {
            const std::size_t per_host = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 4;
            return write_capture(argv[2], argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100'000,
                                 per_host == 0 ? 1 : per_host);
        }
        if (command == "cpu" && argc == 3) return cpu(argv[2]);
        if (command == "names" && argc == 3) return fill_names(argv[2]);
        if (command == "serve" && argc >= 4) {
            // Only to explore: the numbers in docs/PERFORMANCE.md use netmon-web's defaults.
            ServerOptions options;
            if (argc > 4) options.threads = std::strtoul(argv[4], nullptr, 10);
            if (argc > 5) options.keep_alive_requests = std::strtoul(argv[5], nullptr, 10);
            if (argc > 6) options.cache_responses = std::string(argv[6]) != "nocache";
            return serve(argv[2], std::atoi(argv[3]), options);
        }
    } catch (const std::exception& e) {
        std::cerr << "web_bench: " << e.what() << '\n';
        return 1;
    }
    std::cerr << "usage: web_bench capture FILE [FLOWS] | web_bench serve DB PORT | web_bench cpu DB |"
                 " web_bench names DB\n";
    return 2;
}
