// CMS EnvelopedData for KMS CiphertextForRecipient: a small BER walker over
// ByteReader (definite and indefinite lengths) that checks the exact profile
// in cms.h, then RSA-OAEP key unwrap and AES-256-CBC content decryption.
#include "crypto/cms.h"

#include <algorithm>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/crypto_internal.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpCipherCtx;
using internal::UniqueEvpPkey;
using internal::UniqueEvpPkeyCtx;

constexpr int kMaxBerDepth = 32;
constexpr size_t kAesBlockSize = 16;
constexpr size_t kAes256KeySize = 32;

// Tags (identifier octets) used by the profile.
constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagNull = 0x05;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagSequence = 0x30;
constexpr uint8_t kTagSet = 0x31;
constexpr uint8_t kTagContext0Primitive = 0x80;
constexpr uint8_t kTagContext0 = 0xa0;
constexpr uint8_t kTagContext1 = 0xa1;
constexpr uint8_t kConstructedBit = 0x20;

// OID contents octets.
constexpr uint8_t kOidEnvelopedData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
constexpr uint8_t kOidData[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
constexpr uint8_t kOidRsaesOaep[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07};
constexpr uint8_t kOidMgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
constexpr uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
constexpr uint8_t kOidAes256Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a};

struct BerElement {
  uint8_t tag = 0;
  ByteSpan contents;  // without the end-of-contents octets when indefinite
};

bool IsConstructed(uint8_t tag) { return (tag & kConstructedBit) != 0; }

Status ReadBerElement(ByteReader* reader, int depth, BerElement* out);

// Consumes elements up to and including the end-of-contents octets.
Status SkipIndefiniteContents(ByteReader* r, int depth, ByteSpan* contents) {
  const ByteSpan start = r->rest();
  while (true) {
    if (r->remaining() >= 2 && r->rest()[0] == 0 && r->rest()[1] == 0) {
      *contents = start.first(start.size() - r->remaining());
      return r->Skip(2);
    }
    if (r->empty()) return OutOfRangeError("cms: missing end-of-contents");
    BerElement child;
    RETURN_IF_ERROR(ReadBerElement(r, depth + 1, &child));
  }
}

// One TLV in low-tag-number form. Advances `reader` only on success.
Status ReadBerElement(ByteReader* reader, int depth, BerElement* out) {
  if (depth > kMaxBerDepth) return LimitExceededError("cms: BER nesting deeper than 32");
  ByteReader r = *reader;
  uint8_t tag = 0, len0 = 0;
  RETURN_IF_ERROR(r.ReadU8(&tag));
  if ((tag & 0x1f) == 0x1f) return UnsupportedError("cms: high tag numbers are not used");
  if (tag == 0) return InvalidArgumentError("cms: unexpected end-of-contents");
  RETURN_IF_ERROR(r.ReadU8(&len0));
  ByteSpan contents;
  if (len0 == 0x80) {
    if (!IsConstructed(tag)) return InvalidArgumentError("cms: indefinite primitive element");
    RETURN_IF_ERROR(SkipIndefiniteContents(&r, depth, &contents));
  } else {
    size_t len = len0;
    if (len0 > 0x80) {
      const size_t num_octets = len0 & 0x7f;
      if (num_octets > 3) return LimitExceededError("cms: element length over 16 MiB");
      len = 0;
      for (size_t i = 0; i < num_octets; ++i) {
        uint8_t b = 0;
        RETURN_IF_ERROR(r.ReadU8(&b));
        len = (len << 8) | b;
      }
    }
    RETURN_IF_ERROR(r.ReadSpan(len, &contents));
  }
  *out = BerElement{tag, contents};
  *reader = r;
  return OkStatus();
}

Status Expect(ByteReader* r, uint8_t tag, const char* what, BerElement* out) {
  ByteReader copy = *r;
  RETURN_IF_ERROR(ReadBerElement(&copy, 0, out));
  if (out->tag != tag) return InvalidArgumentError(std::string("cms: unexpected tag for ") + what);
  *r = copy;
  return OkStatus();
}

Status ExpectOid(ByteReader* r, ByteSpan oid, const char* what) {
  BerElement e;
  RETURN_IF_ERROR(Expect(r, kTagOid, what, &e));
  if (!std::equal(e.contents.begin(), e.contents.end(), oid.begin(), oid.end())) {
    return UnsupportedError(std::string("cms: unsupported ") + what);
  }
  return OkStatus();
}

