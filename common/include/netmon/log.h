#pragma once
// Logging for netmon's binaries: one line per message on stderr, with the syslog priority prefix
// that journald reads ("<3>" error, "<4>" warning, "<6>" info). Library code takes a Logger& and
// never prints by itself.

#include <string>
#include <string_view>

namespace netmon {

enum class Priority { error = 3, warning = 4, info = 6, debug = 7 };

class Logger {
public:
    virtual ~Logger() = default;
    virtual void write(Priority priority, std::string_view message) = 0;

    void error(std::string_view message) { write(Priority::error, message); }
    void warning(std::string_view message) { write(Priority::warning, message); }
    void info(std::string_view message) { write(Priority::info, message); }
    void debug(std::string_view message) { write(Priority::debug, message); }
};

// Writes to stderr. Under systemd (JOURNAL_STREAM set) lines are "<4>message", since journald
// adds its own time; elsewhere "2026-11-24T08:00:00Z netmon-ingest: warning: message".
// Messages above max_priority (debug, unless verbose) are dropped.
class StderrLogger final : public Logger {
public:
    StderrLogger(std::string program, bool under_journald, Priority max_priority = Priority::info);
    void write(Priority priority, std::string_view message) override;

private:
    std::string program_;
    bool under_journald_;
    Priority max_priority_;
};

}  // namespace netmon
