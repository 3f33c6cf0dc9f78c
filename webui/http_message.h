#pragma once
// A request as netmon-web's routes see it and the response they give, independent of the HTTP
// library that reads and writes them (web_server.cpp), so that HttpApi is tested without sockets.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netmon/address.h"

namespace netmon::web {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;  // as sent: "GET"
    std::string target;  // as sent: "/connections.json?limit=5"
    HeaderFields headers;
    IpAddress peer;          // the client's address
    bool has_body = false;   // a body follows the header (it is never read)

    // The target before '?' and after it ("" when there is no '?').
    std::string_view path() const;
    std::string_view query() const;
    // The first header of that name (case-insensitive), or nullptr.
    const std::string* header(std::string_view name) const;
};

struct Response {
    int status = 200;
    HeaderFields headers;
    std::string body;
    bool close = false;  // close the connection after this response

    // Replaces a header of that name (case-insensitive) or adds it.
    void set(std::string_view name, std::string value);
    const std::string* header(std::string_view name) const;
};

}  // namespace netmon::web
