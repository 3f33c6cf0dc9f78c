#pragma once
// Ownership of one C handle (a pointer or a file descriptor), freed once by the C library's own
// function: the one RAII idiom over C handles in netmon.

#include <utility>

namespace netmon {

// Owns handle unless it is Null, and calls Free(handle) when it lets go of it. Move-only, like
// std::unique_ptr, but for any handle type: CHandle<sqlite3*, &close_database>,
// CHandle<int, &::close, -1>. Free's result, if any, is ignored: a destructor cannot act on it.
// Free is called with the handle as its argument, so a C function that takes void* fits.
template <class T, auto Free, T Null = T{}>
class CHandle {
public:
    CHandle() noexcept = default;
    // Takes handle at once: callers wrap the result of the C call that made it before they check it.
    explicit CHandle(T handle) noexcept : handle_(handle) {}
    CHandle(CHandle&& other) noexcept : handle_(other.release()) {}
    CHandle& operator=(CHandle&& other) noexcept {
        reset(other.release());
        return *this;
    }
    CHandle(const CHandle&) = delete;
    CHandle& operator=(const CHandle&) = delete;
    ~CHandle() { reset(); }

    T get() const noexcept { return handle_; }
    explicit operator bool() const noexcept { return handle_ != Null; }
    // Gives up ownership without freeing.
    T release() noexcept { return std::exchange(handle_, Null); }
    // Frees the handle held, if any, and holds handle instead.
    void reset(T handle = Null) noexcept {
        T old = std::exchange(handle_, handle);
        if (old != Null) Free(old);
    }

private:
    T handle_ = Null;
};

}  // namespace netmon
