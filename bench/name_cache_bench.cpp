// The remote-name LRU's memory and speed: 100,000 distinct (client, address) -> name answers
// (names of 20 to 40 bytes, as CDNs' are), the heap it holds measured with glibc's malloc
// accounting (mallinfo2) and with its own count, and the answers noted per second. Then a flood
// of a million more into the same bound.
//   build/bench/name_cache_bench [names]
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "names/remote_name_cache.h"

using namespace netmon;

namespace {

// In use: from the heap, and in chunks of their own (hblkhd: large blocks malloc maps).
std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

IpAddress address_of(std::uint32_t i) {
    return IpAddress::v4(198, static_cast<std::uint8_t>(18 + (i >> 24 & 1)), static_cast<std::uint8_t>(i >> 16),
                         static_cast<std::uint8_t>(i >> 8));
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint32_t count = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 100'000;
    std::vector<std::string> names;
    names.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string name = "edge-" + std::to_string(i) + ".video.example.net";
        name.append(i % 17, 'x');  // 20 to 45 bytes
        names.push_back(std::move(name));
    }
    std::size_t name_bytes = 0;
    for (const auto& name : names) name_bytes += name.size();

    const std::size_t before = heap_in_use();
    auto cache = std::make_unique<RemoteNameCache>(count, 300'000);
    const auto started = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < count; ++i) {
        IpAddress client = IpAddress::v4(10, 0, static_cast<std::uint8_t>(i % 4), static_cast<std::uint8_t>(i % 250 + 2));
        IpAddress address = address_of(i);
        address.bytes[3] = static_cast<std::uint8_t>(i);
        cache->note(client, address, names[i], 300, i);
        // As the ingest does: the changes are taken after each drain of NFLOG, a few thousand at most.
        if (i % 4096 == 4095) cache->take_changes();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    cache->take_changes();
    const std::size_t held = heap_in_use() - before;
    std::printf("%u names (average %.1f bytes): %.2f MiB of heap (mallinfo2), %.2f MiB by the cache's own count, "
                "%.0f bytes a name\n",
                count, static_cast<double>(name_bytes) / count, held / 1048576.0, cache->memory_bytes() / 1048576.0,
                static_cast<double>(held) / count);
    std::printf("noted %.0f answers/s (one core)\n", count / seconds);

    // A flood of ten times as many distinct answers: the memory stays.
    const auto flood_started = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < 10 * count; ++i) {
        IpAddress address;
        address.family = Family::v6;
        address.bytes[0] = 0x20, address.bytes[1] = 0x01, address.bytes[2] = 0x0d, address.bytes[3] = 0xb8;
        for (int b = 0; b < 4; ++b) address.bytes[12 + b] = static_cast<std::uint8_t>(i >> (24 - 8 * b));
        cache->note(IpAddress::v4(10, 0, 0, 11), address, names[i % count], 60, count + i);
        if (i % 4096 == 0) cache->take_changes();
    }
    const double flood_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - flood_started).count();
    cache->take_changes();
    std::printf("flood of %u more: %.2f MiB of heap, %zu names, %llu evicted, %.0f answers/s\n", 10 * count,
                (heap_in_use() - before) / 1048576.0, cache->size(),
                static_cast<unsigned long long>(cache->evictions()), 10 * count / flood_seconds);
    return 0;
}
