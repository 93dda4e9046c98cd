// The four classes of client operation (consistency × read/write), the one
// vocabulary shared by the client session, the workload generator and the
// result statistics. Header-only, no dependencies, so loadgen's pure parts
// (workload/, stats/) need not see the session state machine.
#pragma once

#include <cstdint>

namespace hd::client {

enum class OpClass : uint8_t { kStrongRead, kStrongWrite, kWeakRead, kWeakWrite };

}  // namespace hd::client