Status ExpectSmallInteger(ByteReader* r, uint8_t value, const char* what) {
  BerElement e;
  RETURN_IF_ERROR(Expect(r, kTagInteger, what, &e));
  if (e.contents.size() != 1 || e.contents[0] != value) {
    return UnsupportedError(std::string("cms: unsupported ") + what);
  }
  return OkStatus();
}

// Appends the octets of a primitive string, or of the OCTET STRING chunks
// inside a constructed one (BER).
Status AppendStringOctets(const BerElement& e, int depth, Bytes* out) {
  if (depth > kMaxBerDepth) return LimitExceededError("cms: BER nesting deeper than 32");
  if (!IsConstructed(e.tag)) {
    out->insert(out->end(), e.contents.begin(), e.contents.end());
    return OkStatus();
  }
  ByteReader r(e.contents);
  while (!r.empty()) {
    BerElement chunk;
    RETURN_IF_ERROR(ReadBerElement(&r, depth + 1, &chunk));
    if ((chunk.tag & ~kConstructedBit) != kTagOctetString) {
      return InvalidArgumentError("cms: constructed string chunk is not an OCTET STRING");
    }
    RETURN_IF_ERROR(AppendStringOctets(chunk, depth + 1, out));
  }
  return OkStatus();
}

Status ReadOctetString(ByteReader* r, const char* what, Bytes* out) {
  BerElement e;
  RETURN_IF_ERROR(ReadBerElement(r, 0, &e));
  if ((e.tag & ~kConstructedBit) != kTagOctetString) {
    return InvalidArgumentError(std::string("cms: expected OCTET STRING for ") + what);
  }
  out->clear();
  return AppendStringOctets(e, 0, out);
}

// AlgorithmIdentifier { sha256, NULL or absent parameters }.
Status CheckSha256AlgorithmId(ByteReader* r, const char* what) {
  BerElement alg;
  RETURN_IF_ERROR(Expect(r, kTagSequence, what, &alg));
  ByteReader a(alg.contents);
  RETURN_IF_ERROR(ExpectOid(&a, kOidSha256, what));
  if (!a.empty()) {
    BerElement null;
    RETURN_IF_ERROR(Expect(&a, kTagNull, what, &null));
    if (!null.contents.empty()) return InvalidArgumentError("cms: NULL with contents");
  }
  return a.ExpectEmpty(what);
}

// RSAES-OAEP-params: exactly [0] sha256 and [1] mgf1(sha256); no pSourceFunc.
Status CheckOaepParams(ByteReader* r) {
  BerElement alg;
  RETURN_IF_ERROR(Expect(r, kTagSequence, "keyEncryptionAlgorithm", &alg));
  ByteReader a(alg.contents);
  RETURN_IF_ERROR(ExpectOid(&a, kOidRsaesOaep, "key encryption algorithm"));
  BerElement params;
  RETURN_IF_ERROR(Expect(&a, kTagSequence, "RSAES-OAEP-params", &params));
  RETURN_IF_ERROR(a.ExpectEmpty("keyEncryptionAlgorithm"));
  if (params.contents.empty()) {
    return UnsupportedError("cms: empty RSAES-OAEP-params (SHA-1 default) not accepted");
  }
  ByteReader p(params.contents);
  BerElement hash, mgf;
  RETURN_IF_ERROR(Expect(&p, kTagContext0, "OAEP hashFunc", &hash));
  RETURN_IF_ERROR(Expect(&p, kTagContext1, "OAEP maskGenFunc", &mgf));
  RETURN_IF_ERROR(p.ExpectEmpty("RSAES-OAEP-params (pSourceFunc not accepted)"));
  ByteReader h(hash.contents);
  RETURN_IF_ERROR(CheckSha256AlgorithmId(&h, "OAEP hash"));
  RETURN_IF_ERROR(h.ExpectEmpty("OAEP hashFunc"));
  ByteReader m(mgf.contents);
  BerElement mgf_alg;
  RETURN_IF_ERROR(Expect(&m, kTagSequence, "OAEP maskGenFunc", &mgf_alg));
  RETURN_IF_ERROR(m.ExpectEmpty("OAEP maskGenFunc"));
  ByteReader ma(mgf_alg.contents);
  RETURN_IF_ERROR(ExpectOid(&ma, kOidMgf1, "mask generation function"));
  RETURN_IF_ERROR(CheckSha256AlgorithmId(&ma, "MGF1 hash"));
  return ma.ExpectEmpty("MGF1 AlgorithmIdentifier");
}

