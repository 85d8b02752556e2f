// Tests of eml-host's KMS and storage proxies, in process: each proxy runs as
// a ProxyServer on loopback, its upstream is a fake built with net/http.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/secret.h"
#include "host/credentials.h"
#include "host/kms_proxy.h"
#include "host/proxy_server.h"
#include "host/storage_proxy.h"
#include "host/upstream.h"
#include "kms/sigv4.h"
#include "net/http.h"
#include "storage/storage_client.h"

namespace eml::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

net::Endpoint Loopback(uint32_t port = 0) {
  return net::Endpoint{.family = net::Endpoint::Family::kIpv4, .host = "127.0.0.1", .cid = 0,
                       .port = port};
}

std::string Str(const Bytes& b) { return std::string(AsStringView(b)); }

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "eml-proxy-test-XXXXXX").string();
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, std::string_view content) const {
    fs::create_directories(fs::path(path_ + "/" + rel).parent_path());
    std::ofstream(path_ + "/" + rel, std::ios::binary) << content;
  }

 private:
  std::string path_;
};

// A fake upstream: serves each request with `handler` on its own thread,
// recording every request it read.
class FakeUpstream {
 public:
  using Handler = std::function<std::string(const net::HttpRequest&)>;
  explicit FakeUpstream(Handler handler) : handler_(std::move(handler)) {
    StatusOr<net::Listener> l = net::Listen(Loopback(), 16);
    EXPECT_TRUE(l.ok());
    listener_.emplace(std::move(*l));
    thread_ = std::thread([this] {
      for (;;) {
        StatusOr<net::Socket> s = net::Accept(*listener_, net::Deadline::Never());
        if (!s.ok()) return;
        for (;;) {
          StatusOr<net::HttpRequest> req = net::ReadHttpRequest(*s, 1 << 20, net::Deadline::In(10s));
          if (!req.ok()) break;
          const std::string reply = handler_(*req);
          {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back(*req);
          }
          if (!net::WriteAll(*s, AsBytes(reply), net::Deadline::In(10s)).ok()) break;
        }
      }
    });
  }
  ~FakeUpstream() {
    listener_->Shutdown();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_->port()); }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  Handler handler_;
  std::optional<net::Listener> listener_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<net::HttpRequest> requests_;
};

std::unique_ptr<ProxyServer> StartProxy(std::string name, ProxyHandler handler,
                                        std::string record_dir = {}) {
  EXPECT_TRUE(InitUpstreamLibrary().ok());
  StatusOr<std::unique_ptr<ProxyServer>> s =
      ProxyServer::Start(Loopback(), ProxyServerOptions{.name = std::move(name),
                                                        .max_connections = 16,
                                                        .request_timeout = 10s,
                                                        .max_request_body = 1 << 20,
                                                        .record_dir = std::move(record_dir)},
                         std::move(handler));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

StatusOr<net::HttpResponse> Send(const ProxyServer& proxy, net::HttpRequest request) {
  return net::HttpRoundTrip(Loopback(proxy.port()), request, kMaxStorageResponse,
                            net::Deadline::In(20s));
}

const UpstreamOptions kUpstream{.connect_timeout = 5000ms, .total_timeout = 10000ms,
                                .max_response_body = 4096, .aws_sigv4 = {},
                                .aws_user_password = {}};

// ---- KMS proxy -----------------------------------------------------------------

net::HttpRequest KmsRequest() {
  return net::HttpRequest{
      .method = "POST",
      .target = "/",
      .headers = {{"Host", "kms.eu-west-1.amazonaws.com"},
                  {"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", "TrentService.Decrypt"},
                  {"X-Amz-Date", "20240101T000000Z"},
                  {"x-amz-security-token", "tok"},
                  {"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/kms/"
                                    "aws4_request, SignedHeaders=host;x-amz-date, Signature=00"},
                  {"X-Empty", ""}},
      .body = ToBytes("{\"CiphertextBlob\":\"AAEC\",\"Recipient\":{}}")};
}

TEST(KmsProxyTest, ForwardsRequestAndResponseUnchanged) {
  FakeUpstream upstream([](const net::HttpRequest&) {
    return std::string(
        "HTTP/1.1 400 Bad Request\r\nx-amzn-RequestId: r-1\r\nContent-Type: "
        "application/x-amz-json-1.1\r\nConnection: keep-alive\r\nContent-Length: 25\r\n\r\n"
        "{\"__type\":\"AccessDenied\"}");
  });
  auto proxy = StartProxy("kms", MakeKmsHandler({.upstream_base = upstream.url(),
                                                 .upstream = kUpstream, .credentials = nullptr}));
  const net::HttpRequest sent = KmsRequest();
  StatusOr<net::HttpResponse> r = Send(*proxy, sent);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->reason, "Bad Request");
  EXPECT_EQ(Str(r->body), "{\"__type\":\"AccessDenied\"}");
  EXPECT_EQ(net::FindHeader(r->headers, "x-amzn-RequestId"), "r-1");
  EXPECT_EQ(net::FindHeader(r->headers, "Connection"), std::nullopt);  // hop-by-hop

  const std::vector<net::HttpRequest> got = upstream.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, sent.method);
  EXPECT_EQ(got[0].target, sent.target);
  EXPECT_EQ(got[0].body, sent.body);
  // Every header arrives, in order and spelling; the only addition is the
  // Content-Length the serialiser put on the wire (libcurl adds nothing).
  net::HttpHeaders expected = sent.headers;
  expected.emplace_back("Content-Length", std::to_string(sent.body.size()));
  EXPECT_EQ(got[0].headers, expected);
}

