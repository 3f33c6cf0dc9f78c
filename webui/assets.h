#pragma once
// The dashboard's script, style sheet and icon, compiled in from webui/assets/: nothing is read
// from the file system at run time, and no request path names a file.

#include <string_view>

namespace netmon::web {

struct Asset {
    std::string_view path;  // the route: "/static/app.js"
    std::string_view content_type;
    std::string_view body;
    std::string_view etag;  // a quoted hash of body
};

// The asset served at path, or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace netmon::web
