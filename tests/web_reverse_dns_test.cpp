// netmon-web's reverse lookups (webui/reverse_dns.h): the pure parts on answers ldns builds, and
// the resolver thread against a real dnsmasq on loopback.

#include <stdbool.h>  // before ldns, which would otherwise define bool, true and false as macros
#include <ldns/ldns.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "reverse_dns.h"

using namespace netmon;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// A response to the PTR query for name, with the records given in presentation form.
std::vector<std::uint8_t> response(const std::string& name, ldns_pkt_rcode rcode,
                                   const std::vector<std::string>& answers,
                                   const std::vector<std::string>& authority = {}) {
    ldns_pkt* packet = nullptr;
    REQUIRE(ldns_pkt_query_new_frm_str(&packet, name.c_str(), LDNS_RR_TYPE_PTR, LDNS_RR_CLASS_IN, 0) ==
            LDNS_STATUS_OK);
    ldns_pkt_set_qr(packet, true);
    ldns_pkt_set_rcode(packet, static_cast<std::uint8_t>(rcode));
    auto push = [&](ldns_pkt_section section, const std::string& text) {
        ldns_rr* rr = nullptr;
        REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr) == LDNS_STATUS_OK);
        ldns_pkt_push_rr(packet, section, rr);
    };
    for (const auto& text : answers) push(LDNS_SECTION_ANSWER, text);
    for (const auto& text : authority) push(LDNS_SECTION_AUTHORITY, text);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    REQUIRE(ldns_pkt2wire(&wire, packet, &size) == LDNS_STATUS_OK);
    std::vector<std::uint8_t> bytes(wire, wire + size);
    std::free(wire);
    ldns_pkt_free(packet);
    return bytes;
}

}  // namespace

TEST_CASE("reverse names of IPv4 and IPv6 addresses") {
    CHECK(reverse_lookup_name(ip("192.0.2.10")) == "10.2.0.192.in-addr.arpa");
    CHECK(reverse_lookup_name(ip("2001:db8::1")) ==
          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("a PTR response names the host, in lower case, with its TTL") {
    auto wire = response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_NOERROR,
                         {"10.2.0.192.in-addr.arpa. 1200 IN PTR Host.Example.TEST."});
    PtrAnswer answer = parse_ptr_response(wire);
    CHECK(answer.kind == PtrAnswer::Kind::named);
    CHECK(answer.name == "host.example.test");
    CHECK(answer.ttl_seconds == 1200);
}

TEST_CASE("NXDOMAIN and an empty answer are no name, with the SOA's negative TTL") {
    const std::string soa = "in-addr.arpa. 900 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 450";
    PtrAnswer nx = parse_ptr_response(response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_NXDOMAIN, {}, {soa}));
    CHECK(nx.kind == PtrAnswer::Kind::unnamed);
    CHECK(nx.ttl_seconds == 450);
    PtrAnswer empty = parse_ptr_response(response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_NOERROR, {}));
    CHECK(empty.kind == PtrAnswer::Kind::unnamed);
}

TEST_CASE("SERVFAIL, garbage and every cut of a response fail without a name") {
    CHECK(parse_ptr_response(response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_SERVFAIL, {})).kind ==
          PtrAnswer::Kind::failed);
    const std::vector<std::uint8_t> garbage{0xde, 0xad, 0xbe, 0xef};
    CHECK(parse_ptr_response(garbage).kind == PtrAnswer::Kind::failed);
    auto wire = response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_NOERROR,
                         {"10.2.0.192.in-addr.arpa. 1200 IN PTR host.example.test."});
    for (std::size_t n = 0; n < wire.size(); ++n) {
        PtrAnswer cut = parse_ptr_response(std::span(wire.data(), n));
        CHECK(cut.kind != PtrAnswer::Kind::named);
    }
}

