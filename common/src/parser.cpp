#include "netmon/parser.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "netmon/utf8.h"

namespace netmon {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Word-at-a-time helpers: the parser looks at every byte of every line, eight at a time.
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t high_bits = 0x8080808080808080ull;

std::uint64_t load_word(const char* data) {
    std::uint64_t word;
    std::memcpy(&word, data, sizeof word);
    return word;
}

// The high bit of each byte that is zero. Borrows can mark bytes after a zero byte too, so
// only the lowest marked byte is exact; callers use only that one.
std::uint64_t zero_bytes(std::uint64_t word) { return (word - ones) & ~word & high_bits; }

std::size_t lowest_byte(std::uint64_t mask) {
    static_assert(std::endian::native == std::endian::little, "word scanning assumes little endian");
    return static_cast<std::size_t>(std::countr_zero(mask)) / 8;
}

// Walks a line token by token; tokens are separated by runs of spaces or tabs. It notes where
// the first '=' of the last token is, so that key=value tokens are not scanned twice.
class Tokens {
public:
    explicit Tokens(std::string_view line) : line_(line) {}

    std::string_view next() {
        const std::size_t size = line_.size();
        while (pos_ < size && is_space(line_[pos_])) ++pos_;
        const std::size_t start = pos_;
        equals_ = std::string_view::npos;
        while (pos_ + 8 <= size) {
            std::uint64_t word = load_word(line_.data() + pos_);
            std::uint64_t space = zero_bytes(word ^ (ones * ' ')) | zero_bytes(word ^ (ones * '\t'));
            std::uint64_t equals = zero_bytes(word ^ (ones * '='));
            std::size_t space_at = space != 0 ? lowest_byte(space) : 8;
            if (equals != 0 && equals_ == std::string_view::npos && lowest_byte(equals) < space_at)
                equals_ = pos_ + lowest_byte(equals) - start;
            pos_ += space_at;
            if (space_at < 8) return line_.substr(start, pos_ - start);
        }
        while (pos_ < size && !is_space(line_[pos_])) {
            if (line_[pos_] == '=' && equals_ == std::string_view::npos) equals_ = pos_ - start;
            ++pos_;
        }
        return line_.substr(start, pos_ - start);
    }

    // Offset of the first '=' in the token next() returned last, or npos.
    std::size_t equals() const { return equals_; }

private:
    std::string_view line_;
    std::size_t pos_ = 0;
    std::size_t equals_ = std::string_view::npos;
};

template <class T>
bool parse_decimal(std::string_view text, T& out) {
    if (text.empty() || text.size() > 20) return false;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
}

// "0x1f" as conntrack prints GRE keys; plain decimal is accepted too.
bool parse_key(std::string_view text, std::uint16_t& out) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        if (text.size() > 4) return false;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
        return error == std::errc{} && end == text.data() + text.size();
    }
    return parse_decimal(text, out);
}

// Printable ASCII and tabs, checked eight bytes at a time; UTF-8 goes to the slow path. Bytes
// beyond ASCII: valid UTF-8 is allowed (it can only sit in tokens the parser skips), control
// characters and broken sequences are not.
bool valid_text(std::string_view line) {
    const char* data = line.data();
    const std::size_t size = line.size();
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word = load_word(data + i);
        std::uint64_t below_space = (word - ones * 0x20) & ~word & high_bits;  // some byte < 0x20
        std::uint64_t above_tilde = ((word + ones * 0x01) | word) & high_bits;  // some byte > 0x7e
        if ((below_space | above_tilde) == 0) continue;
        for (std::size_t k = i; k < i + 8; ++k) {
            auto byte = static_cast<unsigned char>(data[k]);
            if (byte >= 0x80) return is_printable_utf8(line.substr(i), true);  // all before i is ASCII
            if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
        }
    }
    for (; i < size; ++i) {
        auto byte = static_cast<unsigned char>(data[i]);
        if (byte >= 0x80) return is_printable_utf8(line.substr(i), true);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
    }
    return true;
}

