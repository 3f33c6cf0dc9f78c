#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "flow_table.h"
#include "netmon/key.h"

using namespace netmon;

namespace {

Key key_for(std::uint32_t n) {
    Key key;
    key.protocol = n % 3 == 0 ? 17 : 6;
    key.src = IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(n % 250));
    key.dst = IpAddress::v4(192, 0, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8));
    key.sport = static_cast<std::uint16_t>(n);
    key.dport = 443;
    return key;
}

}  // namespace

TEST_CASE("the flow table agrees with std::unordered_map under random use", "[flow_table]") {
    FlowTable table;
    std::unordered_map<Key, std::int64_t, KeyHash> reference;
    std::mt19937 random(7);
    std::uniform_int_distribution<std::uint32_t> pick(0, 20000);
    for (int step = 0; step < 200000; ++step) {
        Key key = key_for(pick(random));
        switch (random() % 3) {
            case 0: {
                auto [flow, inserted] = table.emplace(key);
                CHECK(inserted == (reference.count(key) == 0));
                if (inserted) flow->id = step + 1;
                reference.emplace(key, flow->id);
                break;
            }
            case 1: {
                Flow* flow = table.find(key);
                auto found = reference.find(key);
                REQUIRE((flow != nullptr) == (found != reference.end()));
                if (flow) CHECK(flow->id == found->second);
                break;
            }
            default:
                if (Flow* flow = table.find(key)) {
                    table.erase(flow);
                    reference.erase(key);
                }
        }
        REQUIRE(table.size() == reference.size());
    }
    std::size_t seen = 0;
    table.for_each([&](const Key& key, Flow& flow) {
        ++seen;
        CHECK(reference.at(key) == flow.id);
    });
    CHECK(seen == reference.size());
}

TEST_CASE("erasing while iterating, reserve and clear", "[flow_table]") {
    FlowTable table;
    table.reserve(50000);
    const std::size_t capacity = table.capacity();
    for (std::uint32_t n = 0; n < 50000; ++n) table.emplace(key_for(n)).first->id = n + 1;
    CHECK(table.capacity() == capacity);  // reserved: no growth
    table.for_each([&](const Key&, Flow& flow) {
        if (flow.id % 2 == 0) table.erase(&flow);
    });
    CHECK(table.size() == 25000);
    CHECK(table.find(key_for(0)) != nullptr);   // id 1
    CHECK(table.find(key_for(1)) == nullptr);   // id 2
    // Tombstones are reused or swept; the table keeps working past its old fill.
    for (std::uint32_t n = 50000; n < 120000; ++n) table.emplace(key_for(n));
    CHECK(table.size() == 95000);
    CHECK(table.find(key_for(119999)) != nullptr);
    table.clear();
    CHECK(table.size() == 0);
    CHECK(table.find(key_for(0)) == nullptr);
}