TEST(KmsProxyTest, TargetIsNotNormalisedAndKeepAliveWorks) {
  FakeUpstream upstream([](const net::HttpRequest& r) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(r.target.size()) + "\r\n\r\n" +
           r.target;
  });
  auto proxy = StartProxy("kms", MakeKmsHandler({.upstream_base = upstream.url(),
                                                 .upstream = kUpstream, .credentials = nullptr}));
  StatusOr<net::Socket> s = net::Connect(Loopback(proxy->port()), net::Deadline::In(5s));
  ASSERT_TRUE(s.ok());
  for (std::string target : {"/a/../b?x=1&y=%2F", "/./c//d"}) {
    net::HttpRequest req{.method = "GET", .target = target, .headers = {{"Host", "h"}}, .body = {}};
    ASSERT_TRUE(net::WriteHttpRequest(*s, req, net::Deadline::In(5s)).ok());
    StatusOr<net::HttpResponse> r = net::ReadHttpResponse(*s, 1 << 20, net::Deadline::In(10s));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(Str(r->body), target);
  }
}

TEST(KmsProxyTest, UpstreamFailuresAre502WithAFixedText) {
  // Nothing listens on the upstream port.
  uint32_t dead_port = 0;
  {
    StatusOr<net::Listener> closed = net::Listen(Loopback(), 1);
    ASSERT_TRUE(closed.ok());
    dead_port = closed->port();
  }
  const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port);
  auto proxy = StartProxy("kms", MakeKmsHandler({.upstream_base = dead, .upstream = kUpstream,
                                                 .credentials = nullptr}));
  StatusOr<net::HttpResponse> r = Send(*proxy, KmsRequest());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(Str(r->body), "upstream failed\n");

  // An upstream body over the bound (4096 here).
  FakeUpstream big([](const net::HttpRequest&) {
    return "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x');
  });
  auto proxy2 = StartProxy("kms", MakeKmsHandler({.upstream_base = big.url(), .upstream = kUpstream,
                                                  .credentials = nullptr}));
  r = Send(*proxy2, KmsRequest());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
  // An upstream header that cannot be forwarded safely (a control byte).
  FakeUpstream evil([](const net::HttpRequest&) {
    return std::string("HTTP/1.1 200 OK\r\nX-Evil: a\x01b\r\nContent-Length: 0\r\n\r\n");
  });
  auto proxy3 = StartProxy("kms", MakeKmsHandler({.upstream_base = evil.url(),
                                                  .upstream = kUpstream, .credentials = nullptr}));
  r = Send(*proxy3, KmsRequest());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
}