bool is_state_name(std::string_view token) {
    for (char c : token) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_';
        if (!ok) return false;
    }
    return !token.empty();
}

// Which fields a tuple has seen, to refuse duplicates and to check completeness.
namespace seen {
constexpr unsigned src = 1, dst = 2, sport = 4, dport = 8, type = 16, code = 32, id = 64,
                   packets = 128, bytes = 256;
}

// The keys of key=value tokens that netmon reads; everything else is Field::other.
enum class Field { other, src, dst, sport, dport, packets, bytes, type, code, id, srckey, dstkey, mark, zone };

Field classify(std::string_view key) {
    switch (key.size()) {
        case 2: return key == "id" ? Field::id : Field::other;
        case 3: return key == "src" ? Field::src : key == "dst" ? Field::dst : Field::other;
        case 4:
            if (key == "mark") return Field::mark;
            if (key == "zone") return Field::zone;
            if (key == "type") return Field::type;
            if (key == "code") return Field::code;
            return Field::other;
        case 5:
            if (key == "sport") return Field::sport;
            if (key == "dport") return Field::dport;
            if (key == "bytes") return Field::bytes;
            return Field::other;
        case 6: return key == "srckey" ? Field::srckey : key == "dstkey" ? Field::dstkey : Field::other;
        case 7: return key == "packets" ? Field::packets : Field::other;
        default: return Field::other;
    }
}

struct TupleBuilder {
    Tuple* tuple = nullptr;
    unsigned fields = 0;
    std::uint8_t icmp_type = 0;
    std::uint8_t icmp_code = 0;
};

class LineParser {
public:
    explicit LineParser(std::string_view line) : tokens_(line) {}

    ParseResult run() {
        ParseError error = parse();
        if (error != ParseError::none) return {std::nullopt, error};
        return {entry_, ParseError::none};
    }

private:
    ParseError parse() {
        std::string_view token = tokens_.next();
        if (token.empty()) return ParseError::blank;
        if (token == "conntrack" && tokens_.next().starts_with('v')) return ParseError::summary;

        // `-o timestamp`: "[1795504840.681625]", then the event type of `conntrack -E`.
        if (token.size() > 2 && token.front() == '[' && token.back() == ']' && token[1] >= '0' &&
            token[1] <= '9') {
            token = tokens_.next();
        }
        if (token == "[NEW]") entry_.event = EventType::created;
        else if (token == "[UPDATE]") entry_.event = EventType::updated;
        else if (token == "[DESTROY]") entry_.event = EventType::destroyed;
        if (entry_.event != EventType::snapshot) token = tokens_.next();

        // `-o extended` and /proc: "ipv4 2" or "ipv6 10".
        std::optional<Family> named_family;
        if (token == "ipv4" || token == "ipv6") {
            named_family = token == "ipv4" ? Family::v4 : Family::v6;
            std::string_view number = tokens_.next();
            if (number != (token == "ipv4" ? "2" : "10")) return ParseError::bad_header;
            token = tokens_.next();
        }

        // "<name> <number>"; conntrack-tools says "unknown" for protocols it has no name for.
        std::optional<std::uint8_t> named = protocol_number(token);
        if (!named && token != "unknown") return ParseError::bad_header;
        unsigned number = 0;
        if (!parse_decimal(tokens_.next(), number) || number > 255) return ParseError::bad_header;
        if (named && *named != number) return ParseError::bad_header;
        entry_.protocol = static_cast<std::uint8_t>(number);

        token = tokens_.next();
        if (!token.empty() && token.front() >= '0' && token.front() <= '9') {
            std::uint32_t timeout = 0;
            if (!parse_decimal(token, timeout)) return ParseError::bad_number;
            entry_.timeout = timeout;
            token = tokens_.next();
        }
        if (!token.empty() && token.front() != '[' && tokens_.equals() == std::string_view::npos) {
            if (!is_state_name(token) || !entry_.state.assign(token)) return ParseError::bad_state;
            token = tokens_.next();
        }

        for (; !token.empty(); token = tokens_.next()) {
            ParseError error = token.front() == '[' ? bracket(token) : field(token);
            if (error != ParseError::none) return error;
        }
        return finish(named_family);
    }

