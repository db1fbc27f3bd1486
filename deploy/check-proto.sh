#!/usr/bin/env bash
# Compiles the API contract with a second, independent toolchain (Debian's
# python3-grpc-tools, its own bundled protoc), so clients in other languages can
# use proto/ as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I/usr/include \
  --python_out="$out" --grpc_python_out="$out" proto/peergrid/v1/*.proto
PYTHONPATH="$out" /usr/bin/python3 - <<'PY'
from peergrid.v1 import market_pb2, ledger_pb2, hub_pb2, audit_pb2, admin_pb2, operator_pb2
from peergrid.v1 import market_pb2_grpc, hub_pb2_grpc, audit_pb2_grpc, admin_pb2_grpc, operator_pb2_grpc
o = market_pb2.SubmitOrderRequest()
o.order.quantity_wh = 1000
assert ledger_pb2.LedgerEntry.FromString(ledger_pb2.LedgerEntry().SerializeToString()) is not None
for svc in ("MarketService", "HubService", "AuditService", "AdminService", "OperatorService"):
    mods = {"MarketService": market_pb2_grpc, "HubService": hub_pb2_grpc, "AuditService": audit_pb2_grpc,
            "AdminService": admin_pb2_grpc, "OperatorService": operator_pb2_grpc}
    assert hasattr(mods[svc], svc + "Stub"), svc
print("proto: ok (python3-grpc-tools compiled and loaded every service)")
PY
