// Umbrella header for the pure market library: order vocabulary, acceptance
// rules, the double auction and settlement (DESIGN.md §4–§5).
#ifndef PEERGRID_MATCHING_MATCHING_H_
#define PEERGRID_MATCHING_MATCHING_H_

#include "peergrid/matching/auction.h"     // IWYU pragma: export
#include "peergrid/matching/order.h"       // IWYU pragma: export
#include "peergrid/matching/settlement.h"  // IWYU pragma: export
#include "peergrid/matching/validation.h"  // IWYU pragma: export

#endif  // PEERGRID_MATCHING_MATCHING_H_
