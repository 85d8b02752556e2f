#include "storage/storage_client.h"

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/http.h"
#include "net/socket.h"

namespace eml::storage {
namespace {

using namespace std::chrono_literals;

// A scripted, hostile storage proxy: answers each connection with the next
// raw reply and records the requests it read.
class FakeProxy {
 public:
  explicit FakeProxy(std::vector<std::string> replies) : replies_(std::move(replies)) {
    StatusOr<net::Listener> l = net::Listen(Loopback(0), 8);
    EXPECT_TRUE(l.ok());
    listener_.emplace(std::move(*l));
    thread_ = std::thread([this] {
      for (const std::string& reply : replies_) {
        StatusOr<net::Socket> s = net::Accept(*listener_, net::Deadline::In(10s));
        if (!s.ok()) return;
        StatusOr<net::HttpRequest> req = net::ReadHttpRequest(*s, 0, net::Deadline::In(10s));
        if (req.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(std::move(*req));
        }
        (void)net::WriteAll(*s, AsBytes(reply), net::Deadline::In(10s));
      }
    });
  }
  ~FakeProxy() {
    listener_->Shutdown();
    thread_.join();
  }
  StorageClient Client() const {
    return StorageClient({.proxy = Loopback(listener_->port()), .timeout = 10s});
  }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  static net::Endpoint Loopback(uint32_t port) {
    return net::Endpoint{.family = net::Endpoint::Family::kIpv4, .host = "127.0.0.1", .cid = 0,
                         .port = port};
  }

 private:
  std::vector<std::string> replies_;
  std::optional<net::Listener> listener_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<net::HttpRequest> requests_;
};

std::string Partial(std::string_view content_range, std::string_view body) {
  return "HTTP/1.1 206 Partial Content\r\nContent-Range: " + std::string(content_range) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

StatusCode ReadCode(const std::string& reply, uint64_t offset, size_t length) {
  FakeProxy proxy({reply});
  return proxy.Client().ReadRange("obj", offset, length).status().code();
}

TEST(StorageClientTest, ReadsAnExactRangeAndSendsTheRightRequest) {
  FakeProxy proxy({Partial("bytes 10-14/100", "hello")});
  StatusOr<Bytes> got = proxy.Client().ReadRange("models/m1/files/0.enc", 10, 5);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsStringView(*got), "hello");
  const std::vector<net::HttpRequest> reqs = proxy.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/models/m1/files/0.enc");
  EXPECT_EQ(net::FindHeader(reqs[0].headers, "Range"), "bytes=10-14");
}

TEST(StorageClientTest, ShortOnlyAtTheEndOfTheObject) {
  {
    FakeProxy proxy({Partial("bytes 90-99/100", "0123456789")});
    StatusOr<Bytes> got = proxy.Client().ReadRange("obj", 90, 50);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->size(), 10u);
  }
  // Short although the object goes on: a truncating host.
  EXPECT_EQ(ReadCode(Partial("bytes 90-94/100", "01234"), 90, 10), StatusCode::kVerificationFailed);
}

TEST(StorageClientTest, RejectsInconsistentAnswers) {
  const StatusCode kBad = StatusCode::kVerificationFailed;
  EXPECT_EQ(ReadCode(Partial("bytes 11-15/100", "hello"), 10, 5), kBad);   // other start
  EXPECT_EQ(ReadCode(Partial("bytes 10-15/100", "hello"), 10, 5), kBad);   // longer than asked
  EXPECT_EQ(ReadCode(Partial("bytes 10-14/100", "hell"), 10, 5), kBad);    // body vs range
  EXPECT_EQ(ReadCode(Partial("bytes 10-14/12", "hello"), 10, 5), kBad);    // last >= size
  EXPECT_EQ(ReadCode(Partial("bytes 14-10/100", "hello"), 10, 5), kBad);   // reversed
  EXPECT_EQ(ReadCode(Partial("bytes */100", "hello"), 10, 5), kBad);
  EXPECT_EQ(ReadCode(Partial("items 10-14/100", "hello"), 10, 5), kBad);
  EXPECT_EQ(ReadCode(Partial("bytes 10-14/-1", "hello"), 10, 5), kBad);
  EXPECT_EQ(ReadCode("HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nhello", 10, 5), kBad);
  // A whole-object 200 for a range request.
  EXPECT_EQ(ReadCode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 5), kBad);
  EXPECT_EQ(ReadCode("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 0, 5), kBad);
  EXPECT_EQ(ReadCode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, 5),
            StatusCode::kNotFound);
  // More body than the range says.
  EXPECT_EQ(ReadCode(Partial("bytes 10-14/100", "hello, world"), 10, 5), kBad);
  // Far more than asked for: refused by the HTTP layer from the head.
  EXPECT_EQ(ReadCode("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-14/100\r\n"
                     "Content-Length: 100000\r\n\r\n", 10, 5),
            StatusCode::kLimitExceeded);
  // Garbage.
  EXPECT_EQ(ReadCode("garbage\r\n\r\n", 0, 5), StatusCode::kInvalidArgument);
}

TEST(StorageClientTest, UnsatisfiableRangeIsEmptyOnlyPastTheEnd) {
  const std::string past = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */100\r\n"
                           "Content-Length: 0\r\n\r\n";
  {
    FakeProxy proxy({past});
    StatusOr<Bytes> got = proxy.Client().ReadRange("obj", 100, 5);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->empty());
  }
  EXPECT_EQ(ReadCode(past, 99, 5), StatusCode::kVerificationFailed);  // a lie: byte 99 exists
  EXPECT_EQ(ReadCode("HTTP/1.1 416 X\r\nContent-Length: 0\r\n\r\n", 100, 5),
            StatusCode::kVerificationFailed);
}

