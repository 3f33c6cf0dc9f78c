// Runs a harness's LLVMFuzzerTestOneInput over files, without libFuzzer: what the normal
// (gcc) build's ctest uses, so every build replays the seed corpus and the regressions.
//   fuzz_<target>_replay DIR_OR_FILE...
// Fails when an argument names nothing readable or a directory holds no file: a corpus that
// went missing must not pass as an empty one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool replay(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return false;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    // A copy of exactly the input's size, as libFuzzer passes it, so that ASan sees overreads.
    std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(input.data(), input.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path argument = argv[i];
        std::error_code error;
        if (!std::filesystem::is_directory(argument, error)) {
            if (!replay(argument)) return 1;
            ++count;
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& item : std::filesystem::directory_iterator(argument, error))
            if (item.is_regular_file()) files.push_back(item.path());
        if (error || files.empty()) {
            std::fprintf(stderr, "replay: no input in %s%s%s\n", argument.c_str(), error ? ": " : "",
                         error ? error.message().c_str() : "");
            return 1;
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            if (!replay(file)) return 1;
            ++count;
        }
    }
    std::printf("replayed %zu inputs\n", count);
    return 0;
}
