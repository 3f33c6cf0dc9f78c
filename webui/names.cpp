#include "names.h"

namespace netmon::web {

std::optional<DeviceRef> DeviceRef::parse(std::string_view text) {
    if (auto mac = MacAddress::parse(text)) return DeviceRef(*mac);
    if (auto address = IpAddress::parse(text)) return DeviceRef(*address);
    return std::nullopt;
}

std::string DeviceRef::to_string() const { return mac ? mac->to_string() : address.to_string(); }

RemoteName remote_name_of(const std::vector<AnswerRow>& answers, std::int64_t first_seen_at,
                          const std::optional<std::string>& host_name) {
    const AnswerRow* latest = nullptr;
    for (const AnswerRow& answer : answers) {
        if (answer.expires_at < first_seen_at) continue;  // it had expired when the contact began
        if (latest == nullptr || answer.answered_at > latest->answered_at) latest = &answer;
    }
    if (latest != nullptr) return {latest->name, "dns"};
    if (host_name) return {*host_name, "dns"};
    return {};
}

namespace {

void write_text_or_null(JsonWriter& w, std::string_view name, const std::optional<std::string>& text) {
    w.key(name);
    if (text) w.value(std::string_view(*text));
    else w.null();
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

void write_device_name_members(JsonWriter& w, const DeviceName& name) {
    w.key("mac");
    if (name.mac) w.value(std::string_view(name.mac->to_string()));
    else w.null();
    write_text_or_null(w, "device_name", name.name);
    write_text_or_null(w, "device_name_source", name.source);
    write_text_or_null(w, "vendor", name.vendor);
    w.field("mac_random", name.mac_random());
}

void write_remote_name_members(JsonWriter& w, const RemoteName& name) {
    write_text_or_null(w, "remote_name", name.name);
    write_text_or_null(w, "remote_name_source", name.source);
}

std::string like_pattern(std::string_view q) {
    std::string pattern = "%";
    for (char c : q) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    return pattern + "%";
}

bool mac_matches(const MacAddress& mac, std::string_view q) {
    if (q.empty()) return false;
    std::string wanted;
    for (char c : q) wanted += c == '-' ? ':' : lower(c);
    return mac.to_string().find(wanted) != std::string::npos;
}

bool name_matches(std::string_view name, std::string_view q) {
    if (q.size() > name.size()) return false;
    for (std::size_t at = 0; at + q.size() <= name.size(); ++at) {
        std::size_t i = 0;
        while (i < q.size() && lower(name[at + i]) == lower(q[i])) ++i;
        if (i == q.size()) return true;
    }
    return false;
}

}  // namespace netmon::web