TEST_CASE("a PTR target that is not plain text is no name") {
    auto wire = response("10.2.0.192.in-addr.arpa.", LDNS_RCODE_NOERROR,
                         {"10.2.0.192.in-addr.arpa. 1200 IN PTR \\<script\\>\\010.example.test."});
    CHECK(parse_ptr_response(wire).kind == PtrAnswer::Kind::unnamed);
}

TEST_CASE("the token bucket allows a burst, then its rate") {
    TokenBucket bucket(10, 3);
    int taken = 0;
    for (int i = 0; i < 10; ++i) taken += bucket.take(1000) ? 1 : 0;
    CHECK(taken == 3);
    CHECK_FALSE(bucket.take(1050));
    CHECK(bucket.wait_ms(1050) > 0);
    CHECK(bucket.take(1100));  // 100 ms at 10/s: one more
    CHECK_FALSE(bucket.take(1100));
}

TEST_CASE("the cache asks once, keeps a name for its TTL and a negative answer for its own") {
    PtrCache cache(10);
    const IpAddress a = ip("192.0.2.10"), b = ip("198.51.100.7");
    CHECK(cache.lookup(a, 0).query);
    CHECK_FALSE(cache.lookup(a, 10).query);  // pending: asked once
    cache.resolved(a, {PtrAnswer::Kind::named, "host.example.test", 120}, 100);
    CHECK(cache.lookup(a, 200).name == std::optional<std::string>("host.example.test"));
    CHECK_FALSE(cache.lookup(a, 200).query);
    // Expired: the old name still shows while it is asked again.
    PtrCache::Lookup expired = cache.lookup(a, 100 + 121'000);
    CHECK(expired.query);
    CHECK(expired.name == std::optional<std::string>("host.example.test"));

    CHECK(cache.lookup(b, 0).query);
    cache.resolved(b, {PtrAnswer::Kind::unnamed, "", 10}, 0);  // below the floor of 300 s
    CHECK_FALSE(cache.lookup(b, 299'000).query);
    CHECK_FALSE(cache.lookup(b, 299'000).name);
    CHECK(cache.lookup(b, 301'000).query);
}

TEST_CASE("the cache's search gives the names shown, expired or not, never a pending or a negative one") {
    PtrCache cache(10);
    const IpAddress a = ip("192.0.2.10"), b = ip("192.0.2.11"), c = ip("192.0.2.12");
    cache.lookup(a, 0);
    cache.resolved(a, {PtrAnswer::Kind::named, "edge-1.cdn.example", 60}, 0);
    cache.lookup(b, 0);
    cache.resolved(b, {PtrAnswer::Kind::unnamed, "", 600}, 0);
    cache.lookup(c, 0);  // pending
    CHECK(cache.matching("CDN") == std::vector<IpAddress>{a});
    CHECK(cache.matching("example").size() == 1);
    CHECK(cache.lookup(a, 3'600'000).query);  // expired: asked again, its name still shown
    CHECK(cache.matching("edge") == std::vector<IpAddress>{a});
    CHECK(cache.matching("nothing").empty());
}

TEST_CASE("a failed lookup is retried after the retry time and a dropped one at once") {
    PtrCache cache(10);
    const IpAddress a = ip("203.0.113.5");
    CHECK(cache.lookup(a, 0).query);
    cache.resolved(a, {PtrAnswer::Kind::failed, "", 0}, 0);
    CHECK_FALSE(cache.lookup(a, 1000).query);
    CHECK(cache.lookup(a, PtrCache::failure_retry_s * 1000 + 1).query);
    const IpAddress b = ip("203.0.113.6");
    CHECK(cache.lookup(b, 0).query);
    cache.forget_pending(b);
    CHECK(cache.lookup(b, 1).query);
}

TEST_CASE("the cache keeps at most its capacity, the least recently read going first") {
    PtrCache cache(3);
    for (int i = 1; i <= 3; ++i) {
        IpAddress address = IpAddress::v4(192, 0, 2, static_cast<std::uint8_t>(i));
        cache.lookup(address, 0);
        cache.resolved(address, {PtrAnswer::Kind::named, "h" + std::to_string(i), 3600}, 0);
    }
    cache.lookup(IpAddress::v4(192, 0, 2, 1), 1);  // read: now the most recent
    cache.lookup(IpAddress::v4(192, 0, 2, 4), 2);  // a fourth: evicts .2
    CHECK(cache.size() == 3);
    CHECK(cache.evicted() == 1);
    CHECK(cache.lookup(IpAddress::v4(192, 0, 2, 1), 3).name == std::optional<std::string>("h1"));
    CHECK(cache.lookup(IpAddress::v4(192, 0, 2, 2), 3).query);  // forgotten: asked again
}

namespace {

// dnsmasq on 127.0.0.1:port, authoritative for 198.51.100.0/24's reverse zone.
class Dnsmasq {
public:
    explicit Dnsmasq(int port) {
        pid_ = ::fork();
        if (pid_ == 0) {
            const std::string port_arg = "--port=" + std::to_string(port);
            ::execlp("dnsmasq", "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                     "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", port_arg.c_str(),
                     "--user=root", "--pid-file=", "--local=/100.51.198.in-addr.arpa/",
                     "--ptr-record=10.100.51.198.in-addr.arpa,www.example.test",
                     "--ptr-record=11.100.51.198.in-addr.arpa,cdn.example.test", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    ~Dnsmasq() {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
    bool running() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

private:
    pid_t pid_;
};

std::optional<std::string> wait_for_name(ReverseDns& dns, const IpAddress& address) {
    for (int i = 0; i < 50; ++i) {
        if (auto name = dns.name(address)) return name;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("the resolver names hosts from a real dnsmasq, without waiting in name()") {
    if (std::system("command -v dnsmasq >/dev/null") != 0) {
        WARN("dnsmasq is not installed: skipped");
        return;
    }
    Dnsmasq dnsmasq(53531);
    REQUIRE(dnsmasq.running());
    ReverseDns::Options options;
    options.servers = "127.0.0.1:53531";
    ReverseDns dns(options);

    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(dns.name(ip("198.51.100.10")));  // not known yet: queued, answered at once
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(50));
    CHECK(wait_for_name(dns, ip("198.51.100.10")) == std::optional<std::string>("www.example.test"));
    CHECK(wait_for_name(dns, ip("198.51.100.11")) == std::optional<std::string>("cdn.example.test"));
    // The filter box's search among them.
    CHECK(dns.matching("WWW.example") == std::vector<IpAddress>{ip("198.51.100.10")});
    CHECK(dns.matching("example.test").size() == 2);

    // A host without a PTR record: asked once, then known to have no name.
    CHECK_FALSE(dns.name(ip("198.51.100.99")));
    for (int i = 0; i < 50 && dns.stats().unnamed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(dns.stats().unnamed == 1);
    CHECK_FALSE(dns.name(ip("198.51.100.99")));
    CHECK(dns.stats().queries == 3);
}

TEST_CASE("the resolver sends no more than its rate") {
    if (std::system("command -v dnsmasq >/dev/null") != 0) {
        WARN("dnsmasq is not installed: skipped");
        return;
    }
    Dnsmasq dnsmasq(53532);
    REQUIRE(dnsmasq.running());
    ReverseDns::Options options;
    options.servers = "127.0.0.1:53532";
    options.queries_per_second = 10;
    options.burst = 5;
    options.max_queued = 50;
    ReverseDns dns(options);
    for (int i = 0; i < 100; ++i) dns.name(IpAddress::v4(198, 51, 100, static_cast<std::uint8_t>(i + 100)));
    // The queue holds 50; the thread may already have taken up to its burst (5) out of it.
    CHECK(dns.stats().dropped >= 45);
    CHECK(dns.stats().dropped <= 50);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const ReverseDns::Stats stats = dns.stats();
    CHECK(stats.queries >= 10);
    CHECK(stats.queries <= 17);  // 5 at once, then 10 a second
}
