// The one RAII idiom over C handles: freed once, by the library's own function, never when null.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "netmon/c_handle.h"

using namespace netmon;

namespace {

// What the fake C library freed, in order. Each test case clears it first.
std::vector<int>& freed() {
    static std::vector<int> values;
    return values;
}
void free_int(int* value) { freed().push_back(*value); }
int free_descriptor(int fd) {
    freed().push_back(fd);
    return 0;  // ignored, as a C library's result
}

using IntHandle = CHandle<int*, &free_int>;
using Descriptor = CHandle<int, &free_descriptor, -1>;

}  // namespace

TEST_CASE("a C handle is freed once, when its owner lets go", "[c_handle]") {
    freed().clear();
    int a = 1, b = 2;
    {
        IntHandle empty;
        CHECK_FALSE(empty);
        IntHandle first(&a);
        CHECK(first);
        CHECK(first.get() == &a);
        IntHandle moved(std::move(first));
        CHECK_FALSE(first);
        CHECK(moved.get() == &a);
        CHECK(freed().empty());
        moved.reset(&b);  // frees a
        CHECK(freed() == std::vector<int>{1});
        IntHandle other;
        other = std::move(moved);
        CHECK(freed() == std::vector<int>{1});
    }  // frees b; the empty and moved-from handles free nothing
    CHECK(freed() == std::vector<int>{1, 2});

    IntHandle kept(&a);
    CHECK(kept.release() == &a);
    CHECK_FALSE(kept);
    CHECK(freed() == std::vector<int>{1, 2});
}

TEST_CASE("a descriptor handle treats -1 as none and 0 as a descriptor", "[c_handle]") {
    freed().clear();
    {
        Descriptor none(-1);
        Descriptor zero(0);
        CHECK_FALSE(none);
        CHECK(zero);
        Descriptor assigned(7);
        assigned = std::move(zero);  // frees 7
        CHECK(freed() == std::vector<int>{7});
    }
    CHECK(freed() == std::vector<int>{7, 0});
}

TEST_CASE("a file descriptor is closed by ::close", "[c_handle]") {
    int fd = -1;
    {
        CHandle<int, &::close, -1> file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        REQUIRE(file);
        fd = file.get();
        CHECK(::fcntl(fd, F_GETFD) != -1);
    }
    CHECK(::fcntl(fd, F_GETFD) == -1);
    CHECK(errno == EBADF);
}
