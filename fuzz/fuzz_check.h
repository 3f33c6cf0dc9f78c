#pragma once
// What the harnesses share: a property check that aborts, so that libFuzzer and the replay
// runner both report the input that broke it.

#include <cstdio>
#include <cstdlib>

namespace netmon::fuzz {

inline void check(bool condition, const char* property) {
    if (condition) return;
    std::fprintf(stderr, "fuzz: property broken: %s\n", property);
    std::abort();
}

}  // namespace netmon::fuzz
