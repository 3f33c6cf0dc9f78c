// libFuzzer harness: the conntrack text parser (netmon/parser.h). The input is a text of lines,
// as a replay file or /proc/net/nf_conntrack holds them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "netmon/parser.h"

using netmon::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    netmon::ParseStats stats;
    std::uint64_t delivered = 0;
    netmon::parse_text(text, stats, [&](netmon::Entry&&) { ++delivered; });
    std::uint64_t ignored = 0;
    for (std::size_t i = 0; i < netmon::parse_error_count; ++i)
        if (netmon::is_ignorable(static_cast<netmon::ParseError>(i))) ignored += stats.by_error[i];
    check(delivered == stats.entries, "every parsed entry is delivered");
    check(stats.entries + stats.skipped + ignored == stats.lines, "every line is an entry, skipped or ignored");
    check((stats.skipped == 0) == (stats.first_skipped_line == 0), "the first skipped line is known");

    // The first line alone, with and without its newline: the same result, and an entry
    // exactly when there is no error.
    const std::string_view first = text.substr(0, text.find('\n'));
    const netmon::ParseResult bare = netmon::parse_line(first);
    check(bare.entry.has_value() == (bare.error == netmon::ParseError::none), "an entry exactly when no error");
    check(!netmon::describe(bare.error).empty(), "every error has a description");
    if (first.size() < text.size()) {
        const netmon::ParseResult with_newline = netmon::parse_line(text.substr(0, first.size() + 1));
        check(with_newline.error == bare.error && with_newline.entry == bare.entry,
              "a trailing newline changes nothing");
    }
    return 0;
}
