#include "reverse_dns.h"

#include <ares.h>
#include <stdbool.h>  // before ldns, which would otherwise define bool, true and false as macros
#include <ldns/ldns.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>

#include "names.h"
#include "netmon/utf8.h"

namespace netmon {
namespace {

constexpr std::size_t max_name_bytes = 253;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct PacketFree {
    void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
struct CharFree {
    void operator()(char* text) const { std::free(text); }
};

// A PTR target as people read it: ldns' presentation form (non-printable bytes escaped), lower
// case, without the root's dot. Nothing for a name that needed escapes or is too long.
std::optional<std::string> readable_name(const ldns_rdf* rdf) {
    if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
    std::unique_ptr<char, CharFree> text(ldns_rdf2str(rdf));
    if (!text) return std::nullopt;
    std::string name(text.get());
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.size() > max_name_bytes || name.find('\\') != std::string::npos ||
        !is_printable_utf8(name, false))
        return std::nullopt;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return name;
}

// The negative answer's TTL (RFC 2308): the SOA's TTL or its minimum, whichever is smaller.
std::int64_t negative_ttl(const ldns_pkt* packet) {
    const ldns_rr_list* authority = ldns_pkt_authority(packet);
    for (std::size_t i = 0; authority && i < ldns_rr_list_rr_count(authority); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(authority, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 7) continue;
        const std::int64_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
        return std::min<std::int64_t>(ldns_rr_ttl(rr), minimum);
    }
    return 0;
}

}  // namespace

std::string reverse_lookup_name(const IpAddress& address) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string name;
    const std::string_view bytes = address.blob();
    if (bytes.size() == 4) {
        for (std::size_t i = 4; i-- > 0;) name += std::to_string(static_cast<unsigned char>(bytes[i])) + ".";
        return name + "in-addr.arpa";
    }
    for (std::size_t i = bytes.size(); i-- > 0;) {
        const auto byte = static_cast<unsigned char>(bytes[i]);
        name += digits[byte & 0x0f];
        name += '.';
        name += digits[byte >> 4];
        name += '.';
    }
    return name + "ip6.arpa";
}

PtrAnswer parse_ptr_response(std::span<const std::uint8_t> wire) {
    PtrAnswer answer;
    ldns_pkt* raw = nullptr;
    if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK) return answer;
    std::unique_ptr<ldns_pkt, PacketFree> packet(raw);
    if (!ldns_pkt_qr(packet.get())) return answer;
    const ldns_pkt_rcode rcode = ldns_pkt_get_rcode(packet.get());
    if (rcode == LDNS_RCODE_NXDOMAIN) {
        answer.kind = PtrAnswer::Kind::unnamed;
        answer.ttl_seconds = negative_ttl(packet.get());
        return answer;
    }
    if (rcode != LDNS_RCODE_NOERROR) return answer;
    const ldns_rr_list* records = ldns_pkt_answer(packet.get());
    for (std::size_t i = 0; records && i < ldns_rr_list_rr_count(records); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(records, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_PTR || ldns_rr_rd_count(rr) < 1) continue;
        if (auto name = readable_name(ldns_rr_rdf(rr, 0))) {
            answer.kind = PtrAnswer::Kind::named;
            answer.name = std::move(*name);
            answer.ttl_seconds = ldns_rr_ttl(rr);
            return answer;
        }
    }
    answer.kind = PtrAnswer::Kind::unnamed;
    answer.ttl_seconds = negative_ttl(packet.get());
    return answer;
}

TokenBucket::TokenBucket(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(burst, 1.0)), tokens_(burst_) {}

void TokenBucket::refill(std::int64_t now_ms) {
    if (!started_) {
        started_ = true;
        at_ms_ = now_ms;
        return;
    }
    if (now_ms <= at_ms_) return;
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - at_ms_) * per_second_ / 1000.0);
    at_ms_ = now_ms;
}

bool TokenBucket::take(std::int64_t now_ms) {
    refill(now_ms);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
}

std::int64_t TokenBucket::wait_ms(std::int64_t now_ms) const {
    TokenBucket copy = *this;
    copy.refill(now_ms);
    if (copy.tokens_ >= 1.0) return 0;
    if (per_second_ <= 0) return 1000;
    return static_cast<std::int64_t>((1.0 - copy.tokens_) * 1000.0 / per_second_) + 1;
}