TEST(KmsProxyTest, CredentialsEndpoint) {
  TempDir dir;
  dir.Write("creds", "# test\nAWS_ACCESS_KEY_ID=AKIDEXAMPLE\nAWS_SECRET_ACCESS_KEY=se/cr+et\n"
                     "AWS_SESSION_TOKEN=tok==\nAWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z\n");
  StatusOr<CredentialSource> source = CredentialSource::FromFile(dir.path() + "/creds");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto proxy = StartProxy("kms", MakeKmsHandler({.upstream_base = "http://127.0.0.1:1",
                                                 .upstream = kUpstream, .credentials = &*source}));
  net::HttpRequest get{.method = "GET", .target = std::string(kCredentialsPath),
                       .headers = {{"Host", "x"}}, .body = {}};
  StatusOr<net::HttpResponse> r = Send(*proxy, get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Str(r->body),
            "{\"AccessKeyId\":\"AKIDEXAMPLE\",\"SecretAccessKey\":\"se/cr+et\",\"SessionToken\":"
            "\"tok==\",\"Expiration\":\"2030-01-01T00:00:00Z\"}");
  EXPECT_EQ(net::FindHeader(r->headers, "Cache-Control"), "no-store");
  // Re-read on each request: a rotated file is served at once.
  dir.Write("creds", "AWS_ACCESS_KEY_ID=AKID2\nAWS_SECRET_ACCESS_KEY=s2\n");
  r = Send(*proxy, get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Str(r->body), "{\"AccessKeyId\":\"AKID2\",\"SecretAccessKey\":\"s2\",\"SessionToken\":"
                          "\"\",\"Expiration\":\"\"}");
  // A broken file: 503, and the log/ body never quote it.
  dir.Write("creds", "AWS_ACCESS_KEY_ID=AKID2\n");
  r = Send(*proxy, get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Str(r->body), "credentials unavailable\n");
  net::HttpRequest post = get;
  post.method = "POST";
  EXPECT_EQ(Send(*proxy, post)->status, 405);
  net::HttpRequest other = get;
  other.target = "/eml/v1/other";
  EXPECT_EQ(Send(*proxy, other)->status, 404);
}

