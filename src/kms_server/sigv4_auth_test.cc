// Server-side SigV4: requests signed by botocore (../shared/vectors/sigv4/
// derived/kms-*) authenticate; any change to them does not.
#include "kms_server/sigv4_auth.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "kms/kms_json.h"
#include "tests/testing.h"

namespace eml::kms_server {
namespace {

using eml::testing::ReadJsonOrFail;
using eml::testing::ReadTextOrFail;
using eml::testing::SharedPath;

constexpr int64_t kVectorTime = 1440938160;  // 20150830T123600Z (python calendar.timegm)

TEST(SigV4AuthTest, ParseAmzDate) {
  EXPECT_EQ(*ParseAmzDate("20150830T123600Z"), kVectorTime);
  EXPECT_EQ(*ParseAmzDate("20000229T235959Z"), 951868799);
  EXPECT_EQ(*ParseAmzDate("19700101T000000Z"), 0);
  for (const char* bad : {"", "20150830T123600", "20150830 123600Z", "2015083OT123600Z",
                          "20151330T123600Z", "20150230T000000Z", "20150830T246000Z",
                          "20150830T123600Z0", "+0150830T123600Z"}) {
    EXPECT_FALSE(ParseAmzDate(bad).ok()) << bad;
  }
}

struct Vector {
  net::HttpRequest request;
  std::vector<ServerCredential> credentials;
};

// The signed request as the test-suite files give it (.sreq head, .body).
Vector LoadVector(const std::string& name) {
  const std::string dir = SharedPath("vectors/sigv4/derived/" + name + "/");
  const nlohmann::json context = ReadJsonOrFail(dir + "context.json");
  Vector v;
  v.request.method = "POST";
  v.request.target = "/";
  const std::string sreq = ReadTextOrFail(dir + name + ".sreq");
  size_t pos = sreq.find('\n') + 1;  // skip the request line
  while (pos < sreq.size() && sreq[pos] != '\n') {
    const size_t end = sreq.find('\n', pos);
    const std::string line = sreq.substr(pos, end - pos);
    const size_t colon = line.find(':');
    v.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    pos = end + 1;
  }
  v.request.body = ToBytes(ReadTextOrFail(dir + name + ".body"));
  ServerCredential c;
  c.access_key_id = context["credentials"]["access_key_id"];
  c.secret_access_key = SecretBytes(AsBytes(context["credentials"]["secret_access_key"].get<std::string>()));
  c.session_token = context["credentials"].value("session_token", "");
  c.principal_arn = "arn:aws:iam::111122223333:user/test";
  v.credentials.push_back(std::move(c));
  return v;
}

std::string_view TypeOf(const StatusOr<const ServerCredential*>& r) {
  return kms::AwsErrorTypeOf(r.status());
}

TEST(SigV4AuthTest, BotocoreSignedKmsRequestsAuthenticate) {
  FakeClock clock(kVectorTime * 1000);
  const AuthOptions options{.region = "us-east-1", .clock = &clock};
  int vectors = 0;
  for (const char* name : {"kms-decrypt-recipient", "kms-generatedatakey-recipient",
                           "kms-decrypt-recipient-session-token-content-sha256"}) {
    SCOPED_TRACE(name);
    Vector v = LoadVector(name);
    ASSERT_GE(v.request.headers.size(), 5u);
    auto who = AuthenticateRequest(v.request, v.credentials, options);
    ASSERT_TRUE(who.ok()) << who.status().ToString();
    EXPECT_EQ(*who, &v.credentials[0]);
    ++vectors;

    // Every change to a signed part is refused.
    net::HttpRequest body = v.request;
    body.body[body.body.size() / 2] ^= 1;
    EXPECT_EQ(TypeOf(AuthenticateRequest(body, v.credentials, options)), "InvalidSignatureException");
    for (size_t h = 0; h < v.request.headers.size(); ++h) {
      net::HttpRequest changed = v.request;
      std::string& value = changed.headers[h].second;
      value.back() = value.back() == '0' ? '1' : '0';
      const std::string_view type = TypeOf(AuthenticateRequest(changed, v.credentials, options));
      EXPECT_FALSE(type.empty()) << v.request.headers[h].first;
    }
    // Each signature digit.
    const size_t auth_index = [&] {
      for (size_t h = 0; h < v.request.headers.size(); ++h) {
        if (v.request.headers[h].first == "Authorization") return h;
      }
      return size_t{0};
    }();
    const std::string authorization = v.request.headers[auth_index].second;
    for (size_t i = authorization.size() - 64; i < authorization.size(); ++i) {
      net::HttpRequest changed = v.request;
      changed.headers[auth_index].second[i] = authorization[i] == 'a' ? 'b' : 'a';
      EXPECT_EQ(TypeOf(AuthenticateRequest(changed, v.credentials, options)),
                "InvalidSignatureException") << i;
    }
    // Another region or a clock 5 min + 1 s away.
    EXPECT_EQ(TypeOf(AuthenticateRequest(v.request, v.credentials,
                                         {.region = "eu-west-1", .clock = &clock})),
              "InvalidSignatureException");
    FakeClock late((kVectorTime + 301) * 1000);
    EXPECT_EQ(TypeOf(AuthenticateRequest(v.request, v.credentials, {.region = "us-east-1", .clock = &late})),
              "InvalidSignatureException");
    FakeClock edge((kVectorTime + 300) * 1000);
    EXPECT_TRUE(AuthenticateRequest(v.request, v.credentials, {.region = "us-east-1", .clock = &edge}).ok());
    // Unknown key id; missing header.
    std::vector<ServerCredential> others(1);
    others[0].access_key_id = "AKIDOTHER";
    others[0].secret_access_key = v.credentials[0].secret_access_key.Clone();
    EXPECT_EQ(TypeOf(AuthenticateRequest(v.request, others, options)), "UnrecognizedClientException");
    net::HttpRequest unsigned_request = v.request;
    unsigned_request.headers.erase(unsigned_request.headers.begin() + static_cast<long>(auth_index));
    EXPECT_EQ(TypeOf(AuthenticateRequest(unsigned_request, v.credentials, options)),
              "MissingAuthenticationTokenException");
    net::HttpRequest truncated = v.request;
    truncated.headers[auth_index].second.resize(authorization.find(", Signature"));
    EXPECT_EQ(TypeOf(AuthenticateRequest(truncated, v.credentials, options)),
              "IncompleteSignatureException");
  }
  EXPECT_EQ(vectors, 3);
}

TEST(SigV4AuthTest, CredentialsFile) {
  auto ok = ParseCredentialsJson(
      R"([{"AccessKeyId":"A","SecretAccessKey":"s"},{"AccessKeyId":"B","SecretAccessKey":"t","SessionToken":"x","Arn":"arn:aws:iam::111122223333:role/r"}])");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].principal_arn, "arn:aws:iam::000000000000:user/A");
  EXPECT_EQ((*ok)[1].session_token, "x");
  for (const char* bad : {"", "{}", "[]", R"([{"AccessKeyId":"A"}])",
                          R"([{"AccessKeyId":"A","SecretAccessKey":"s","Extra":1}])",
                          R"([{"AccessKeyId":"A","SecretAccessKey":"s"},{"AccessKeyId":"A","SecretAccessKey":"t"}])"}) {
    auto r = ParseCredentialsJson(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().find("\"s\""), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace eml::kms_server
