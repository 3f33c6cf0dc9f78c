#include "privileges.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <system_error>

namespace netmon {
namespace {

struct CapFree {
    void operator()(cap_t caps) const noexcept { cap_free(caps); }
};
using Caps = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

[[noreturn]] void fail(const char* step) { throw std::system_error(errno, std::generic_category(), step); }

// Whether caps has cap in set. Throws std::system_error naming the capability.
bool has_flag(cap_t caps, cap_value_t cap, cap_flag_t set, const char* step) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps, cap, set, &value) != 0) fail(step);
    return value == CAP_SET;
}

}  // namespace

void keep_only_net_admin() {
    // The bounding set first, while CAP_SETPCAP (if we have it at all) is still effective.
    Caps current(cap_get_proc());
    if (!current) fail("cap_get_proc");
    if (has_flag(current.get(), CAP_SETPCAP, CAP_EFFECTIVE, "reading whether CAP_SETPCAP is effective")) {
        for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap) {
            if (cap == CAP_NET_ADMIN || CAP_IS_SUPPORTED(cap) == 0) continue;
            if (cap_drop_bound(cap) != 0) fail("dropping the capability bounding set");
        }
    }
    if (cap_reset_ambient() != 0 && errno != EINVAL) fail("clearing the ambient capabilities");

    const bool net_admin =
        has_flag(current.get(), CAP_NET_ADMIN, CAP_PERMITTED, "reading whether CAP_NET_ADMIN is permitted");
    Caps wanted(cap_init());
    if (!wanted) fail("cap_init");
    if (net_admin) {
        const cap_value_t keep[] = {CAP_NET_ADMIN};
        if (cap_set_flag(wanted.get(), CAP_EFFECTIVE, 1, keep, CAP_SET) != 0 ||
            cap_set_flag(wanted.get(), CAP_PERMITTED, 1, keep, CAP_SET) != 0)
            fail("cap_set_flag");
    }
    if (cap_set_proc(wanted.get()) != 0) fail("setting the capabilities");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
}

std::string capability_summary() {
    std::ifstream status("/proc/self/status");
    std::string summary;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("Cap", 0) != 0) continue;
        auto colon = line.find(':');
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        if (!summary.empty()) summary += ' ';
        summary += line.substr(0, colon) + "=" + value;
    }
    return summary;
}

}  // namespace netmon
