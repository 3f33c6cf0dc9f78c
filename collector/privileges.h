#pragma once
// What netmon-ingest keeps of its privileges: CAP_NET_ADMIN (to read conntrack) and nothing
// else, once its sockets and database are open.

#include <string>

namespace netmon {

// Drops every capability but CAP_NET_ADMIN from the effective, permitted, inheritable and
// ambient sets, and from the bounding set when allowed (it needs CAP_SETPCAP, which root has
// and a unit's service user does not), then sets no_new_privs, so that nothing this process
// runs can gain privileges. Throws std::system_error naming the step that failed.
void keep_only_net_admin();

// The process's capability sets as /proc/self/status shows them, for the log:
// "CapEff=0000000000001000 CapPrm=... CapBnd=...".
std::string capability_summary();

}  // namespace netmon
