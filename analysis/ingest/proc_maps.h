// Parser for the /proc/self/maps text that every profile format appends
// (MAPPED_LIBRARIES). Pure function; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "analysis/ingest/profile.h"

namespace hd::analysis {

// Parses one maps line ("start-end perms offset dev inode [path]"). Returns
// an error text (without location) on malformed input.
Result<Mapping> parse_maps_line(std::string_view line);

// Parses maps lines until end of text. first_line numbers the lines in
// errors; a blank last line is allowed, a blank line elsewhere is not.
Result<std::vector<Mapping>> parse_maps_section(std::string_view text, std::string_view source,
                                                size_t first_line);

// The mapping containing address, or nullptr. mappings need not be sorted.
const Mapping* find_mapping(const std::vector<Mapping>& mappings, uint64_t address);

}  // namespace hd::analysis
