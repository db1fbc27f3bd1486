#include "peergrid/hub/meter.h"

#include <utility>

namespace peergrid::hub {

Meter::Meter(std::string participant_id) : participant_id_(std::move(participant_id)) {}

void Meter::Step(int64_t pv_w, int64_t load_w, int64_t dt_s) {
  pv_w_ = pv_w;
  load_w_ = load_w;
  const int64_t net_w = load_w - pv_w;
  if (net_w > 0) import_j_ += net_w * dt_s;
  if (net_w < 0) export_j_ += -net_w * dt_s;
  pv_j_ += pv_w * dt_s;
  load_j_ += load_w * dt_s;
}

MeterCounters Meter::counters() const {
  return {import_j_ / 3600, export_j_ / 3600, pv_j_ / 3600, load_j_ / 3600};
}

MeterCounters Meter::CloseInterval(int64_t interval_start, ReadQuality quality) {
  const MeterCounters now = counters();
  const MeterCounters d{
      now.import_wh - at_interval_start_.import_wh, now.export_wh - at_interval_start_.export_wh,
      now.pv_wh - at_interval_start_.pv_wh, now.load_wh - at_interval_start_.load_wh};
  pending_.push_back({interval_start, EnergyWh(d.import_wh), EnergyWh(d.export_wh), quality});
  at_interval_start_ = now;
  return d;
}

std::vector<IntervalRead> Meter::TakeReads() { return std::exchange(pending_, {}); }

MeterSample Meter::Sample() const {
  const MeterCounters c = counters();
  MeterSample s;
  s.participant_id = participant_id_;
  s.power_w = load_w_ - pv_w_;
  s.import_wh = c.import_wh;
  s.export_wh = c.export_wh;
  s.pv_wh = c.pv_wh;
  s.pv_power_w = pv_w_;
  s.load_power_w = load_w_;
  return s;
}

void Meter::Restore(const MeterSample& sample) {
  import_j_ = sample.import_wh * 3600;
  export_j_ = sample.export_wh * 3600;
  pv_j_ = sample.pv_wh * 3600;
  // The load counter is not reported: rebuild it from the energy balance.
  load_j_ = pv_j_ + import_j_ - export_j_;
  if (load_j_ < 0) load_j_ = 0;
  pv_w_ = sample.pv_power_w;
  load_w_ = sample.load_power_w;
  at_interval_start_ = counters();
  pending_.clear();
}

}  // namespace peergrid::hub
