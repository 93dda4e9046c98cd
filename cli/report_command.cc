// `heapdrift report RUN_DIR... -o reports/NAME`: analysis::run_report over the
// given run or process folders.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "analysis/report/report.h"
#include "cli/commands.h"

namespace hd::cli {

void add_report_command(CLI::App& app, int* exit_code) {
  struct ReportOptions {
    std::vector<std::string> dirs;
    std::string out;
    bool save_symbols = false;
    std::string skip_frames;
  };
  auto ro = std::make_shared<ReportOptions>();
  CLI::App* rep =
      app.add_subcommand("report", "Analyse run folders: rates, growth, site verdicts, finding");
  rep->add_option("run_dirs", ro->dirs,
                  "run folders (RUN/replicaN, RUN/clientN), process folders, or a folder of "
                  "run folders (a bench's REPORT/runs)")
      ->required()
      ->check(CLI::ExistingPath);
  rep->add_option("-o,--output", ro->out, "report folder, e.g. reports/NAME")->required();
  rep->add_flag("--save-symbols", ro->save_symbols,
                "write symbols.json into each process folder (keeps it readable after a rebuild)");
  rep->add_option("--skip-frames", ro->skip_frames,
                  "regex (ECMAScript): functions to skip when naming a site, like the\n"
                  "allocator's own frames, e.g. your malloc wrappers: 'my_alloc|pool_get'\n"
                  "(well-known wrappers such as xmalloc and wrappers found in the data\n"
                  "are skipped anyway; docs/report.md)");
  rep->callback([ro, exit_code] {
    Result<analysis::SiteRules> rules = analysis::make_site_rules(ro->skip_frames);
    if (!rules) {
      std::fprintf(stderr, "heapdrift report: %s\n", rules.status().message().c_str());
      *exit_code = 2;
      return;
    }
    const Status st = analysis::run_report(ro->dirs, ro->out, ro->save_symbols, *rules);
    if (!st) std::fprintf(stderr, "heapdrift report: %s\n", st.message().c_str());
    *exit_code = st ? 0 : 1;
  });
}

}  // namespace hd::cli
