// The protocol factory: the one place that knows every ClientProtocol.
#include "replica/core/protocol.h"

#include "base/check.h"
#include "replica/core/protocol_ho.h"
#include "replica/core/protocol_ht.h"

namespace hd::core {

std::unique_ptr<ClientProtocol> make_client_protocol(const CoreConfig& config) {
  switch (config.protocol) {
    case Protocol::kCurpHt:
      return std::make_unique<CurpHtProtocol>();
    case Protocol::kCurpHo:
      return std::make_unique<CurpHoProtocol>();
  }
  HD_CHECK(false);  // not a Protocol value
  return nullptr;
}

}  // namespace hd::core