    ParseError bracket(std::string_view token) {
        // Brackets may hold spaces ("[start=Tue Nov 24 08:00:00 2026]"): skip to the closing one.
        while (token.back() != ']') {
            token = tokens_.next();
            if (token.empty()) return ParseError::none;
        }
        if (token == "[ASSURED]") entry_.flags |= flag::assured;
        else if (token == "[UNREPLIED]") entry_.flags |= flag::unreplied;
        else if (token == "[OFFLOAD]") entry_.flags |= flag::offload;
        else if (token == "[HW_OFFLOAD]") entry_.flags |= flag::hw_offload;
        return ParseError::none;
    }

    ParseError field(std::string_view token) {
        std::size_t equals = tokens_.equals();
        if (equals == std::string_view::npos) return ParseError::none;
        const Field key = classify(token.substr(0, equals));
        std::string_view value = token.substr(equals + 1);

        if (key == Field::src) {
            if (tuple_count_ == 2) return ParseError::extra_tuple;
            if (tuple_count_ == 1) original_ = current_;
            current_ = TupleBuilder{tuple_count_ == 0 ? &entry_.original : &entry_.reply};
            ++tuple_count_;
            return address(value, current_.tuple->src, seen::src);
        }
        if (key == Field::mark)
            return parse_decimal(value, entry_.mark) ? ParseError::none : ParseError::bad_number;
        if (key == Field::zone)
            return parse_decimal(value, entry_.zone) ? ParseError::none : ParseError::bad_number;
        if (key == Field::other) return ParseError::none;
        if (current_.tuple == nullptr) {
            // A tuple's field before any src=: the original tuple lost its source.
            orphan_fields_ = true;
            return ParseError::none;
        }
        Tuple& tuple = *current_.tuple;
        const std::uint8_t proto = entry_.protocol;
        switch (key) {
            case Field::dst: return address(value, tuple.dst, seen::dst);
            case Field::packets: return counter(value, tuple.packets, seen::packets);
            case Field::bytes: return counter(value, tuple.bytes, seen::bytes);
            case Field::sport:
                return has_ports(proto) ? number(value, tuple.sport, seen::sport) : ParseError::none;
            case Field::dport:
                return has_ports(proto) ? number(value, tuple.dport, seen::dport) : ParseError::none;
            case Field::type:
                return is_icmp(proto) ? number(value, current_.icmp_type, seen::type) : ParseError::none;
            case Field::code:
                return is_icmp(proto) ? number(value, current_.icmp_code, seen::code) : ParseError::none;
            case Field::id:
                // A second id= after the tuple's own is the conntrack id of `-o id`.
                if (!is_icmp(proto) || (current_.fields & seen::id)) return ParseError::none;
                return number(value, tuple.sport, seen::id);
            case Field::srckey:
                return proto == protocol::gre ? gre_key(value, tuple.sport, seen::sport) : ParseError::none;
            case Field::dstkey:
                return proto == protocol::gre ? gre_key(value, tuple.dport, seen::dport) : ParseError::none;
            default: return ParseError::none;
        }
    }

    ParseError mark_seen(unsigned bit) {
        if (current_.fields & bit) return ParseError::duplicate_field;
        current_.fields |= bit;
        return ParseError::none;
    }

    ParseError address(std::string_view value, IpAddress& out, unsigned bit) {
        if (ParseError error = mark_seen(bit); error != ParseError::none) return error;
        return IpAddress::parse_into(value, out) ? ParseError::none : ParseError::bad_address;
    }