TEST(StorageClientTest, Size) {
  {
    FakeProxy proxy({"HTTP/1.1 200 OK\r\nContent-Length: 123456789012\r\n\r\n"});
    StatusOr<uint64_t> size = proxy.Client().Size("manifest.cose");
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    EXPECT_EQ(*size, 123456789012u);
    EXPECT_EQ(proxy.requests().at(0).method, "HEAD");
  }
  {
    FakeProxy proxy({"HTTP/1.1 206 OK\r\nContent-Length: 5\r\n\r\n"});
    EXPECT_EQ(proxy.Client().Size("o").status().code(), StatusCode::kVerificationFailed);
  }
  {
    FakeProxy proxy({"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n"});
    EXPECT_EQ(proxy.Client().Size("o").status().code(), StatusCode::kNotFound);
  }
}

TEST(StorageClientTest, ReadObjectChecksTheSizeFirst) {
  {
    FakeProxy proxy({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                     Partial("bytes 0-4/5", "abcde")});
    StatusOr<Bytes> got = proxy.Client().ReadObject("manifest.cose", 5);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(AsStringView(*got), "abcde");
  }
  {
    FakeProxy proxy({"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"});
    EXPECT_EQ(proxy.Client().ReadObject("manifest.cose", 5).status().code(),
              StatusCode::kLimitExceeded);
    EXPECT_EQ(proxy.requests().size(), 1u);  // no GET
  }
  {  // The size shrank between HEAD and GET: refused.
    FakeProxy proxy({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Partial("bytes 0-3/4", "abcd")});
    EXPECT_EQ(proxy.Client().ReadObject("m", 5).status().code(), StatusCode::kVerificationFailed);
  }
}

TEST(StorageClientTest, BadArgumentsSendNothing) {
  const StorageClient client({.proxy = FakeProxy::Loopback(1), .timeout = 1s});
  for (std::string_view bad : {"", "/abs", "a//b", "../x", "a/./b", "a/..", "a b", "a?x", "a%2e",
                               "trailing/"}) {
    EXPECT_EQ(client.ReadRange(bad, 0, 1).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(client.Size(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(client.ReadRange(std::string(1025, 'a'), 0, 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.ReadRange("a", 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.ReadRange("a", 0, kMaxStorageRead + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client.ReadRange("a", UINT64_MAX, 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(StorageClientTest, ParseContentRange) {
  StatusOr<ContentRange> r = ParseContentRange("bytes 0-0/1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->size, 1u);
  EXPECT_TRUE(ParseContentRange("bytes */0")->unsatisfied);
  for (std::string_view bad : {"bytes 0-0/0", "bytes 1-0/5", "bytes 0-/5", "bytes -1/5",
                               "bytes 0-1", "bytes 0-1/", "bytes  0-1/5", "bytes 0-1/5 ",
                               "bytes 0-1/99999999999999999999", "bytes */*", ""}) {
    EXPECT_FALSE(ParseContentRange(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace eml::storage
