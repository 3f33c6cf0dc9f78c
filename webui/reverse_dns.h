#pragma once
// Reverse DNS (PTR) names for the remote hosts no DNS answer named: devices that resolve over
// DoH or DoT, or connect to addresses they were given some other way.
//
// netmon-web asks, not netmon-ingest: the ingest holds CAP_NET_ADMIN and has no IP socket at all
// (its unit allows netlink and Unix sockets only), and a lookup must never sit on its cycle. Here
// a lookup never sits on a request either: name() answers from the cache at once, and an address
// it does not know yet is queued for the resolver thread (c-ares), so its name shows at a later
// poll. Answers are cached for their TTL (60 s to a day), hosts without a PTR record for the
// negative answer's TTL (5 minutes to a day), failed lookups (timeouts, SERVFAIL) retried after 5
// minutes; at most `queries_per_second` queries leave (a burst of `burst`), at most
// `max_queued` wait, and the cache holds at most `capacity` hosts, the least recently read going
// first. The answers are parsed with libldns.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "netmon/address.h"

namespace netmon {

// "10.2.0.192.in-addr.arpa" for 192.0.2.10; the nibbles under ip6.arpa for IPv6.
std::string reverse_lookup_name(const IpAddress& address);

// What a response to a PTR query says.
struct PtrAnswer {
    enum class Kind { named, unnamed, failed } kind = Kind::failed;
    std::string name;              // named: the first PTR target, lower case, no trailing dot
    std::int64_t ttl_seconds = 0;  // named: the record's TTL; unnamed: the SOA's negative TTL, when given
};
// Parses the wire form of a response. NOERROR with a PTR record: named; NXDOMAIN, or NOERROR
// without one: unnamed; anything else (SERVFAIL, REFUSED, garbage): failed. A target that is
// not printable text, or is longer than 253 bytes, counts as no name.
PtrAnswer parse_ptr_response(std::span<const std::uint8_t> wire);

// Per-second budget, tokens refilled continuously. Pure: times are given.
class TokenBucket {
public:
    TokenBucket(double per_second, double burst);
    bool take(std::int64_t now_ms);
    // Milliseconds until take() would succeed (0 when it would now).
    std::int64_t wait_ms(std::int64_t now_ms) const;

private:
    void refill(std::int64_t now_ms);
    double per_second_;
    double burst_;
    double tokens_;
    std::int64_t at_ms_ = 0;
    bool started_ = false;
};

// The cache itself, pure (no clock, no network, no locking).
class PtrCache {
public:
    explicit PtrCache(std::size_t capacity);

    struct Lookup {
        std::optional<std::string> name;  // a cached, unexpired name
        bool query = false;               // the caller should look it up (it is now pending)
    };
    // What is known of address at now; an unknown or expired address becomes pending and is
    // asked for once, until resolved() or failed() says how it went.
    Lookup lookup(const IpAddress& address, std::int64_t now_ms);
    void resolved(const IpAddress& address, const PtrAnswer& answer, std::int64_t now_ms);
    // The query was never sent (the queue was full) or gave no answer: asked again later.
    void forget_pending(const IpAddress& address);
    // The addresses whose name (the one lookup gives, expired or not) holds q (name_matches).
    std::vector<IpAddress> matching(std::string_view q) const;

    std::size_t size() const { return entries_.size(); }
    std::uint64_t evicted() const { return evicted_; }

    static constexpr std::int64_t min_ttl_s = 60;
    static constexpr std::int64_t max_ttl_s = 86'400;
    static constexpr std::int64_t min_negative_ttl_s = 300;
    static constexpr std::int64_t failure_retry_s = 300;

private:
    struct Entry {
        std::optional<std::string> name;
        std::int64_t expires_at_ms = 0;
        bool pending = false;
        std::list<IpAddress>::iterator recency;
    };
    void touch(Entry& entry);
    void evict_to_capacity();

    std::size_t capacity_;
    std::unordered_map<IpAddress, Entry, IpAddressHash> entries_;
    std::list<IpAddress> recency_;  // most recently read first
    std::uint64_t evicted_ = 0;
};

class ReverseDns {
public:
    struct Options {
        // "127.0.0.1:5353,[::1]:53"; empty: /etc/resolv.conf's name servers.
        std::string servers;
        double queries_per_second = 20;
        double burst = 50;
        std::size_t capacity = 100'000;
        std::size_t max_queued = 4'096;
        int timeout_ms = 2'000;  // per try; two tries
    };
    struct Stats {
        std::uint64_t queries = 0;   // sent
        std::uint64_t named = 0;     // answers with a name
        std::uint64_t unnamed = 0;   // NXDOMAIN or no PTR record
        std::uint64_t failed = 0;    // timeouts, SERVFAIL, ...
        std::uint64_t dropped = 0;   // not queued: the queue was full
        std::size_t cached = 0;
    };

    // Starts the resolver thread. Throws std::runtime_error when c-ares cannot start (bad servers).
    explicit ReverseDns(Options options);
    ~ReverseDns();
    ReverseDns(const ReverseDns&) = delete;
    ReverseDns& operator=(const ReverseDns&) = delete;

    // The cached name of address, if any; never waits. Unknown addresses are queued.
    std::optional<std::string> name(const IpAddress& address);
    // The cached addresses whose name holds q (PtrCache::matching); never waits for a query.
    std::vector<IpAddress> matching(std::string_view q) const;
    Stats stats() const;

    // The resolver's state, shared with its thread and c-ares' callbacks.
    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
    std::thread thread_;
};

}  // namespace netmon
