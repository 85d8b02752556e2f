#!/usr/bin/env bash
# Fills the KMS key policy and the instance-role IAM policy from one or more
# release measurement files. NOT RUN HERE against AWS; it only needs jq and
# writes two JSON files for a person to review before applying them.
#
#   ACCOUNT=111122223333 REGION=eu-west-1 KEY_ID=1234abcd-... \
#   deploy/nitro/render-kms-policies.sh OUT_DIR release-A.json [release-B.json ...]
#
# Optional: ADMIN_ROLE (eml-key-admin), OWNER_ROLE (eml-model-owner),
# PARENT_ROLE (eml-parent-instance), BUCKET (eml-models-$ACCOUNT),
# PREFIX (models/).
#
# Each release gets its OWN statement. Never merge two releases into one
# statement with lists of values: conditions on different keys are ANDed but
# the values of one key are ORed, so {PCR0: [A0, B0], PCR2: [A2, B2]} would
# also release the key to an image measuring (A0, B2) -- the same
# cross-combination the signed client policy refuses (docs/policy.md).
# During a rollout, list the old and the new release; afterwards, only the new.
#
# Apply (after review):
#   aws kms put-key-policy --key-id "$KEY_ID" --policy-name default \
#       --policy file://OUT_DIR/kms-key-policy.json
#   aws iam put-role-policy --role-name "$PARENT_ROLE" --policy-name eml-enclave \
#       --policy-document file://OUT_DIR/iam-instance-role-policy.json
set -euo pipefail

out="${1:?usage: render-kms-policies.sh OUT_DIR release.json [release.json ...]}"
shift
[ $# -ge 1 ] || { echo "render-kms-policies: name at least one release file" >&2; exit 2; }
: "${ACCOUNT:?set ACCOUNT}" "${REGION:?set REGION}" "${KEY_ID:?set KEY_ID}"
admin="${ADMIN_ROLE:-eml-key-admin}"
owner="${OWNER_ROLE:-eml-model-owner}"
parent="${PARENT_ROLE:-eml-parent-instance}"
bucket="${BUCKET:-eml-models-$ACCOUNT}"
prefix="${PREFIX:-models/}"

[[ "$ACCOUNT" =~ ^[0-9]{12}$ ]] || { echo "ACCOUNT: 12 digits" >&2; exit 2; }

# [{name, pcr0, pcr1, pcr2}], checked: 96 hex digits, not all zero (debug).
releases="$(for f in "$@"; do
  jq -c --arg name "$(basename "$f" .json)" '
    def pcr(k): (.[k] // error("\(k) missing")) | ascii_downcase
      | if test("^[0-9a-f]{96}$") | not then error("\(k): not 96 hex digits")
        elif test("^0+$") then error("\(k): all zero (debug enclave)") else . end;
    {name: $name, pcr0: pcr("pcr0"), pcr1: pcr("pcr1"), pcr2: pcr("pcr2")}' "$f"
done | jq -s .)"

mkdir -p "$out"

jq -n --argjson r "$releases" --arg a "$ACCOUNT" --arg admin "$admin" \
      --arg owner "$owner" --arg parent "$parent" '
  def cond(x): {StringEqualsIgnoreCase: {
      "kms:RecipientAttestation:ImageSha384": x.pcr0,
      "kms:RecipientAttestation:PCR1": x.pcr1,
      "kms:RecipientAttestation:PCR2": x.pcr2}};
  {Version: "2012-10-17", Id: "eml-model-key", Statement: ([
    {Sid: "KeyAdministrationWithoutCryptographicUse", Effect: "Allow",
     Principal: {AWS: "arn:aws:iam::\($a):role/\($admin)"},
     Action: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy",
              "kms:GetKeyRotationStatus", "kms:EnableKeyRotation", "kms:DisableKeyRotation",
              "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
              "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion",
              "kms:CancelKeyDeletion"],
     Resource: "*"},
    {Sid: "ModelOwnerWrapsDataKeys", Effect: "Allow",
     Principal: {AWS: "arn:aws:iam::\($a):role/\($owner)"},
     Action: ["kms:GenerateDataKey", "kms:DescribeKey"], Resource: "*"}
  ] + [ $r[] | {Sid: "EnclaveRelease-\(.name)", Effect: "Allow",
     Principal: {AWS: "arn:aws:iam::\($a):role/\($parent)"},
     Action: "kms:Decrypt", Resource: "*", Condition: cond(.)} ])}' \
  > "$out/kms-key-policy.json"

jq -n --argjson r "$releases" --arg a "$ACCOUNT" --arg region "$REGION" \
      --arg key "$KEY_ID" --arg bucket "$bucket" --arg prefix "$prefix" '
  {Version: "2012-10-17", Statement: ([ $r | to_entries[] | {
     Sid: "AttestedDecrypt\(.key)", Effect: "Allow", Action: "kms:Decrypt",
     Resource: "arn:aws:kms:\($region):\($a):key/\($key)",
     Condition: {StringEqualsIgnoreCase: {
       "kms:RecipientAttestation:ImageSha384": .value.pcr0,
       "kms:RecipientAttestation:PCR1": .value.pcr1,
       "kms:RecipientAttestation:PCR2": .value.pcr2}}} ] + [
    {Sid: "ReadEncryptedModelPackages", Effect: "Allow", Action: "s3:GetObject",
     Resource: "arn:aws:s3:::\($bucket)/\($prefix)*"} ])}' \
  > "$out/iam-instance-role-policy.json"

echo "render-kms-policies: wrote $out/kms-key-policy.json and $out/iam-instance-role-policy.json" \
     "for $(jq -r 'map(.name) | join(", ")' <<<"$releases")"