TEST(CredentialsTest, FileFormat) {
  EXPECT_TRUE(ParseCredentialsText("AWS_ACCESS_KEY_ID=a\r\nAWS_SECRET_ACCESS_KEY=b\r\n", "f").ok());
  const auto code = [](std::string_view text) {
    return ParseCredentialsText(text, "f").status().code();
  };
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\n"), StatusCode::kNotFound);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\nAWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\n"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\"c\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b c\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=b\nOTHER=c\n"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code("AWS_ACCESS_KEY_ID a\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::string(70000, '#')), StatusCode::kLimitExceeded);
  // A message names the line, never the value.
  const Status s = ParseCredentialsText("AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=sec ret\n", "f")
                       .status();
  EXPECT_EQ(s.message().find("sec"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("line 2"), std::string::npos);
}

TEST(ProxyServerTest, RecordsBothDirections) {
  TempDir rec;
  FakeUpstream upstream([](const net::HttpRequest&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nCIPHERTEXT");
  });
  auto proxy = StartProxy("kms",
                          MakeKmsHandler({.upstream_base = upstream.url(), .upstream = kUpstream,
                                          .credentials = nullptr}),
                          rec.path());
  const net::HttpRequest sent = KmsRequest();
  ASSERT_TRUE(Send(*proxy, sent).ok());
  proxy->Stop();
  std::ifstream in(rec.path() + "/kms-1.in", std::ios::binary);
  std::ifstream out(rec.path() + "/kms-1.out", std::ios::binary);
  const std::string in_bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string out_bytes((std::istreambuf_iterator<char>(out)), {});
  EXPECT_EQ(in_bytes, Str(net::SerializeHttpRequest(sent)));
  EXPECT_NE(out_bytes.find("CIPHERTEXT"), std::string::npos);
  EXPECT_TRUE(out_bytes.starts_with("HTTP/1.1 200 OK\r\n"));
  struct stat st {};
  ASSERT_EQ(stat((rec.path() + "/kms-1.in").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ProxyServerTest, MalformedRequestsGetAnErrorAndClose) {
  auto proxy = StartProxy("storage", [](const net::HttpRequest&) {
    return TextResponse(200, "OK", "never\n");
  });
  for (const auto& [raw, status] : std::vector<std::pair<std::string, int>>{
           {"GET / HTTP/1.1\nHost: x\n\n", 400},
           {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
           {"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413},
           {"GET / HTTP/1.1\r\nA: " + std::string(70000, 'a') + "\r\n\r\n", 431}}) {
    StatusOr<net::Socket> s = net::Connect(Loopback(proxy->port()), net::Deadline::In(5s));
    ASSERT_TRUE(s.ok());
    (void)net::WriteAll(*s, AsBytes(raw), net::Deadline::In(5s));
    StatusOr<net::HttpResponse> r = net::ReadHttpResponse(*s, 1 << 20, net::Deadline::In(10s));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, status) << raw.substr(0, 40);
  }
}

// ---- storage proxy: directory ----------------------------------------------------

class StorageDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::make_unique<TempDir>();
    outside_ = std::make_unique<TempDir>();
    pkg_ = root_->path() + "/pkg";
    fs::create_directories(pkg_);
    content_.resize(100000);
    for (size_t i = 0; i < content_.size(); ++i) content_[i] = static_cast<char>('a' + i % 26);
    root_->Write("pkg/files/0.enc", content_);
    root_->Write("pkg/manifest.cose", "MANIFEST");
    root_->Write("pkg/empty", "");
    root_->Write("secret.txt", "TOP SECRET");
    outside_->Write("outside.txt", "OUTSIDE");
    fs::create_symlink(outside_->path() + "/outside.txt", pkg_ + "/link.enc");
    fs::create_symlink(outside_->path(), pkg_ + "/linkdir");
    fs::create_symlink("../secret.txt", pkg_ + "/rel.enc");
    StatusOr<std::unique_ptr<StorageBackend>> b = OpenDirectoryBackend(pkg_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    backend_ = std::move(*b);
    proxy_ = StartProxy("storage", MakeStorageHandler(*backend_));
  }
  StatusOr<net::HttpResponse> Get(std::string target, std::string range = {},
                                  std::string method = "GET") {
    net::HttpRequest req{.method = method, .target = target, .headers = {{"Host", "s"}}, .body = {}};
    if (!range.empty()) req.headers.emplace_back("Range", range);
    return Send(*proxy_, req);
  }
  storage::StorageClient Client() const {
    return storage::StorageClient({.proxy = Loopback(proxy_->port()), .timeout = 10s});
  }

  std::unique_ptr<TempDir> root_, outside_;
  std::string pkg_;
  std::string content_;
  std::unique_ptr<StorageBackend> backend_;
  std::unique_ptr<ProxyServer> proxy_;
};

TEST_F(StorageDirTest, ServesWholeObjectsRangesAndSizes) {
  StatusOr<net::HttpResponse> r = Get("/manifest.cose");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Str(r->body), "MANIFEST");
  r = Get("/files/0.enc", "bytes=10-19");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(Str(r->body), content_.substr(10, 10));
  EXPECT_EQ(net::FindHeader(r->headers, "Content-Range"), "bytes 10-19/100000");
  r = Get("/files/0.enc", "bytes=99990-");
  EXPECT_EQ(Str(r->body), content_.substr(99990));
  r = Get("/files/0.enc", "bytes=99990-200000");  // clamped
  EXPECT_EQ(net::FindHeader(r->headers, "Content-Range"), "bytes 99990-99999/100000");
  r = Get("/files/0.enc", "", "HEAD");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(net::FindHeader(r->headers, "Content-Length"), "100000");
  EXPECT_TRUE(r->body.empty());
  r = Get("/empty");
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());

  // The enclave's client, end to end.
  const storage::StorageClient client = Client();
  EXPECT_EQ(client.Size("files/0.enc").value(), 100000u);
  StatusOr<Bytes> got = client.ReadRange("files/0.enc", 4096, 8192);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), content_.substr(4096, 8192));
  got = client.ReadRange("files/0.enc", 99000, 5000);  // runs past the end
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), content_.substr(99000));
  got = client.ReadRange("files/0.enc", 100000, 10);  // at the end
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(Str(client.ReadObject("manifest.cose", 100).value()), "MANIFEST");
  EXPECT_EQ(client.ReadRange("nope.enc", 0, 1).status().code(), StatusCode::kNotFound);
}

TEST_F(StorageDirTest, RangeErrorsAre416) {
  for (std::string range : {"bytes=100000-", "bytes=5-4", "bytes=-5", "bytes=0-1,3-4", "items=0-1",
                            "bytes= 0-1", "bytes=x-1", "bytes=99999999999999999999-"}) {
    StatusOr<net::HttpResponse> r = Get("/files/0.enc", range);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 416) << range;
    EXPECT_EQ(net::FindHeader(r->headers, "Content-Range"), "bytes */100000") << range;
  }
  EXPECT_EQ(Get("/empty", "bytes=0-0")->status, 416);
}