Status ParseRecipientInfos(const BerElement& set, CmsEnvelopeParts* out) {
  ByteReader s(set.contents);
  BerElement ktri;
  RETURN_IF_ERROR(Expect(&s, kTagSequence, "KeyTransRecipientInfo", &ktri));
  RETURN_IF_ERROR(s.ExpectEmpty("recipientInfos (exactly one recipient)"));
  ByteReader k(ktri.contents);
  RETURN_IF_ERROR(ExpectSmallInteger(&k, 2, "KeyTransRecipientInfo version"));
  BerElement rid;
  RETURN_IF_ERROR(Expect(&k, kTagContext0Primitive, "rid subjectKeyIdentifier", &rid));
  out->recipient_key_id.assign(rid.contents.begin(), rid.contents.end());
  RETURN_IF_ERROR(CheckOaepParams(&k));
  RETURN_IF_ERROR(ReadOctetString(&k, "encryptedKey", &out->encrypted_key));
  return k.ExpectEmpty("KeyTransRecipientInfo");
}

Status ParseEncryptedContentInfo(const BerElement& eci, CmsEnvelopeParts* out) {
  ByteReader e(eci.contents);
  RETURN_IF_ERROR(ExpectOid(&e, kOidData, "content type"));
  BerElement alg;
  RETURN_IF_ERROR(Expect(&e, kTagSequence, "contentEncryptionAlgorithm", &alg));
  ByteReader a(alg.contents);
  RETURN_IF_ERROR(ExpectOid(&a, kOidAes256Cbc, "content encryption algorithm"));
  RETURN_IF_ERROR(ReadOctetString(&a, "IV", &out->iv));
  RETURN_IF_ERROR(a.ExpectEmpty("contentEncryptionAlgorithm"));
  if (out->iv.size() != kAesBlockSize) return InvalidArgumentError("cms: IV must be 16 bytes");
  BerElement content;
  RETURN_IF_ERROR(ReadBerElement(&e, 0, &content));
  if ((content.tag & ~kConstructedBit) != kTagContext0Primitive) {
    return InvalidArgumentError("cms: expected [0] encryptedContent");
  }
  out->ciphertext.clear();
  RETURN_IF_ERROR(AppendStringOctets(content, 0, &out->ciphertext));
  return e.ExpectEmpty("EncryptedContentInfo");
}

Status ParseEnvelopedData(const BerElement& env, CmsEnvelopeParts* out) {
  ByteReader d(env.contents);
  RETURN_IF_ERROR(ExpectSmallInteger(&d, 2, "EnvelopedData version"));
  BerElement set, eci;
  RETURN_IF_ERROR(Expect(&d, kTagSet, "recipientInfos (originatorInfo not accepted)", &set));
  RETURN_IF_ERROR(ParseRecipientInfos(set, out));
  RETURN_IF_ERROR(Expect(&d, kTagSequence, "EncryptedContentInfo", &eci));
  RETURN_IF_ERROR(ParseEncryptedContentInfo(eci, out));
  return d.ExpectEmpty("EnvelopedData (unprotectedAttrs not accepted)");
}

StatusOr<SecretBytes> AesCbcDecrypt(ByteSpan key, ByteSpan iv, ByteSpan ciphertext) {
  UniqueEvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cms: AES init failed");
  }
  SecretBytes out(ciphertext.size() + kAesBlockSize);
  int len = 0, final_len = 0;
  if (EVP_DecryptUpdate(ctx.get(), out.MutableData(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.MutableData() + len, &final_len) != 1) {
    return OpenSslError(StatusCode::kVerificationFailed, "cms: decryption failed");
  }
  return SecretBytes(out.RevealSecret().first(static_cast<size_t>(len + final_len)));
}

// --- Encryption (the KMS profile, see cms.h) ---

constexpr uint8_t kEoc[] = {0x00, 0x00};

// Appends a definite-length header (DER length octets) for `len` bytes.
void AppendHeader(uint8_t tag, size_t len, Bytes* out) {
  out->push_back(tag);
  if (len < 0x80) {
    out->push_back(static_cast<uint8_t>(len));
    return;
  }
  uint8_t octets[sizeof(size_t)];
  size_t n = 0;
  for (size_t v = len; v != 0; v >>= 8) octets[n++] = static_cast<uint8_t>(v & 0xff);
  out->push_back(static_cast<uint8_t>(0x80 | n));
  while (n > 0) out->push_back(octets[--n]);
}

void AppendTlv(uint8_t tag, ByteSpan contents, Bytes* out) {
  AppendHeader(tag, contents.size(), out);
  out->insert(out->end(), contents.begin(), contents.end());
}

