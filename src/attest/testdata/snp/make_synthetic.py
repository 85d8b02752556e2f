#!/usr/bin/env python3
"""Writes a synthetic AMD-style SEV-SNP PKI for snp_test (not AMD's keys).

For each product (Milan, Turin) it creates, in <product>/:
  ark.der       self-signed "ARK-<product>", RSA-2048, RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48
  ask.der       "SEV-<product>" CA (pathlen 0) signed by the ARK, same PSS profile
  ask_pkcs1.der, ask_salt32.der
                the same ASK signed with PKCS#1 v1.5 / with PSS and a 32-byte salt
  vcek.der      "SEV-VCEK" with a P-384 key and AMD's VCEK extensions (productName,
                blSPL/teeSPL/snpSPL/ucodeSPL, Turin also fmcSPL, hwID)
  vcek_key.p8   the VCEK's private key, PKCS#8 DER (a throwaway test key), so
                the C++ test can sign reports it builds
and index.json with every value written, which the test reads instead of
repeating them.

The structure mirrors the real KDS certificates in ../shared/vectors/sev-snp
(checked with `openssl x509 -text` side by side); the values are made up.
Run with python3 and the `cryptography` package (>= 41):
  python3 make_synthetic.py   (in this directory)
"""
import datetime
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

NOT_BEFORE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
NOT_AFTER = datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
AMD = "1.3.6.1.4.1.3704.1."

PRODUCTS = {
    "Milan": {"product_name": "Milan-B0", "struct_version": 0,
              "tcb": {"bl": 3, "tee": 0, "snp": 8, "ucode": 115},
              "hwid": bytes(range(0x40, 0x80))},
    "Turin": {"product_name": "Turin", "struct_version": 1,
              "tcb": {"fmc": 1, "bl": 2, "tee": 0, "snp": 3, "ucode": 72},
              "hwid": bytes.fromhex("0123456789abcdef")},
}


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Engineering"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Synthetic test PKI (not AMD)"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def der_int(v):
    body = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return bytes([0x02, len(body)]) + body


def der_ia5(s):
    return bytes([0x16, len(s)]) + s.encode()


def builder(subject, issuer, key):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER))


def ca_extensions(b, path_length, crl_sign):
    b = b.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    return b.add_extension(x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=crl_sign,
        encipher_only=False, decipher_only=False), critical=True)


def unrecognized(b, oid, value):
    return b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier(oid), value), critical=False)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make(product, spec, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    ark_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    vcek_key = ec.generate_private_key(ec.SECP384R1())

    ark_name, ask_name = name("ARK-" + product), name("SEV-" + product)
    ark = ca_extensions(builder(ark_name, ark_name, ark_key.public_key()), None, True)
    ark = ark.sign(ark_key, hashes.SHA384(), rsa_padding=PSS)
    ask = ca_extensions(builder(ask_name, ark_name, ask_key.public_key()), 0, False)
    ask_unsigned = ask
    ask = ask_unsigned.sign(ark_key, hashes.SHA384(), rsa_padding=PSS)
    # The same ASK signed with algorithms outside AMD's profile: PKCS#1 v1.5,
    # and RSASSA-PSS with a 32-byte salt.
    ask_pkcs1 = ask_unsigned.sign(ark_key, hashes.SHA384(), rsa_padding=padding.PKCS1v15())
    ask_salt32 = ask_unsigned.sign(ark_key, hashes.SHA384(), rsa_padding=padding.PSS(
        mgf=padding.MGF1(hashes.SHA384()), salt_length=32))

    vcek = builder(name("SEV-VCEK"), ask_name, vcek_key.public_key())
    vcek = unrecognized(vcek, AMD + "1", der_int(spec["struct_version"]))
    vcek = unrecognized(vcek, AMD + "2", der_ia5(spec["product_name"]))
    tcb = spec["tcb"]
    if "fmc" in tcb:
        vcek = unrecognized(vcek, AMD + "3.9", der_int(tcb["fmc"]))
    for oid, key in (("3.1", "bl"), ("3.2", "tee"), ("3.3", "snp"), ("3.8", "ucode")):
        vcek = unrecognized(vcek, AMD + oid, der_int(tcb[key]))
    vcek = unrecognized(vcek, AMD + "4", spec["hwid"])
    vcek = vcek.sign(ask_key, hashes.SHA384(), rsa_padding=PSS)

    der = serialization.Encoding.DER
    write(os.path.join(out_dir, "ark.der"), ark.public_bytes(der))
    write(os.path.join(out_dir, "ask.der"), ask.public_bytes(der))
    write(os.path.join(out_dir, "vcek.der"), vcek.public_bytes(der))
    write(os.path.join(out_dir, "ask_pkcs1.der"), ask_pkcs1.public_bytes(der))
    write(os.path.join(out_dir, "ask_salt32.der"), ask_salt32.public_bytes(der))
    write(os.path.join(out_dir, "vcek_key.p8"), vcek_key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return {"product": product, "product_name": spec["product_name"], "tcb": tcb,
            "hwid": spec["hwid"].hex(),
            "not_before": int(NOT_BEFORE.timestamp()), "not_after": int(NOT_AFTER.timestamp())}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    index = {p: make(p, spec, os.path.join(here, p.lower())) for p, spec in PRODUCTS.items()}
    with open(os.path.join(here, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