TEST_F(StorageDirTest, NothingOutsideTheDirectory) {
  for (std::string target :
       {"/../secret.txt", "/files/../../secret.txt", "/%2e%2e/secret.txt", "//secret.txt",
        "/./manifest.cose", "/link.enc", "/linkdir/outside.txt", "/rel.enc", "/files",
        "/files/", "/manifest.cose?x=1", "/nope", "/"}) {
    StatusOr<net::HttpResponse> r = Get(target);
    ASSERT_TRUE(r.ok()) << target;
    EXPECT_EQ(r->status, 404) << target;
    EXPECT_EQ(Str(r->body), "not found\n") << target;
  }
  EXPECT_EQ(Get("/manifest.cose", "", "POST")->status, 405);
  // The symlinked file is also refused by HEAD and ranges.
  EXPECT_EQ(Get("/link.enc", "bytes=0-1")->status, 404);
  EXPECT_EQ(Get("/link.enc", "", "HEAD")->status, 404);
}

TEST_F(StorageDirTest, LargeObjectNeedsARange) {
  const std::string big(kMaxStorageResponse + 1, 'z');
  root_->Write("pkg/big", big);
  EXPECT_EQ(Get("/big")->status, 416);
  EXPECT_EQ(Get("/big", "bytes=0-" + std::to_string(kMaxStorageResponse))->status, 416);
  StatusOr<net::HttpResponse> r = Get("/big", "bytes=1-" + std::to_string(kMaxStorageResponse));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body.size(), kMaxStorageResponse);
}

// ---- storage proxy: S3, against a fake S3 that checks SigV4 -------------------

int64_t AmzDateToUnix(std::string_view d) {
  std::tm tm{};
  const std::string s(d);
  if (strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm) == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm));
}

// Recomputes the request's signature with the repository's own SigV4 signer
// (src/kms/sigv4, proven against AWS's vectors) and the expected secret.
bool SignatureValid(const net::HttpRequest& r, const std::string& akid, const std::string& secret) {
  const std::optional<std::string_view> auth = net::FindHeader(r.headers, "Authorization");
  const std::optional<std::string_view> date = net::FindHeader(r.headers, "x-amz-date");
  const std::optional<std::string_view> hash = net::FindHeader(r.headers, "x-amz-content-sha256");
  if (!auth || !date || !hash) return false;
  const size_t sh = auth->find("SignedHeaders=");
  if (sh == std::string_view::npos) return false;
  std::string_view signed_list = auth->substr(sh + 14);
  signed_list = signed_list.substr(0, signed_list.find(','));
  kms::HttpRequest k{.method = r.method, .path = r.target, .query = {}, .headers = {}, .body = {}};
  while (!signed_list.empty()) {
    const std::string_view name = signed_list.substr(0, signed_list.find(';'));
    if (name != "x-amz-date") {
      const std::optional<std::string_view> v = net::FindHeader(r.headers, name);
      if (!v) return false;
      k.headers.emplace_back(std::string(name), std::string(*v));
    }
    signed_list.remove_prefix(std::min(signed_list.size(), name.size() + 1));
  }
  const kms::Credentials creds{.access_key_id = akid, .secret_access_key = SecretBytes(AsBytes(secret))};
  const kms::SigningParams params{.region = "eu-west-1", .service = "s3",
                                  .unix_seconds = AmzDateToUnix(*date), .normalize_path = false,
                                  .encode_path = false, .sign_body_hash_header = false,
                                  .sign_session_token = false,
                                  .payload_hash_override = std::string(*hash)};
  StatusOr<kms::SignedRequest> expected = kms::SignRequest(k, creds, params);
  return expected.ok() && expected->authorization == *auth;
}