void AppendIndefinite(uint8_t tag, Bytes* out) {
  out->push_back(tag);
  out->push_back(0x80);
}

void AppendEoc(Bytes* out) { out->insert(out->end(), std::begin(kEoc), std::end(kEoc)); }

// AlgorithmIdentifier { oid, NULL }.
Bytes AlgorithmWithNull(ByteSpan oid) {
  Bytes contents;
  AppendTlv(kTagOid, oid, &contents);
  AppendTlv(kTagNull, {}, &contents);
  Bytes out;
  AppendTlv(kTagSequence, contents, &out);
  return out;
}

// { id-RSAES-OAEP, { [0] sha256, [1] { mgf1, sha256 } } }
Bytes OaepAlgorithmIdentifier() {
  Bytes mgf_contents;
  AppendTlv(kTagOid, kOidMgf1, &mgf_contents);
  const Bytes sha256 = AlgorithmWithNull(kOidSha256);
  mgf_contents.insert(mgf_contents.end(), sha256.begin(), sha256.end());
  Bytes mgf;
  AppendTlv(kTagSequence, mgf_contents, &mgf);
  Bytes params;
  AppendTlv(kTagContext0, sha256, &params);
  AppendTlv(kTagContext1, mgf, &params);
  Bytes contents;
  AppendTlv(kTagOid, kOidRsaesOaep, &contents);
  AppendTlv(kTagSequence, params, &contents);
  Bytes out;
  AppendTlv(kTagSequence, contents, &out);
  return out;
}

StatusOr<UniqueEvpPkey> LoadRsa2048Spki(ByteSpan spki_der) {
  if (spki_der.empty() || spki_der.size() > kMaxSpkiDerSize) {
    return InvalidArgumentError("cms: recipient public key must be 1..1024 bytes of DER");
  }
  const unsigned char* p = spki_der.data();
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!pkey || p != spki_der.data() + spki_der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "cms: recipient public key is not one DER SubjectPublicKeyInfo");
  }
  if (internal::PublicKeySpkiDer(pkey.get()) != Bytes(spki_der.begin(), spki_der.end())) {
    return InvalidArgumentError("cms: recipient public key is not canonical DER");
  }
  if (!EVP_PKEY_is_a(pkey.get(), "RSA") || EVP_PKEY_get_bits(pkey.get()) != 2048) {
    return UnsupportedError("cms: recipient public key must be RSA-2048");
  }
  return pkey;
}

StatusOr<Bytes> OaepSha256Encrypt(EVP_PKEY* pkey, ByteSpan message) {
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cms: OAEP init failed");
  }
  Bytes out(kRsa2048ModulusSize);
  size_t len = out.size();
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, message.data(), message.size()) != 1 ||
      len != kRsa2048ModulusSize) {
    return OpenSslError(StatusCode::kInternal, "cms: OAEP encryption failed");
  }
  return out;
}

StatusOr<Bytes> AesCbcEncrypt(const SecretBytes& key, ByteSpan iv, ByteSpan plaintext) {
  UniqueEvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.RevealSecret().data(),
                                 iv.data()) != 1) {
    return OpenSslError(StatusCode::kInternal, "cms: AES init failed");
  }
  Bytes out(plaintext.size() + kAesBlockSize);
  int len = 0, final_len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    return OpenSslError(StatusCode::kInternal, "cms: AES encryption failed");
  }
  out.resize(static_cast<size_t>(len + final_len));
  return out;
}

Bytes KeyTransRecipientInfo(ByteSpan key_id, ByteSpan encrypted_key) {
  Bytes contents;
  const uint8_t version2[] = {0x02};
  AppendTlv(kTagInteger, version2, &contents);
  AppendTlv(kTagContext0Primitive, key_id, &contents);
  const Bytes oaep = OaepAlgorithmIdentifier();
  contents.insert(contents.end(), oaep.begin(), oaep.end());
  AppendTlv(kTagOctetString, encrypted_key, &contents);
  Bytes ktri;
  AppendTlv(kTagSequence, contents, &ktri);
  Bytes set;
  AppendTlv(kTagSet, ktri, &set);
  return set;
}

