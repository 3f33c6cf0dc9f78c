// Which rows a cycle writes about the LAN's devices (pure), and the store writing and pruning
// them (a real SQLite file).
#include <catch2/catch.hpp>

#include "db_support.h"
#include "names/device_directory.h"
#include "retention.h"
#include "store.h"

using namespace netmon;
using namespace netmon::test;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
MacAddress mac(const char* text) { return *MacAddress::parse(text); }
std::vector<Cidr> lan() { return {*Cidr::parse("10.0.0.0/24"), *Cidr::parse("fd00::/64")}; }

const MacAddress laptop = *MacAddress::parse("3c:22:fb:00:00:01");

}  // namespace

TEST_CASE("device directory: new addresses written, unchanged ones left for a minute, moves at once", "[devices]") {
    DeviceDirectory directory(lan());
    Names names;
    names.device_by_mac = {{laptop, "laptop"}};
    DeviceNamer namer(names, nullptr);
    std::vector<Neighbour> table = {{ip("10.0.0.11"), laptop}, {ip("fd00::11"), laptop},
                                    {ip("192.0.2.1"), mac("00:11:22:33:44:55")},  // not the LAN's
                                    {ip("fe80::1"), mac("00:11:22:33:44:66")}};
    DeviceChanges changes = directory.changes(table, {}, namer, 1000);
    REQUIRE(changes.addresses.size() == 2);
    CHECK(changes.addresses[0] == LanAddressRow{ip("10.0.0.11"), laptop, 1000});
    CHECK(changes.addresses[1] == LanAddressRow{ip("fd00::11"), laptop, 1000});
    REQUIRE(changes.names.size() == 1);
    CHECK(changes.names[0] == DeviceNameRow{std::string(laptop.blob()), {"laptop", DeviceNameSource::config, {}}, 1000});
    directory.written(changes);

    // The same table a second later: nothing to write.
    CHECK(directory.changes(table, {}, namer, 2000).empty());
    // A privacy address joins: only it is written; the name stays.
    table.push_back({ip("fd00::a1b2"), laptop});
    changes = directory.changes(table, {}, namer, 3000);
    REQUIRE(changes.addresses.size() == 1);
    CHECK(changes.addresses[0].address == ip("fd00::a1b2"));
    CHECK(changes.names.empty());
    directory.written(changes);
    // A minute after its last write, each address's last_seen_at is written again.
    changes = directory.changes(table, {}, namer, 1000 + DeviceDirectory::refresh_ms);
    CHECK(changes.addresses.size() == 2);
    directory.written(changes);
    // An address that moves to another MAC is written at once.
    table[0].mac = mac("3c:22:fb:00:00:02");
    changes = directory.changes(table, {}, namer, 62'000);
    REQUIRE(changes.addresses.size() == 1);
    CHECK(changes.addresses[0].mac == mac("3c:22:fb:00:00:02"));
}

TEST_CASE("device directory: leases give MACs where the table does not, and names that change", "[devices]") {
    DeviceDirectory directory(lan());
    DeviceNamer namer(Names{}, nullptr);
    std::vector<Lease> leases = {{ip("10.0.0.21"), mac("3c:22:fb:00:00:21"), "desk"},
                                 {ip("10.0.0.11"), mac("3c:22:fb:00:00:99"), "stale"},
                                 {ip("10.0.0.22"), std::nullopt, "no-mac"}};
    namer.set_leases(leases);
    const std::vector<Neighbour> table = {{ip("10.0.0.11"), laptop}};
    DeviceChanges changes = directory.changes(table, leases, namer, 1000);
    REQUIRE(changes.addresses.size() == 2);
    CHECK(changes.addresses[0] == LanAddressRow{ip("10.0.0.11"), laptop, 1000});  // the table wins
    CHECK(changes.addresses[1] == LanAddressRow{ip("10.0.0.21"), mac("3c:22:fb:00:00:21"), 1000});
    // The laptop is named by its address's lease; the lease without a MAC names its address.
    REQUIRE(changes.names.size() == 3);
    CHECK(changes.names[0].device == std::string(laptop.blob()));
    CHECK(changes.names[0].name.name == "stale");
    CHECK(changes.names[1].name.name == "desk");
    CHECK(changes.names[2] == DeviceNameRow{std::string(ip("10.0.0.22").blob()),
                                            {"no-mac", DeviceNameSource::dhcp, {}}, 1000});
    directory.written(changes);
    CHECK(directory.changes(table, leases, namer, 1500).empty());
    // The lease file is rewritten with a new hostname: that device is renamed, nothing else.
    leases[0].hostname = "desk-2";
    namer.set_leases(leases);
    changes = directory.changes(table, leases, namer, 2000);
    CHECK(changes.addresses.empty());
    REQUIRE(changes.names.size() == 1);
    CHECK(changes.names[0].name.name == "desk-2");
    // A replay: no table, the leases alone.
    DeviceDirectory replay(lan());
    changes = replay.changes({}, leases, namer, 1000);
    REQUIRE(changes.addresses.size() == 2);
    CHECK(changes.addresses[0] == LanAddressRow{ip("10.0.0.11"), mac("3c:22:fb:00:00:99"), 1000});
}

TEST_CASE("device directory: names.devices by address names a device whose MAC is unknown", "[devices]") {
    DeviceDirectory directory(lan());
    Names names;
    names.device_by_address = {{ip("10.0.0.40"), "server"}, {ip("198.51.100.1"), "not ours"}};
    DeviceNamer namer(names, nullptr);
    DeviceChanges changes = directory.changes({}, {}, namer, 1000);
    REQUIRE(changes.names.size() == 1);
    CHECK(changes.names[0] ==
          DeviceNameRow{std::string(ip("10.0.0.40").blob()), {"server", DeviceNameSource::config, {}}, 1000});
}

TEST_CASE("the store writes lan_addresses and device_names, and the retention prunes them", "[devices][store]") {
    TempDir dir;
    Store store(dir.file("netmon.db"));
    DeviceChanges changes;
    changes.addresses = {{ip("10.0.0.11"), laptop, 1000}, {ip("fd00::11"), laptop, 1000}};
    changes.names = {{std::string(laptop.blob()), {"laptop", DeviceNameSource::dhcp, "Apple, Inc."}, 1000},
                     {std::string(ip("10.0.0.40").blob()), {}, 1000}};
    changes.lease_lines_skipped = 3;
    store.write([&] { store.write_devices(changes); });
    Database& db = store.database();
    CHECK(query_int(db, "SELECT count(*) FROM lan_addresses WHERE mac = X'3c22fb000001'") == 2);
    CHECK(query_text(db, "SELECT name || '/' || source || '/' || vendor FROM device_names WHERE device = X'3c22fb000001'") ==
          "laptop/dhcp/Apple, Inc.");
    CHECK(query_int(db, "SELECT count(*) FROM device_names WHERE device = X'0a000028' AND name IS NULL"
                        " AND source IS NULL AND vendor IS NULL") == 1);
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'lease_lines_skipped_total'") == 3);

    // Seen again later: first_seen_at kept, last_seen_at moved; renamed.
    changes.addresses = {{ip("10.0.0.11"), laptop, 5000}};
    changes.names = {{std::string(laptop.blob()), {"laptop-2", DeviceNameSource::config, "Apple, Inc."}, 5000}};
    changes.lease_lines_skipped = 0;
    store.write([&] { store.write_devices(changes); });
    CHECK(query_text(db, "SELECT first_seen_at || ' ' || last_seen_at FROM lan_addresses WHERE address = X'0a00000b'") ==
          "1000 5000");
    CHECK(query_text(db, "SELECT name || ' ' || source || ' ' || updated_at FROM device_names WHERE device = X'3c22fb000001'") ==
          "laptop-2 config 5000");
    CHECK(query_int(db, "SELECT value FROM meta WHERE key = 'lease_lines_skipped_total'") == 3);

    // The retention: fd00::11 (last seen at 1000) goes, 10.0.0.11 stays, and so does the
    // laptop's name; the name of 10.0.0.40 (no address row, no devices row) goes.
    HistoryPruning pruning = plan_history_pruning(Retention{}, 0, HistoryRowCounts{});
    pruning.lan_addresses_before = 2000;
    store.write([&] { store.prune_history(pruning); });
    CHECK(query_int(db, "SELECT count(*) FROM lan_addresses") == 1);
    CHECK(query_int(db, "SELECT count(*) FROM device_names") == 1);
    // With the laptop's last address gone, its name goes too once old enough.
    pruning.lan_addresses_before = 6000;
    store.write([&] { store.prune_history(pruning); });
    CHECK(query_int(db, "SELECT count(*) FROM lan_addresses") == 0);
    CHECK(query_int(db, "SELECT count(*) FROM device_names") == 0);
}

TEST_CASE("the history's pruning plan: LAN addresses kept as long as the daily traffic, a day at least", "[devices]") {
    Retention retention;
    const std::int64_t now = 1000LL * 86'400'000;
    CHECK(plan_history_pruning(retention, now, {}).lan_addresses_before == now - 730LL * 86'400'000);
    retention.traffic_per_day_days = 0;
    CHECK(plan_history_pruning(retention, now, {}).lan_addresses_before == now - 86'400'000);
}
