// Text from outside: UTF-8 validation, quoting in messages, the stored flags' words, the clock.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "netmon/clock.h"
#include "netmon/entry.h"
#include "netmon/quote.h"
#include "netmon/utf8.h"

using namespace netmon;

TEST_CASE("printable UTF-8: no control characters, tabs only when allowed", "[utf8]") {
    CHECK(is_printable_utf8("", false));
    CHECK(is_printable_utf8("plain text ~", false));
    CHECK(is_printable_utf8("caf\xc3\xa9 \xe2\x86\x91 \xf0\x9f\x98\x80", false));
    CHECK_FALSE(is_printable_utf8("a\tb", false));
    CHECK(is_printable_utf8("a\tb", true));
    for (std::string bad : {std::string("a\nb"), std::string("a\x7f"), std::string("a\0b", 3), std::string("\x1b[0m")}) {
        CAPTURE(bad);
        CHECK_FALSE(is_printable_utf8(bad, false));
        CHECK_FALSE(is_printable_utf8(bad, true));
    }
    CHECK_FALSE(is_printable_utf8("\xc3", true));              // cut short
    CHECK_FALSE(is_printable_utf8("\xc0\xaf", true));          // overlong
    CHECK_FALSE(is_printable_utf8("\xed\xa0\x80", true));      // a surrogate
    CHECK_FALSE(is_printable_utf8("\xf4\x90\x80\x80", true));  // beyond U+10FFFF
    CHECK_FALSE(is_printable_utf8("\x80", true));              // a lone continuation byte
}

TEST_CASE("quoted text in messages", "[quote]") {
    CHECK(quoted("") == "\"\"");
    CHECK(quoted("tcp") == "\"tcp\"");
    CHECK(quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quoted("a\nb\x7f") == "\"a?b?\"");
    CHECK(quoted("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(quoted("abcdef", 3) == "\"abc...\"");
    CHECK(quoted("abc", 3) == "\"abc\"");
    CHECK(quoted(std::string(100, 'x')) == "\"" + std::string(100, 'x') + "\"");
}

TEST_CASE("the stored flags text splits into its names", "[entry]") {
    auto names = [](std::string_view text) {
        std::vector<std::string> out;
        for_each_flag_name(text, [&](std::string_view name) { out.emplace_back(name); });
        return out;
    };
    CHECK(names("").empty());
    CHECK(names("ASSURED") == std::vector<std::string>{"ASSURED"});
    CHECK(names(flags_text(flag::assured | flag::hw_offload)) == std::vector<std::string>{"ASSURED", "HW_OFFLOAD"});
    CHECK(names(" ASSURED  UNREPLIED ") == std::vector<std::string>{"ASSURED", "UNREPLIED"});
}

TEST_CASE("flags_from_text reads back every flags_text, whole words only", "[entry]") {
    for (unsigned flags = 0; flags < 16; ++flags) {
        INFO(flags_text(static_cast<std::uint8_t>(flags)));
        CHECK(flags_from_text(flags_text(static_cast<std::uint8_t>(flags))) == flags);
    }
    CHECK(flags_from_text("HW_OFFLOAD") == flag::hw_offload);
    CHECK(flags_from_text("OFFLOAD") == flag::offload);
    CHECK(flags_from_text("ASSURED  SEEN_REPLY") == flag::assured);
    CHECK(flags_from_text("") == 0);
}

TEST_CASE("the clock is Unix milliseconds", "[clock]") {
    const std::int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    const std::int64_t now = unix_ms_now();
    CHECK(now >= before);
    CHECK(now - before < 60'000);
    CHECK(now > 1'700'000'000'000);  // after November 2023
}
