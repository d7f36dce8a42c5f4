// bench/native/read_write_mix.cpp: one thread, DashMap<u64, u64>, 7 finds : 1
// insert and find-only over `keys` keys, best of 7 rounds of 2^20 ops, ns/op.
// It isolates the single-thread cost of the shard lock's read path
// (detail/rw_lock.hpp); bench/RESULTS.md ("Read-biased shard locks") has an
// A/B made with it against the engine headers of earlier commits. Not built
// by CMake:
//   g++ -std=c++20 -O2 -DNDEBUG -Inative/core/include bench/native/read_write_mix.cpp -o /tmp/mix
//   /tmp/mix 1000; /tmp/mix 100000
// (for an older engine: git archive COMMIT native/core/include | tar -x -C /tmp/old,
// then -I/tmp/old/native/core/include).
#include <threadmap/dash_map.hpp>
#include <chrono>
#include <cstdio>
#include <vector>
int main(int argc, char** argv) {
  const uint64_t keys = argc > 1 ? atoi(argv[1]) : 1000;
  threadmap::DashMap<uint64_t, uint64_t> m;
  for (uint64_t k = 0; k < keys; ++k) m.insert(k, k);
  std::vector<uint64_t> order(1 << 20);
  uint64_t s = 1;
  for (auto& o : order) { s = s * 6364136223846793005ull + 1442695040888963407ull; o = (s >> 33) % keys; }
  for (int writeEvery : {8, 0}) {
    double best = 1e9;
    for (int r = 0; r < 7; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      uint64_t sink = 0;
      for (size_t i = 0; i < order.size(); ++i) {
        if (writeEvery && i % writeEvery == 0) m.insert(order[i], i);
        else if (auto v = m.find(order[i])) sink += *v;
      }
      double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / order.size();
      if (ns < best) best = ns;
      if (sink == 42) printf(" ");
    }
    printf("%s %.1f ns/op  ", writeEvery ? "7:1" : "get-only", best);
  }
  printf("\n");
}
