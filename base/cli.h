// The one include for CLI11. GCC 12 at -O2 reports -Wnull-dereference false
// positives inside std::string as CLI11 inlines it; the diagnostic is switched
// off for the including file (a push/pop around the include does not cover
// templates instantiated later in that file). Same reasoning as replica/io/asio.h.
#pragma once

#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <CLI/CLI.hpp>