class StorageS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    object_.resize(50000);
    for (size_t i = 0; i < object_.size(); ++i) object_[i] = static_cast<char>(i * 7 + 3);
    upstream_ = std::make_unique<FakeUpstream>([this](const net::HttpRequest& r) {
      return Answer(r);
    });
  }
  // A tiny S3: one object at /bucket/pre/files/0.enc; 403 on a bad signature.
  std::string Answer(const net::HttpRequest& r) {
    if (!SignatureValid(r, "AKIDS3", "s3secret")) {
      return "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    }
    if (r.target != "/bucket/pre/files/0.enc") {
      return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
    if (r.method == "HEAD") {
      return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(object_.size()) + "\r\n\r\n";
    }
    StatusOr<ByteRange> range = ParseRange(net::FindHeader(r.headers, "Range").value_or(""));
    if (!range.ok() || !range->last) return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    const uint64_t last = *range->last + (lie_ ? 1 : 0);
    const std::string body = object_.substr(range->first, last - range->first + 1);
    return "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(range->first) +
           "-" + std::to_string(last) + "/" + std::to_string(object_.size()) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  std::unique_ptr<ProxyServer> Proxy(const std::string& creds_text) {
    dir_.Write("creds", creds_text);
    StatusOr<CredentialSource> s = CredentialSource::FromFile(dir_.path() + "/creds");
    EXPECT_TRUE(s.ok());
    source_.emplace(std::move(*s));
    StatusOr<std::unique_ptr<StorageBackend>> b = OpenS3Backend(
        {.url = upstream_->url() + "/bucket/pre", .region = "eu-west-1",
         .credentials = &*source_, .upstream = kUpstream});
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    backend_ = std::move(*b);
    return StartProxy("storage", MakeStorageHandler(*backend_));
  }

  TempDir dir_;
  std::string object_;
  bool lie_ = false;
  std::unique_ptr<FakeUpstream> upstream_;
  std::optional<CredentialSource> source_;
  std::unique_ptr<StorageBackend> backend_;
};

TEST_F(StorageS3Test, SignedRangedGets) {
  auto proxy = Proxy("AWS_ACCESS_KEY_ID=AKIDS3\nAWS_SECRET_ACCESS_KEY=s3secret\nAWS_SESSION_TOKEN=tok\n");
  const storage::StorageClient client({.proxy = Loopback(proxy->port()), .timeout = 10s});
  EXPECT_EQ(client.Size("files/0.enc").value(), object_.size());
  StatusOr<Bytes> got = client.ReadRange("files/0.enc", 1000, 3000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Str(*got), object_.substr(1000, 3000));
  EXPECT_EQ(client.ReadRange("files/1.enc", 0, 10).status().code(), StatusCode::kNotFound);
  // The session token went along, and was signed.
  const std::vector<net::HttpRequest> seen = upstream_->requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(net::FindHeader(seen.back().headers, "x-amz-security-token"), "tok");
  EXPECT_NE(net::FindHeader(seen.back().headers, "Authorization")->find("x-amz-security-token"),
            std::string_view::npos);
}

TEST_F(StorageS3Test, WrongSecretFails) {
  auto proxy = Proxy("AWS_ACCESS_KEY_ID=AKIDS3\nAWS_SECRET_ACCESS_KEY=wrong\n");
  const storage::StorageClient client({.proxy = Loopback(proxy->port()), .timeout = 10s});
  StatusOr<Bytes> got = client.ReadRange("files/0.enc", 0, 10);
  EXPECT_EQ(got.status().code(), StatusCode::kVerificationFailed);  // the proxy's 502
  net::HttpRequest req{.method = "GET", .target = "/files/0.enc", .headers = {}, .body = {}};
  EXPECT_EQ(Send(*proxy, req)->status, 502);
}

TEST_F(StorageS3Test, AnS3ThatAnswersAnotherRangeIsRefused) {
  auto proxy = Proxy("AWS_ACCESS_KEY_ID=AKIDS3\nAWS_SECRET_ACCESS_KEY=s3secret\n");
  lie_ = true;
  net::HttpRequest req{.method = "GET", .target = "/files/0.enc", .headers = {{"Range", "bytes=0-9"}},
                       .body = {}};
  StatusOr<net::HttpResponse> r = Send(*proxy, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502);
}

TEST(UpstreamUrlTest, Parse) {
  StatusOr<UpstreamUrl> u = ParseUpstreamUrl("https://s3.eu-west-1.amazonaws.com/bucket/a/b/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->base, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(u->path, "/bucket/a/b");
  EXPECT_EQ(ParseUpstreamUrl("http://127.0.0.1:9000")->path, "");
  for (std::string_view bad : {"ftp://x", "http://", "http://user@h/", "http://h/a?x", "http://h/a#f",
                               "http://h/../a", "http://h/a//b", "http://h/a b", "https://h/%41"}) {
    EXPECT_FALSE(ParseUpstreamUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace eml::host
