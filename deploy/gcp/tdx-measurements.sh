#!/usr/bin/env bash
# Reads this TD's measurements from a fresh TDX quote, independently of
# eml-enclave: configfs-tsm for the quote, a few lines of Python for the
# fixed offsets (docs/attestation-tdx.md, "Quote layout").
# NOT RUN HERE (no TDX guest where it was written). Run it as root inside the
# TDX VM whose measurements the client policy should allow:
#
#   sudo deploy/gcp/tdx-measurements.sh > tdx-release-<name>.json
#
# Prints {"mrtd","rtmr0","rtmr1","rtmr2","rtmr3"} as 96 lower-case hex digits
# each, the names docs/policy.md uses for platform "tdx". REPORTDATA is all
# zero: this quote proves nothing about a session and is used only to read
# the registers. Compare with a second boot of the same image: MRTD and
# RTMR0..2 must not change; RTMR3 changes only if something extends it.
set -euo pipefail

base=/sys/kernel/config/tsm/report
[ -d "$base" ] || { echo "tdx-measurements: $base missing (kernel without configfs-tsm, or configfs not mounted)" >&2; exit 1; }
entry="$base/eml-measure-$$"
mkdir "$entry"
trap 'rmdir "$entry" 2>/dev/null || true' EXIT
provider="$(cat "$entry/provider")"
[ "$provider" = "tdx_guest" ] || { echo "tdx-measurements: provider is '$provider', not tdx_guest" >&2; exit 1; }
head -c 64 /dev/zero > "$entry/inblob"
quote="$(mktemp)"
cat "$entry/outblob" > "$quote"

python3 - "$quote" <<'PY'
import json, struct, sys
q = open(sys.argv[1], "rb").read()
version, = struct.unpack_from("<H", q, 0)
tee_type, = struct.unpack_from("<I", q, 4)
if tee_type != 0x81:
    sys.exit("not a TDX quote (tee type 0x%x)" % tee_type)
if version == 4:
    body = 48
elif version == 5:
    body = 48 + 6   # body type (u16) and size (u32) follow the header
else:
    sys.exit("unsupported quote version %d" % version)
def reg(off):
    return q[body + off: body + off + 48].hex()
out = {"mrtd": reg(136)}
for i in range(4):
    out["rtmr%d" % i] = reg(328 + 48 * i)
td_attributes, = struct.unpack_from("<Q", q, body + 120)
if td_attributes & 1:
    sys.exit("TD_ATTRIBUTES.DEBUG is set: a debug TD; its memory is open to the host")
print(json.dumps(out, indent=2))
PY
rm -f "$quote"