    ParseError counter(std::string_view value, std::uint64_t& out, unsigned bit) {
        if (ParseError error = mark_seen(bit); error != ParseError::none) return error;
        entry_.has_counters = true;
        return parse_decimal(value, out) ? ParseError::none : ParseError::bad_number;
    }

    template <class T>
    ParseError number(std::string_view value, T& out, unsigned bit) {
        if (ParseError error = mark_seen(bit); error != ParseError::none) return error;
        return parse_decimal(value, out) ? ParseError::none : ParseError::bad_number;
    }

    ParseError gre_key(std::string_view value, std::uint16_t& out, unsigned bit) {
        if (ParseError error = mark_seen(bit); error != ParseError::none) return error;
        return parse_key(value, out) ? ParseError::none : ParseError::bad_number;
    }

    // Called when a tuple is complete (at the next src= or at the end of the line).
    ParseError close_tuple(const TupleBuilder& builder) {
        if (is_icmp(entry_.protocol)) {
            constexpr unsigned needed = seen::type | seen::code | seen::id;
            if ((builder.fields & needed) != needed) return ParseError::missing_ports;
            builder.tuple->dport = static_cast<std::uint16_t>(builder.icmp_type << 8 | builder.icmp_code);
        } else if (has_ports(entry_.protocol)) {
            constexpr unsigned needed = seen::sport | seen::dport;
            if ((builder.fields & needed) != needed) return ParseError::missing_ports;
        }
        return ParseError::none;
    }

    ParseError finish(std::optional<Family> named_family) {
        if (tuple_count_ == 1) original_ = current_;
        if (orphan_fields_ || tuple_count_ == 0 || !(original_.fields & seen::src) || !(original_.fields & seen::dst))
            return ParseError::missing_original;
        if (tuple_count_ < 2 || !(current_.fields & seen::src) || !(current_.fields & seen::dst))
            return ParseError::missing_reply;
        if (ParseError error = close_tuple(original_); error != ParseError::none) return error;
        if (ParseError error = close_tuple(current_); error != ParseError::none) return error;

        const Family family = entry_.original.src.family;
        if (entry_.original.dst.family != family || entry_.reply.src.family != family ||
            entry_.reply.dst.family != family || (named_family && *named_family != family))
            return ParseError::family_mismatch;
        entry_.family = family;
        return ParseError::none;
    }

    Tokens tokens_;
    Entry entry_;
    TupleBuilder current_;
    TupleBuilder original_;
    int tuple_count_ = 0;
    bool orphan_fields_ = false;
};

}  // namespace

std::string_view describe(ParseError error) {
    switch (error) {
        case ParseError::none: return "no error";
        case ParseError::blank: return "blank line";
        case ParseError::summary: return "conntrack summary line";
        case ParseError::too_long: return "line too long";
        case ParseError::bad_bytes: return "control or non-UTF-8 bytes";
        case ParseError::bad_header: return "not a conntrack entry";
        case ParseError::bad_state: return "invalid state";
        case ParseError::bad_address: return "invalid address";
        case ParseError::bad_number: return "number out of range";
        case ParseError::duplicate_field: return "duplicate field";
        case ParseError::extra_tuple: return "more than two tuples";
        case ParseError::missing_original: return "original tuple without src or dst";
        case ParseError::missing_reply: return "reply tuple without src or dst";
        case ParseError::missing_ports: return "tuple without ports";
        case ParseError::family_mismatch: return "mixed address families";
    }
    return "unknown error";
}

ParseResult parse_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.size() > max_line_length) return {std::nullopt, ParseError::too_long};
    if (!valid_text(line)) return {std::nullopt, ParseError::bad_bytes};
    return LineParser(line).run();
}

void ParseStats::count(const ParseResult& result) {
    ++lines;
    if (result.entry) {
        ++entries;
        return;
    }
    by_error[static_cast<std::size_t>(result.error)]++;
    if (is_ignorable(result.error)) return;
    ++skipped;
    if (first_skipped_line == 0) {
        first_skipped_line = lines;
        first_error = result.error;
    }
}

}  // namespace netmon
