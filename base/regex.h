// The one include for <regex>. GCC 12 at -O1/-O2 (the ASan+UBSan preset)
// reports -Wmaybe-uninitialized false positives inside std::regex's NFA
// (std::function members of a moved-from _State; GCC bug 105562) as the
// including file instantiates it. As in base/cli.h, the diagnostic is off
// for the including file: a push/pop around the include would not cover
// templates instantiated later in that file.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)  // clang has no such warning (and rejects the name)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <regex>
