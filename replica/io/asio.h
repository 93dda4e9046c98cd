// The one way heapdrift code includes standalone Asio. Header-only; no state.
// GCC 12 at -O2/-O3 reports -Wnull-dereference inside Asio's scheduler
// (scheduler.ipp) once it is inlined into our code: a false positive in a
// system header that -Werror builds would fail on. The pragma must stay in
// force for the whole translation unit, because the warning is emitted when
// the optimiser runs, after every function has been parsed.
#pragma once

#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <asio.hpp>  // IWYU pragma: export