PtrCache::PtrCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void PtrCache::touch(Entry& entry) { recency_.splice(recency_.begin(), recency_, entry.recency); }

void PtrCache::evict_to_capacity() {
    // Pending entries are evicted too: their answer then finds no entry and is kept as new.
    while (entries_.size() > capacity_) {
        entries_.erase(recency_.back());
        recency_.pop_back();
        ++evicted_;
    }
}

std::vector<IpAddress> PtrCache::matching(std::string_view q) const {
    std::vector<IpAddress> found;
    for (const auto& [address, entry] : entries_)
        if (entry.name && web::name_matches(*entry.name, q)) found.push_back(address);
    return found;
}

PtrCache::Lookup PtrCache::lookup(const IpAddress& address, std::int64_t now_ms) {
    Lookup result;
    auto it = entries_.find(address);
    if (it == entries_.end()) {
        recency_.push_front(address);
        Entry entry;
        entry.pending = true;
        entry.recency = recency_.begin();
        entries_.emplace(address, std::move(entry));
        evict_to_capacity();
        result.query = true;
        return result;
    }
    Entry& entry = it->second;
    touch(entry);
    if (entry.pending) return result;
    if (now_ms < entry.expires_at_ms) {
        result.name = entry.name;
        return result;
    }
    // Expired: the old name is still the best there is while it is asked for again.
    result.name = entry.name;
    entry.pending = true;
    result.query = true;
    return result;
}

void PtrCache::resolved(const IpAddress& address, const PtrAnswer& answer, std::int64_t now_ms) {
    auto it = entries_.find(address);
    if (it == entries_.end()) {
        recency_.push_front(address);
        Entry entry;
        entry.recency = recency_.begin();
        it = entries_.emplace(address, std::move(entry)).first;
        evict_to_capacity();
        it = entries_.find(address);
        if (it == entries_.end()) return;
    }
    Entry& entry = it->second;
    entry.pending = false;
    std::int64_t ttl = failure_retry_s;
    switch (answer.kind) {
    case PtrAnswer::Kind::named:
        entry.name = answer.name;
        ttl = std::clamp(answer.ttl_seconds, min_ttl_s, max_ttl_s);
        break;
    case PtrAnswer::Kind::unnamed:
        entry.name.reset();
        ttl = std::clamp(answer.ttl_seconds, min_negative_ttl_s, max_ttl_s);
        break;
    case PtrAnswer::Kind::failed:
        break;  // a name it had stays until it is asked again
    }
    entry.expires_at_ms = now_ms + ttl * 1000;
}

void PtrCache::forget_pending(const IpAddress& address) {
    auto it = entries_.find(address);
    if (it == entries_.end() || !it->second.pending) return;
    if (it->second.expires_at_ms == 0 && !it->second.name) {
        recency_.erase(it->second.recency);
        entries_.erase(it);
    } else {
        it->second.pending = false;
    }
}

// ---- the resolver thread

struct ReverseDns::Shared {
    explicit Shared(Options o) : options(std::move(o)), cache(options.capacity), bucket(options.queries_per_second, options.burst) {}
    ~Shared() {
        if (channel) ares_destroy(channel);
        if (wake_fd >= 0) ::close(wake_fd);
    }

    Options options;
    mutable std::mutex mutex;  // cache, queue, stats, stop
    PtrCache cache;
    std::deque<IpAddress> queue;
    Stats stats;
    bool stop = false;
    // The thread's own: c-ares is used from that thread only (after the constructor made it).
    TokenBucket bucket;
    ares_channel channel = nullptr;
    int wake_fd = -1;

    void wake() const {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
    }
};

namespace {

struct Query {
    ReverseDns::Shared* shared;
    IpAddress address;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* wire, int length) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    ReverseDns::Shared& shared = *query->shared;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
    PtrAnswer answer;
    if (wire != nullptr && length > 0) {
        answer = parse_ptr_response({wire, static_cast<std::size_t>(length)});
    } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
        answer.kind = PtrAnswer::Kind::unnamed;
    }
    std::lock_guard lock(shared.mutex);
    shared.cache.resolved(query->address, answer, steady_ms());
    switch (answer.kind) {
    case PtrAnswer::Kind::named: ++shared.stats.named; break;
    case PtrAnswer::Kind::unnamed: ++shared.stats.unnamed; break;
    case PtrAnswer::Kind::failed: ++shared.stats.failed; break;
    }
}

