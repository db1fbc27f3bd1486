// What one participant has open (accepted, not cancelled, not cleared) or
// pending in one interval, kept up to date by the state and by the intake.
//
// Thread-compatible: a plain value.
#ifndef PEERGRID_EXCHANGE_OPEN_POSITION_H_
#define PEERGRID_EXCHANGE_OPEN_POSITION_H_

#include <cstdint>

#include "peergrid/v1/market.pb.h"

namespace peergrid::exchange {

// What one participant has open (accepted, not cancelled, not cleared) or
// pending in one interval: what every submission checks, kept up to date so
// the checks do not walk the participant's orders.
struct OpenPosition {
  int64_t orders = 0;
  v1::Side side = v1::SIDE_UNSPECIFIED;  // of every such order (one side per interval)
  int64_t sell_wh = 0;                   // Σ quantity_wh of the SELLs

  void Add(const v1::Order& order) {
    ++orders;
    side = order.side();
    if (order.side() == v1::SELL) sell_wh += order.quantity_wh();
  }
  void Remove(const v1::Order& order) {
    --orders;
    if (order.side() == v1::SELL) sell_wh -= order.quantity_wh();
  }
};

}  // namespace peergrid::exchange

#endif  // PEERGRID_EXCHANGE_OPEN_POSITION_H_