void AppendEncryptedContentInfo(ByteSpan iv, ByteSpan ciphertext, Bytes* out) {
  AppendIndefinite(kTagSequence, out);
  AppendTlv(kTagOid, kOidData, out);
  Bytes alg;
  AppendTlv(kTagOid, kOidAes256Cbc, &alg);
  AppendTlv(kTagOctetString, iv, &alg);
  AppendTlv(kTagSequence, alg, out);
  AppendIndefinite(kTagContext0, out);
  AppendTlv(kTagOctetString, ciphertext, out);
  AppendEoc(out);  // [0] encryptedContent
  AppendEoc(out);  // EncryptedContentInfo
}

}  // namespace

Status CheckRsa2048SpkiDer(ByteSpan spki_der) { return LoadRsa2048Spki(spki_der).status(); }

StatusOr<Bytes> EncryptCmsEnvelopedData(ByteSpan plaintext, ByteSpan recipient_spki_der) {
  if (plaintext.empty() || plaintext.size() > kMaxCmsPlaintextSize) {
    return InvalidArgumentError("cms: plaintext must be 1..32768 bytes");
  }
  ASSIGN_OR_RETURN(UniqueEvpPkey pkey, LoadRsa2048Spki(recipient_spki_der));
  ASSIGN_OR_RETURN(SecretBytes content_key, RandomSecret(kAes256KeySize));
  Bytes iv(kAesBlockSize);
  RETURN_IF_ERROR(RandomBytes(iv));
  ASSIGN_OR_RETURN(Bytes encrypted_key, OaepSha256Encrypt(pkey.get(), content_key.RevealSecret()));
  ASSIGN_OR_RETURN(Bytes ciphertext, AesCbcEncrypt(content_key, iv, plaintext));

  Bytes out;
  AppendIndefinite(kTagSequence, &out);  // ContentInfo
  AppendTlv(kTagOid, kOidEnvelopedData, &out);
  AppendIndefinite(kTagContext0, &out);  // [0] EXPLICIT
  AppendIndefinite(kTagSequence, &out);  // EnvelopedData
  const uint8_t version2[] = {0x02};
  AppendTlv(kTagInteger, version2, &out);
  const Bytes recipients = KeyTransRecipientInfo(Sha256(recipient_spki_der), encrypted_key);
  out.insert(out.end(), recipients.begin(), recipients.end());
  AppendEncryptedContentInfo(iv, ciphertext, &out);
  AppendEoc(&out);  // EnvelopedData
  AppendEoc(&out);  // [0]
  AppendEoc(&out);  // ContentInfo
  return out;
}

StatusOr<CmsEnvelopeParts> ParseCmsEnvelopedData(ByteSpan ber) {
  if (ber.size() > kMaxCmsEnvelopeSize) return LimitExceededError("cms: envelope larger than 64 KiB");
  ByteReader r(ber);
  BerElement content_info, explicit0, env;
  RETURN_IF_ERROR(Expect(&r, kTagSequence, "ContentInfo", &content_info));
  RETURN_IF_ERROR(r.ExpectEmpty("ContentInfo"));
  ByteReader ci(content_info.contents);
  RETURN_IF_ERROR(ExpectOid(&ci, kOidEnvelopedData, "ContentInfo type"));
  RETURN_IF_ERROR(Expect(&ci, kTagContext0, "ContentInfo content", &explicit0));
  RETURN_IF_ERROR(ci.ExpectEmpty("ContentInfo"));
  ByteReader ex(explicit0.contents);
  RETURN_IF_ERROR(Expect(&ex, kTagSequence, "EnvelopedData", &env));
  RETURN_IF_ERROR(ex.ExpectEmpty("ContentInfo [0]"));
  CmsEnvelopeParts parts;
  RETURN_IF_ERROR(ParseEnvelopedData(env, &parts));
  return parts;
}

StatusOr<SecretBytes> DecryptCmsEnvelopedData(ByteSpan ber, const RsaPrivateKey& key) {
  ASSIGN_OR_RETURN(CmsEnvelopeParts parts, ParseCmsEnvelopedData(ber));
  if (parts.recipient_key_id != Sha256(key.PublicKeySpkiDer())) {
    return VerificationFailedError("cms: envelope is addressed to a different key");
  }
  if (parts.ciphertext.empty() || parts.ciphertext.size() % kAesBlockSize != 0) {
    return InvalidArgumentError("cms: ciphertext is not a whole number of AES blocks");
  }
  StatusOr<SecretBytes> content_key = key.DecryptOaepSha256(parts.encrypted_key);
  if (!content_key.ok() || content_key->size() != kAes256KeySize) {
    return VerificationFailedError("cms: decryption failed");
  }
  return AesCbcDecrypt(content_key->RevealSecret(), parts.iv, parts.ciphertext);
}

}  // namespace eml::crypto
