#include "analysis/commands.h"

namespace hd::analysis {
namespace {
int g_exit_code = 0;
}  // namespace

int exit_code() {
  return g_exit_code;
}
void set_exit_code(int code) {
  g_exit_code = code;
}

void register_commands(CLI::App& app) {
  // Each owner adds its registration call here, e.g.
  //   memprof::register_run_command(app);
  (void)app;
}

}  // namespace hd::analysis
