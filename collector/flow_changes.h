#pragma once
// What one read of the kernel's table, or one batch of its events, changes in the stored
// flows: the change set FlowDiff decides without a database or a clock, and Store::apply
// writes. Every flow that ended is in it with its final counters, and every flow that moved
// with the bytes it added, for whatever keeps history of them.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow_table.h"
#include "netmon/address.h"
#include "netmon/counters.h"
#include "netmon/key.h"

namespace netmon {

// What one batch of changes did to one remote host.
struct HostActivity {
    std::uint64_t uplink_bytes = 0;  // new bytes, summed over its flows
    std::uint64_t downlink_bytes = 0;
    std::uint32_t new_connections = 0;
};

// A connections row as the store holds it, read back at start, with its counter offset when it
// has one.
struct StoredConnection {
    std::int64_t id = 0;
    Key key;
    std::string state;
    std::uint8_t flags = 0;
    Counters totals;
    Counters offset;
    bool has_offset = false;
    bool moving = false;  // its rates are not zero
};

struct FlowChanges {
    // A flow new to the store: a connections row to insert. Its bytes are all new. It points
    // into the diff's memory (valid until the diff's next batch), not a copy: a cold start's
    // 262,144 new flows would otherwise hold the flow table twice.
    struct Inserted {
        const Key* key = nullptr;
        const Flow* flow = nullptr;          // flags, and raw: its totals, the last reading in the batch
        const std::string* state = nullptr;  // its name, "" for none
    };
    // A stored flow whose counters, state or flags changed.
    struct Updated {
        std::int64_t id = 0;
        std::string state;
        std::uint8_t flags = 0;
        bool counters_moved = false;  // else only the state or flags changed
        Counters totals;              // when counters_moved: the new totals (reading + offset)
        Counters delta;               // what they added since the last reading
        Key key;                      // for whatever keeps history by device and remote host
    };
    enum class End : std::uint8_t {
        destroyed,  // its DESTROY (an event, or a line of a replayed text)
        gone,       // a full read no longer listed it
        late,       // its DESTROY after a read found it gone: its row went already
    };
    // A flow that ended. id 0: it has no row (born and gone in one batch, or End::late).
    struct Ended {
        std::int64_t id = 0;
        Key key;
        Counters totals;  // the final ones (End::gone: the last reading's)
        Counters delta;   // what its final counters added
        bool has_offset = false;
        End end = End::destroyed;
        std::string state;  // its last one ("" for none)
        std::uint8_t flags = 0;
    };
    // A flow whose kernel counters went down (reset by another tool): its counter_offsets row.
    struct Reset {
        std::int64_t id = 0;
        Counters offset;
    };
    // The end of a sample period for a row that moved in it (moved) or in the one before.
    struct Sample {
        std::int64_t id = 0;
        bool moved = false;
    };
    // What the changes add up to; inserted and deleted count flows born and gone in the batch too.
    struct Counts {
        std::uint64_t inserted = 0;
        std::uint64_t updated = 0;
        std::uint64_t unchanged = 0;
        std::uint64_t deleted = 0;
        std::uint64_t resets = 0;
    };

    std::int64_t now = 0;  // the time of the batch, for last_seen_at and the rest
    // The last full read written before this batch (this one's time for a full read): a flow
    // first seen after it never had its counters read before it ended.
    std::int64_t last_read_at = INT64_MIN;
    std::vector<Inserted> inserted;
    std::vector<Updated> updated;  // in the order they came: a flow may change twice in one batch
    std::vector<Ended> ended;
    std::vector<Reset> resets;
    std::vector<Sample> samples;
    std::unordered_map<IpAddress, HostActivity, IpAddressHash> hosts;  // each touched remote host
    Counts counts;
};

}  // namespace netmon
