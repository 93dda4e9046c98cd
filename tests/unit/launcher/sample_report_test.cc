// reports/sample/ is the committed output of `heapdrift bench --plant history
// --out reports/sample` that the README quotes. These checks fail when it is
// stale in the ways that matter: a diff with an empty side, paths of the
// machine that made it where the bench names run folders, a README quote that
// the report does not contain.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

namespace fs = std::filesystem;
const fs::path kSource = HEAPDRIFT_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("reports/sample: the shortest-vs-longest diff has both sides, named relatively") {
  const fs::path dir = kSource / "reports" / "sample";
  REQUIRE(fs::exists(dir / "diff.json"));
  const auto d = nlohmann::json::parse(read_file(dir / "diff.json"));
  CHECK(d.at("a_ops").get<int64_t>() > 0);
  CHECK(d.at("b_ops").get<int64_t>() > d.at("a_ops").get<int64_t>());
  const std::string a = d.at("a"), b = d.at("b");
  CHECK(a.rfind("runs/", 0) == 0);
  CHECK(b.rfind("runs/", 0) == 0);
  size_t both_sides = 0;
  for (const auto& row : d.at("rows"))
    if (row.at("a_bytes").get<int64_t>() > 0 && row.at("b_bytes").get<int64_t>() > 0) ++both_sides;
  CHECK(both_sides > 0);
  const std::string text = read_file(dir / "diff.txt");
  CHECK(text.rfind("A: runs/", 0) == 0);
  CHECK(text.find("(0 ops)") == std::string::npos);
}

// Whitespace runs become one space (the README re-wraps the quote).
std::string squeeze(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

TEST_CASE("reports/sample: the README quotes the committed finding") {
  const std::string summary = squeeze(read_file(kSource / "reports" / "sample" / "summary.md"));
  // The quote: the "> " lines after the README's sample heading; "[…]"
  // marks what it leaves out.
  std::istringstream readme(read_file(kSource / "README.md"));
  std::string quote;
  bool in_section = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line.find("sample report") != std::string::npos;
    if (in_section && line.rfind("> ", 0) == 0) quote += line.substr(2) + " ";
  }
  REQUIRE(!quote.empty());
  quote = squeeze(quote);
  size_t pieces = 0;
  for (size_t from = 0; from < quote.size();) {
    size_t cut = quote.find("[…]", from);
    if (cut == std::string::npos) cut = quote.size();
    std::string piece = quote.substr(from, cut - from);
    while (!piece.empty() && piece.front() == ' ') piece.erase(0, 1);
    while (!piece.empty() && piece.back() == ' ') piece.pop_back();
    if (!piece.empty()) {
      INFO("README quote not in reports/sample/summary.md: " << piece);
      CHECK(summary.find(piece) != std::string::npos);
      ++pieces;
    }
    from = cut + std::string("[…]").size();
  }
  CHECK(pieces >= 2);
}

// reports/protocols/ is the committed `heapdrift bench --protocols
// curpht,curpho` that the README's comparison table quotes: every figure of
// that table must be a cell of protocols.md (thousands separators aside).
TEST_CASE("reports/protocols: the README's comparison table quotes protocols.md") {
  const std::string table = read_file(kSource / "reports" / "protocols" / "protocols.md");
  REQUIRE(table.find("Protocol comparison:") != std::string::npos);
  std::istringstream readme(read_file(kSource / "README.md"));
  std::string line;
  size_t rows = 0;
  while (std::getline(readme, line)) {
    if (line.rfind("| CURP-H", 0) != 0) continue;
    ++rows;
    std::string plain;  // "113,108 ± 13,536" -> "113108 ± 13536"
    for (char c : line)
      if (c != ',') plain += c;
    std::istringstream cells(plain);
    std::string cell;
    std::getline(cells, cell, '|');  // before the first bar
    while (std::getline(cells, cell, '|')) {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      if (a == std::string::npos) continue;
      const std::string figure = cell.substr(a, b - a + 1);
      if (figure.rfind("CURP-H", 0) == 0) continue;
      CHECK_MESSAGE(table.find(figure) != std::string::npos, line << ": " << figure);
    }
  }
  CHECK(rows == 4);
}
