#!/usr/bin/env bash
# Regenerates the test certificates in this folder with the openssl CLI
# (not with our code). They are committed; the tests do not run this.
#   dev_root_ca.der  self-signed P-384 CA (basicConstraints CA:TRUE), a stand-in
#                    for a development ("evaluation") root
#   not_a_ca.der     self-signed P-384 certificate with CA:FALSE
#   dev_root_ca.pem  dev_root_ca.der in PEM form (for the der_file PEM path)
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
openssl ecparam -name secp384r1 -genkey -noout -out "$tmp/ca.key"
openssl req -x509 -new -key "$tmp/ca.key" -sha384 -days 36500 -subj "/CN=eml-dev-root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -outform DER -out dev_root_ca.der
openssl x509 -inform DER -in dev_root_ca.der -out dev_root_ca.pem
openssl ecparam -name secp384r1 -genkey -noout -out "$tmp/leaf.key"
openssl req -x509 -new -key "$tmp/leaf.key" -sha384 -days 36500 -subj "/CN=eml-not-a-ca" \
  -addext "basicConstraints=critical,CA:FALSE" -outform DER -out not_a_ca.der
