#include "peergrid/convert/hub_convert.h"

namespace peergrid::convert {

namespace {

template <typename Repeated>
void AddReads(const std::vector<hub::IntervalRead>& reads, Repeated* out) {
  for (const hub::IntervalRead& r : reads) {
    v1::IntervalRead* p = out->Add();
    p->set_interval_start(r.interval_start);
    p->set_import_wh(r.import_wh.value());
    p->set_export_wh(r.export_wh.value());
    p->set_quality(static_cast<v1::ReadQuality>(r.quality));
  }
}

}  // namespace

void ToProto(const hub::MeterSample& in, v1::MeterReading* out) {
  out->set_participant_id(in.participant_id);
  out->set_power_w(in.power_w);
  out->set_import_wh(in.import_wh);
  out->set_export_wh(in.export_wh);
  out->set_pv_wh(in.pv_wh);
  out->set_pv_power_w(in.pv_power_w);
  out->set_load_power_w(in.load_power_w);
  AddReads(in.interval_reads, out->mutable_interval_reads());
}

void ToProto(const hub::BankSample& in, v1::BatteryBankReading* out) {
  out->set_bank_id(in.bank_id);
  out->set_soc_pct(in.soc_pct);
  out->set_soh_pct(in.soh_pct);
  out->set_capacity_wh(in.capacity_wh);
  out->set_available_wh(in.available_wh);
  out->set_soc_min_pct(in.soc_min_pct);
  out->set_soc_reserve_pct(in.soc_reserve_pct);
  out->set_max_charge_w(in.max_charge_w);
  out->set_max_discharge_w(in.max_discharge_w);
  out->set_power_w(in.power_w);
  out->set_dc_voltage_v(in.dc_voltage_v);
  out->set_dc_current_a(in.dc_current_a);
  out->set_cell_voltage_min_v(in.cell_voltage_min_v);
  out->set_cell_voltage_max_v(in.cell_voltage_max_v);
  out->set_cell_temp_min_c(in.cell_temp_min_c);
  out->set_cell_temp_max_c(in.cell_temp_max_c);
  out->set_cycle_count(in.cycle_count);
  out->set_charge_state(static_cast<v1::ChargeState>(in.charge_state));
  out->set_bank_state(static_cast<v1::BankState>(in.bank_state));
  out->set_alarm_bits(in.alarm_bits);
  out->set_chemistry(static_cast<v1::Chemistry>(in.chemistry));
  out->set_second_life(in.second_life);
  out->set_mobile(in.mobile);
  out->set_charged_wh(in.charged_wh);
  out->set_discharged_wh(in.discharged_wh);
  AddReads(in.interval_reads, out->mutable_interval_reads());
}

void ToProto(const hub::HubSample& in, v1::HubReport* out) {
  out->Clear();
  out->set_hub_id(in.hub_id);
  out->set_zone_id(in.zone_id);
  out->set_seq(in.seq);
  out->set_measured_at_unix_ms(in.measured_at_unix_ms);
  out->mutable_meters()->Reserve(static_cast<int>(in.meters.size()));
  for (const hub::MeterSample& m : in.meters) ToProto(m, out->add_meters());
  for (const hub::BankSample& b : in.banks) ToProto(b, out->add_banks());
  v1::GridState* g = out->mutable_grid();
  g->set_power_w(in.grid.power_w);
  g->set_import_wh(in.grid.import_wh);
  g->set_export_wh(in.grid.export_wh);
  g->set_mode(static_cast<v1::GridMode>(in.grid.mode));
  AddReads(in.grid.interval_reads, g->mutable_interval_reads());
}

void ToProto(const hub::Alarm& in, v1::Alarm* out) {
  out->set_hub_id(in.hub_id);
  out->set_bank_id(in.bank_id);
  out->set_kind(static_cast<v1::AlarmKind>(in.kind));
  out->set_severity(static_cast<v1::AlarmSeverity>(in.severity));
  out->set_message(in.message);
  out->set_value(in.value);
  out->set_threshold(in.threshold);
  out->set_raised_at_unix_ms(in.raised_at_unix_ms);
  out->set_condition_since_unix_ms(in.condition_since_unix_ms);
}

void ToProto(const hub::AlarmEvent& in, v1::AlarmEvent* out) {
  ToProto(in.alarm, out->mutable_alarm());
  out->set_transition(static_cast<v1::AlarmTransition>(in.transition));
  out->set_at_unix_ms(in.at_unix_ms);
}

hub::Alarm FromProto(const v1::Alarm& in) {
  return {in.hub_id(),
          in.bank_id(),
          static_cast<hub::AlarmKind>(in.kind()),
          static_cast<hub::AlarmSeverity>(in.severity()),
          in.message(),
          in.value(),
          in.threshold(),
          in.raised_at_unix_ms(),
          in.condition_since_unix_ms()};
}

hub::AlarmEvent FromProto(const v1::AlarmEvent& in) {
  return {FromProto(in.alarm()), static_cast<hub::AlarmTransition>(in.transition()),
          in.at_unix_ms()};
}

hub::IntervalRead FromProto(const v1::IntervalRead& in) {
  return {in.interval_start(), EnergyWh(in.import_wh()), EnergyWh(in.export_wh()),
          static_cast<hub::ReadQuality>(in.quality())};
}

hub::MeterSample FromProto(const v1::MeterReading& in) {
  hub::MeterSample m;
  m.participant_id = in.participant_id();
  m.power_w = in.power_w();
  m.import_wh = in.import_wh();
  m.export_wh = in.export_wh();
  m.pv_wh = in.pv_wh();
  m.pv_power_w = in.pv_power_w();
  m.load_power_w = in.load_power_w();
  m.interval_reads.reserve(in.interval_reads_size());
  for (const v1::IntervalRead& r : in.interval_reads()) m.interval_reads.push_back(FromProto(r));
  return m;
}

hub::BankSample FromProto(const v1::BatteryBankReading& in) {
  hub::BankSample b;
  b.bank_id = in.bank_id();
  b.soc_pct = in.soc_pct();
  b.soh_pct = in.soh_pct();
  b.capacity_wh = in.capacity_wh();
  b.available_wh = in.available_wh();
  b.soc_min_pct = in.soc_min_pct();
  b.soc_reserve_pct = in.soc_reserve_pct();
  b.max_charge_w = in.max_charge_w();
  b.max_discharge_w = in.max_discharge_w();
  b.power_w = in.power_w();
  b.dc_voltage_v = in.dc_voltage_v();
  b.dc_current_a = in.dc_current_a();
  b.cell_voltage_min_v = in.cell_voltage_min_v();
  b.cell_voltage_max_v = in.cell_voltage_max_v();
  b.cell_temp_min_c = in.cell_temp_min_c();
  b.cell_temp_max_c = in.cell_temp_max_c();
  b.cycle_count = in.cycle_count();
  b.charge_state = static_cast<hub::ChargeState>(in.charge_state());
  b.bank_state = static_cast<hub::BankState>(in.bank_state());
  b.alarm_bits = in.alarm_bits();
  b.chemistry = static_cast<hub::Chemistry>(in.chemistry());
  b.second_life = in.second_life();
  b.mobile = in.mobile();
  b.charged_wh = in.charged_wh();
  b.discharged_wh = in.discharged_wh();
  b.interval_reads.reserve(in.interval_reads_size());
  for (const v1::IntervalRead& r : in.interval_reads()) b.interval_reads.push_back(FromProto(r));
  return b;
}

hub::HubSample FromProto(const v1::HubReport& in) {
  hub::HubSample s;
  s.hub_id = in.hub_id();
  s.zone_id = in.zone_id();
  s.seq = in.seq();
  s.measured_at_unix_ms = in.measured_at_unix_ms();
  s.meters.reserve(in.meters_size());
  for (const v1::MeterReading& m : in.meters()) s.meters.push_back(FromProto(m));
  for (const v1::BatteryBankReading& b : in.banks()) s.banks.push_back(FromProto(b));
  s.grid.power_w = in.grid().power_w();
  s.grid.import_wh = in.grid().import_wh();
  s.grid.export_wh = in.grid().export_wh();
  s.grid.mode = static_cast<hub::GridMode>(in.grid().mode());
  s.grid.interval_reads.reserve(in.grid().interval_reads_size());
  for (const v1::IntervalRead& r : in.grid().interval_reads()) {
    s.grid.interval_reads.push_back(FromProto(r));
  }
  return s;
}

absl::Status ValidateReport(const v1::HubReport& report, const hub::SampleContext& context) {
  return hub::ValidateSample(FromProto(report), context);
}

matching::StorageCapacity ToStorageCapacity(const v1::BatteryBankReading& in) {
  return matching::StorageCapacity{
      matching::EnergyAboveReserve(in.soc_pct(), in.soc_reserve_pct(), in.capacity_wh()),
      PowerW(in.max_discharge_w())};
}

}  // namespace peergrid::convert
