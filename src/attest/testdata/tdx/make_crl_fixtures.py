#!/usr/bin/env python3
"""Generates the CRL fixtures tdx_test uses for crypto::CheckNotRevoked.

A throwaway P-256 CA ("Test CRL CA", cRLSign), two leaves it issued (serials
0x1001 and 0x1002), a second CA with the same key usage ("Other CA"), and
CRLs by the test CA valid 2025-01-01T00:00:00Z .. 2025-02-01T00:00:00Z:
  crl_revokes_1001.der  lists serial 0x1001
  crl_empty.der         lists nothing
  crl_other_ca.der      the same list, signed and issued by "Other CA"
Run from this folder: python3 make_crl_fixtures.py (python3-cryptography).
"""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
T1 = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
THIS = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
NEXT = datetime.datetime(2025, 2, 1, tzinfo=datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn))
            .public_key(key.public_key()).serial_number(1).not_valid_before(T0)
            .not_valid_after(T1)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def leaf(ca_key, ca_cert, serial):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateBuilder().subject_name(name("Leaf %x" % serial))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(serial)
            .not_valid_before(T0).not_valid_after(T1)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))


def crl(ca_key, ca_cert, serials):
    b = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
         .last_update(THIS).next_update(NEXT)
         .add_extension(x509.CRLNumber(1), critical=False))
    for s in serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(s)
                                      .revocation_date(THIS).build())
    return b.sign(ca_key, hashes.SHA256())


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


def main():
    key, cert = ca("Test CRL CA")
    other_key, other = ca("Other CA")
    files = {
        "crl_ca.der": der(cert),
        "crl_other_ca.der": der(other),
        "crl_leaf_1001.der": der(leaf(key, cert, 0x1001)),
        "crl_leaf_1002.der": der(leaf(key, cert, 0x1002)),
        "crl_revokes_1001.der": der(crl(key, cert, [0x1001])),
        "crl_empty.der": der(crl(key, cert, [])),
        "crl_by_other_ca.der": der(crl(other_key, other, [0x1001])),
    }
    for path, data in files.items():
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
