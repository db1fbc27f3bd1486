// Conversion between the hub model's plain values (peergrid/hub/telemetry.h,
// battery_monitor.h) and the peergrid.v1 wire messages (hub.proto,
// operator.proto). Enum numbers are identical on both sides. FromProto does no
// validation beyond the shape: hub::ValidateSample checks the values (unknown
// enum numbers included), and ValidateReport applies it to a wire report.
// Thread-safe (pure functions).
#ifndef PEERGRID_CONVERT_HUB_CONVERT_H_
#define PEERGRID_CONVERT_HUB_CONVERT_H_

#include "absl/status/status.h"
#include "peergrid/hub/battery_monitor.h"
#include "peergrid/hub/telemetry.h"
#include "peergrid/hub/telemetry_rules.h"
#include "peergrid/matching/validation.h"
#include "peergrid/v1/hub.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::convert {

void ToProto(const hub::HubSample& in, v1::HubReport* out);
void ToProto(const hub::MeterSample& in, v1::MeterReading* out);
void ToProto(const hub::BankSample& in, v1::BatteryBankReading* out);
void ToProto(const hub::Alarm& in, v1::Alarm* out);
void ToProto(const hub::AlarmEvent& in, v1::AlarmEvent* out);

hub::HubSample FromProto(const v1::HubReport& in);
hub::MeterSample FromProto(const v1::MeterReading& in);
hub::BankSample FromProto(const v1::BatteryBankReading& in);
hub::IntervalRead FromProto(const v1::IntervalRead& in);
hub::Alarm FromProto(const v1::Alarm& in);
hub::AlarmEvent FromProto(const v1::AlarmEvent& in);

// Returns OK when `report` is valid by itself (hub::ValidateSample of its
// FromProto), else InvalidArgument naming the field.
absl::Status ValidateReport(const v1::HubReport& report, const hub::SampleContext& context);

// Returns what a reported bank can discharge, for matching::DeliverableEnergy:
// its matching::EnergyAboveReserve and its max_discharge_w.
matching::StorageCapacity ToStorageCapacity(const v1::BatteryBankReading& in);

}  // namespace peergrid::convert

#endif  // PEERGRID_CONVERT_HUB_CONVERT_H_
