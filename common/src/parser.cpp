#include "netmon/parser.h"

#include <charconv>

namespace netmon {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Walks a line token by token; tokens are separated by runs of spaces or tabs.
class Tokens {
public:
    explicit Tokens(std::string_view line) : line_(line) {}

    std::string_view next() {
        while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
        std::size_t start = pos_;
        while (pos_ < line_.size() && !is_space(line_[pos_])) ++pos_;
        return line_.substr(start, pos_ - start);
    }

private:
    std::string_view line_;
    std::size_t pos_ = 0;
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

bool ascii_printable(std::string_view line) {
    // Written as a reduction so that the compiler vectorizes it.
    unsigned bad = 0;
    for (char c : line) {
        auto byte = static_cast<unsigned char>(c);
        bad |= static_cast<unsigned>(byte < 0x20 || byte > 0x7e) & static_cast<unsigned>(byte != '\t');
    }
    return bad == 0;
}

// Slow path for lines with bytes outside printable ASCII: valid UTF-8 is allowed (it can only
// sit in tokens the parser skips), control characters and broken sequences are not.
bool valid_text(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size()) {
        auto byte = static_cast<unsigned char>(line[i]);
        if (byte < 0x80) {
            if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t length;
        std::uint32_t code;
        if ((byte & 0xe0) == 0xc0) { length = 2; code = byte & 0x1f; }
        else if ((byte & 0xf0) == 0xe0) { length = 3; code = byte & 0x0f; }
        else if ((byte & 0xf8) == 0xf0) { length = 4; code = byte & 0x07; }
        else return false;
        if (i + length > line.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            auto next = static_cast<unsigned char>(line[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = (code << 6) | (next & 0x3f);
        }
        static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return false;
        i += length;
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

std::optional<std::uint8_t> protocol_number_for(std::string_view name) {
    static constexpr std::uint8_t named[] = {protocol::tcp,  protocol::udp,    protocol::icmp,
                                             protocol::icmpv6, protocol::gre, protocol::sctp,
                                             protocol::dccp, protocol::udplite};
    for (std::uint8_t number : named)
        if (protocol_name(number) == name) return number;
    return std::nullopt;
}

// Which fields a tuple has seen, to refuse duplicates and to check completeness.
namespace seen {
constexpr unsigned src = 1, dst = 2, sport = 4, dport = 8, type = 16, code = 32, id = 64,
                   packets = 128, bytes = 256;
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
        std::optional<std::uint8_t> named = protocol_number_for(token);
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
        if (!token.empty() && token.front() != '[' && token.find('=') == std::string_view::npos) {
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
        std::size_t equals = token.find('=');
        if (equals == std::string_view::npos) return ParseError::none;
        std::string_view key = token.substr(0, equals);
        std::string_view value = token.substr(equals + 1);

        if (key == "src") {
            if (tuple_count_ == 2) return ParseError::extra_tuple;
            if (tuple_count_ == 1) original_ = current_;
            current_ = TupleBuilder{tuple_count_ == 0 ? &entry_.original : &entry_.reply};
            ++tuple_count_;
            return address(value, current_.tuple->src, seen::src);
        }
        if (current_.tuple == nullptr) return ParseError::none;  // before the first src=
        if (key == "dst") return address(value, current_.tuple->dst, seen::dst);
        if (key == "packets") return counter(value, current_.tuple->packets, seen::packets);
        if (key == "bytes") return counter(value, current_.tuple->bytes, seen::bytes);

        const std::uint8_t proto = entry_.protocol;
        if (has_ports(proto)) {
            if (key == "sport") return number(value, current_.tuple->sport, seen::sport);
            if (key == "dport") return number(value, current_.tuple->dport, seen::dport);
        } else if (is_icmp(proto)) {
            if (key == "type") return number(value, current_.icmp_type, seen::type);
            if (key == "code") return number(value, current_.icmp_code, seen::code);
            // A second id= after the tuple's own is the conntrack id of `-o id`.
            if (key == "id" && !(current_.fields & seen::id))
                return number(value, current_.tuple->sport, seen::id);
        } else if (proto == protocol::gre) {
            if (key == "srckey") return gre_key(value, current_.tuple->sport, seen::sport);
            if (key == "dstkey") return gre_key(value, current_.tuple->dport, seen::dport);
        }
        if (key == "mark") return parse_decimal(value, entry_.mark) ? ParseError::none : ParseError::bad_number;
        if (key == "zone") return parse_decimal(value, entry_.zone) ? ParseError::none : ParseError::bad_number;
        return ParseError::none;
    }

    ParseError mark_seen(unsigned bit) {
        if (current_.fields & bit) return ParseError::duplicate_field;
        current_.fields |= bit;
        return ParseError::none;
    }

    ParseError address(std::string_view value, IpAddress& out, unsigned bit) {
        if (ParseError error = mark_seen(bit); error != ParseError::none) return error;
        auto parsed = IpAddress::parse(value);
        if (!parsed) return ParseError::bad_address;
        out = *parsed;
        return ParseError::none;
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
        if (tuple_count_ == 0 || !(original_.fields & seen::src) || !(original_.fields & seen::dst))
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
    if (!ascii_printable(line) && !valid_text(line)) return {std::nullopt, ParseError::bad_bytes};
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
