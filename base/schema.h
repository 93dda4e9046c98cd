// Schema ids of the JSON files heapdrift writes, one convention:
// "heapdrift.<kind>/<version>" in the file's top-level "schema" field. A
// reader understands one version of its kind and refuses any other id with a
// message naming what it found and what it reads. Two kinds had an older
// spelling of the same version, still read so that existing run folders
// (and the committed golden ones under tests/data/runs/) stay readable:
// meta.json's "heapdrift-run" (with "schema_version": 1) and symbols.json's
// "heapdrift-symbols/1". Nothing writes those any more.
#pragma once

namespace hd::schema {

inline constexpr const char* kRun = "heapdrift.run/1";                       // meta.json
inline constexpr const char* kSymbols = "heapdrift.symbols/1";               // symbols.json
inline constexpr const char* kLoadgenResult = "heapdrift.loadgen.result/1";  // loadgen --json
inline constexpr const char* kReport = "heapdrift.report/1";                 // summary.json
inline constexpr const char* kDiff = "heapdrift.diff/1";                     // diff.json

// Older spellings, read but never written.
inline constexpr const char* kLegacyRun = "heapdrift-run";  // with "schema_version": 1
inline constexpr const char* kLegacySymbols = "heapdrift-symbols/1";

}  // namespace hd::schema
