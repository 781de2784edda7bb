#include "tools/quiet_threads.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace wick::tools {
namespace {

// The state letter of task `tid` of this process, or 0 when unreadable (the
// task may have exited). The command name in parentheses may hold spaces
// and parentheses: the state follows the last ')'.
char task_state(const char* tid) {
  const std::string path = std::string("/proc/self/task/") + tid + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return 0;
  char text[512];
  const size_t n = std::fread(text, 1, sizeof text - 1, f);
  std::fclose(f);
  text[n] = '\0';
  const char* close = std::strrchr(text, ')');
  return close && close[1] == ' ' ? close[2] : 0;
}

// How many tasks of this process besides `self` are running; -1 when /proc
// cannot be read.
int others_running(long self) {
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return -1;
  int running = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || std::strtol(e->d_name, nullptr, 10) == self) continue;
    if (task_state(e->d_name) == 'R') ++running;
  }
  closedir(dir);
  return running;
}

}  // namespace

bool wait_for_quiet_threads(std::chrono::milliseconds limit) {
  const long self = static_cast<long>(syscall(SYS_gettid));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const int running = others_running(self);
    if (running <= 0) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace wick::tools
