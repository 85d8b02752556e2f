#!/usr/bin/env bash
# Regenerates the 3-certificate P-384 chain (root -> intermediate -> leaf) that
# crypto_bench verifies. Our own throwaway keys, valid for 100 years from
# generation (the bench verifies at the leaf's notBefore + 1 day); the private
# keys are not kept. Usage: bench/data/make_chain3.sh
set -euo pipefail
cd "$(dirname "$0")/chain3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash"
leaf_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature"
for n in root intermediate leaf; do
  openssl ecparam -name secp384r1 -genkey -noout -out "$tmp/$n.key"
done
printf '%s\n' "$ca_ext" > "$tmp/ca.ext"
printf '%s\n' "$leaf_ext" > "$tmp/leaf.ext"
openssl req -x509 -new -key "$tmp/root.key" -sha384 -subj "/CN=eml bench root" -days 36500 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$tmp/root.pem"
sign() {  # sign CHILD ISSUER EXTFILE CN
  openssl req -new -key "$tmp/$1.key" -subj "/CN=$4" -out "$tmp/$1.csr"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" -CAcreateserial \
    -sha384 -days 36500 -extfile "$tmp/$3" -out "$tmp/$1.pem" 2>/dev/null
}
sign intermediate root ca.ext "eml bench intermediate"
sign leaf intermediate leaf.ext "eml bench leaf"
for n in root intermediate leaf; do openssl x509 -in "$tmp/$n.pem" -outform DER -out "$n.der"; done
