// The protocol factory: the one place that knows every ClientProtocol.
#include "replica/core/protocol.h"

#include "base/check.h"
#include "replica/core/protocol_ht.h"

namespace hd::core {

std::unique_ptr<ClientProtocol> make_client_protocol(const CoreConfig& config) {
  switch (config.protocol) {
    case Protocol::kCurpHt:
      return std::make_unique<CurpHtProtocol>();
    case Protocol::kCurpHo:
      break;
  }
  // CURP-HO's replica arrives with protocol_ho.cc (issue 16, build step 6).
  HD_CHECK(config.protocol == Protocol::kCurpHt);
  return nullptr;
}

}  // namespace hd::core
