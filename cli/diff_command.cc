// `heapdrift diff A B [--json] [--top N] [--allow-cross]`: analysis::diff_inputs,
// refused (exit 2) across roles or allocators unless --allow-cross, printed as
// a table or as JSON (schema heapdrift.diff/1).
#include <cstdio>
#include <memory>
#include <string>

#include "analysis/diff/diff.h"
#include "cli/commands.h"

namespace hd::cli {

void add_diff_command(CLI::App& app, int* exit_code) {
  struct DiffOptions {
    std::string a, b;
    bool json = false;
    bool allow_cross = false;
    size_t top = 25;
    std::string skip_frames;
  };
  auto o = std::make_shared<DiffOptions>();
  CLI::App* cmd =
      app.add_subcommand("diff", "Site-by-site difference of two runs or profiles, per op");
  cmd->add_option("a", o->a, "run folder, process folder or heap profile")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("b", o->b, "run folder, process folder or heap profile")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_flag("--json", o->json, "JSON output (schema heapdrift.diff/1)");
  cmd->add_flag("--allow-cross", o->allow_cross,
                "compare a replica with a loadgen, or runs of different allocators (refused\n"
                "otherwise, exit 2); the output is labelled cross-role / cross-allocator");
  cmd->add_option("--top", o->top, "rows in the text table")
      ->capture_default_str()
      ->check(cli_check::whole_number(1, 1000000));
  cmd->add_option("--skip-frames", o->skip_frames,
                  "regex (ECMAScript): functions to skip when naming a site (your malloc\n"
                  "wrappers), as for `heapdrift report`");
  cmd->callback([o, exit_code] {
    Result<analysis::SiteRules> rules = analysis::make_site_rules(o->skip_frames);
    if (!rules) {
      std::fprintf(stderr, "heapdrift diff: %s\n", rules.status().message().c_str());
      *exit_code = 2;
      return;
    }
    Result<analysis::DiffResult> d = analysis::diff_inputs(o->a, o->b, *rules);
    if (!d) {
      std::fprintf(stderr, "heapdrift diff: %s\n", d.status().message().c_str());
      *exit_code = 1;
      return;
    }
    if (Status st = analysis::check_comparable(*d); !st && !o->allow_cross) {
      std::fprintf(stderr, "heapdrift diff: %s\n", st.message().c_str());
      *exit_code = 2;
      return;
    }
    const std::string out = o->json ? analysis::diff_json(*d) : analysis::diff_text(*d, o->top);
    std::fwrite(out.data(), 1, out.size(), stdout);
    *exit_code = 0;
  });
}

}  // namespace hd::cli
