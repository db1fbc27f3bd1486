// Fuzz target: HubService.Report's per-report path — the report proto,
// convert::FromProto, ValidateReport and ToStorageCapacity, then TelemetryStore::Ingest (the
// seq, value and counter rules) on a real zone (fuzz_zone.h), then what the
// exchange reads back (latest state, interval reads). The stream's own checks
// (hub registered, zone, meter ownership) sit in hub_service.cc.
// Input: one serialized peergrid.v1.HubReport.
#include <cstddef>
#include <cstdint>

#include "fuzz_zone.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/v1/hub.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid;
  v1::HubReport report;
  if (!report.ParseFromArray(data, static_cast<int>(size))) return 0;
  const hub::HubSample sample = convert::FromProto(report);
  (void)sample;
  fuzz::FuzzZone& zone = fuzz::Zone();
  // What HubService.Report checks on every report before storing it.
  hub::SampleContext context;
  context.now_unix_ms = zone.now_ms();
  (void)convert::ValidateReport(report, context);
  for (const v1::BatteryBankReading& bank : report.banks()) {
    (void)convert::ToStorageCapacity(bank);
  }
  const v1::HubReport* reports[] = {&report};
  (void)zone.store().Ingest(report.hub_id(), reports, zone.now_ms());
  (void)zone.store().Latest(report.hub_id());
  for (const v1::MeterReading& meter : report.meters()) {
    for (const v1::IntervalRead& read : meter.interval_reads()) {
      (void)convert::FromProto(read);
      (void)zone.store().IntervalReads(read.interval_start());
    }
  }
  return 0;
}