void run_resolver(const std::shared_ptr<ReverseDns::Shared>& owner) {
    ReverseDns::Shared& shared = *owner;
    for (;;) {
        std::vector<IpAddress> to_send;
        {
            std::lock_guard lock(shared.mutex);
            if (shared.stop) return;
            const std::int64_t now = steady_ms();
            while (!shared.queue.empty() && shared.bucket.take(now)) {
                to_send.push_back(shared.queue.front());
                shared.queue.pop_front();
            }
            shared.stats.queries += to_send.size();
        }
        for (const IpAddress& address : to_send) {
            const std::string name = reverse_lookup_name(address);
            ares_query(shared.channel, name.c_str(), 1 /* IN */, 12 /* PTR */, on_answer,
                       new Query{&shared, address});
        }

        ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
        const int bits = ares_getsock(shared.channel, sockets, ARES_GETSOCK_MAXNUM);
        std::vector<pollfd> fds{{shared.wake_fd, POLLIN, 0}};
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            short events = 0;
            if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
            if (events != 0) fds.push_back({sockets[i], events, 0});
        }
        int timeout_ms = 1000;
        timeval wait{}, limit{1, 0};
        if (const timeval* t = ares_timeout(shared.channel, &limit, &wait))
            timeout_ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000) + 1;
        {
            std::lock_guard lock(shared.mutex);
            if (!shared.queue.empty())
                timeout_ms = std::min<int>(timeout_ms, static_cast<int>(shared.bucket.wait_ms(steady_ms())));
        }
        const int ready = ::poll(fds.data(), fds.size(), std::max(timeout_ms, 0));
        if (ready < 0 && errno != EINTR) return;
        if (fds[0].revents & POLLIN) {
            std::uint64_t count = 0;
            [[maybe_unused]] ssize_t n = ::read(shared.wake_fd, &count, sizeof count);
        }
        bool any = false;
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            any = true;
            const bool readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
            const bool writable = (fds[i].revents & POLLOUT) != 0;
            ares_process_fd(shared.channel, readable ? fds[i].fd : ARES_SOCKET_BAD,
                            writable ? fds[i].fd : ARES_SOCKET_BAD);
        }
        if (!any) ares_process_fd(shared.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
    }
}

}  // namespace

ReverseDns::ReverseDns(Options options) : shared_(std::make_shared<Shared>(std::move(options))) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw std::runtime_error("c-ares did not initialize");
    ares_options opts{};
    opts.timeout = shared_->options.timeout_ms;
    opts.tries = 2;
    int status = ares_init_options(&shared_->channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status != ARES_SUCCESS)
        throw std::runtime_error(std::string("reverse DNS: ") + ares_strerror(status));
    if (!shared_->options.servers.empty()) {
        status = ares_set_servers_ports_csv(shared_->channel, shared_->options.servers.c_str());
        if (status != ARES_SUCCESS)
            throw std::runtime_error("reverse DNS: the servers \"" + shared_->options.servers +
                                     "\": " + ares_strerror(status));
    }
    shared_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (shared_->wake_fd < 0) throw std::runtime_error(std::string("reverse DNS: eventfd: ") + std::strerror(errno));
    thread_ = std::thread([owner = shared_] { run_resolver(owner); });
}

ReverseDns::~ReverseDns() {
    {
        std::lock_guard lock(shared_->mutex);
        shared_->stop = true;
    }
    shared_->wake();
    thread_.join();
}

std::vector<IpAddress> ReverseDns::matching(std::string_view q) const {
    std::lock_guard lock(shared_->mutex);
    return shared_->cache.matching(q);
}

std::optional<std::string> ReverseDns::name(const IpAddress& address) {
    bool queued = false;
    std::optional<std::string> result;
    {
        std::lock_guard lock(shared_->mutex);
        PtrCache::Lookup lookup = shared_->cache.lookup(address, steady_ms());
        result = std::move(lookup.name);
        if (lookup.query) {
            if (shared_->queue.size() >= shared_->options.max_queued) {
                shared_->cache.forget_pending(address);
                ++shared_->stats.dropped;
            } else {
                shared_->queue.push_back(address);
                queued = true;
            }
        }
    }
    if (queued) shared_->wake();
    return result;
}

ReverseDns::Stats ReverseDns::stats() const {
    std::lock_guard lock(shared_->mutex);
    Stats copy = shared_->stats;
    copy.cached = shared_->cache.size();
    return copy;
}

}  // namespace netmon
