#include "host/admin.h"

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "host/metrics.h"

namespace eml::host {
namespace {

using namespace std::chrono_literals;

TEST(AdminParseTest, ParsesRequestLine) {
  StatusOr<HttpRequestHead> r = ParseRequestHead("GET /metrics?a=b HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/metrics");
  ASSERT_TRUE(ParseRequestHead("HEAD / HTTP/1.0\r\n\r\n").ok());
}

TEST(AdminParseTest, RejectsMalformedRequestLines) {
  for (const char* head : {
           "\r\n\r\n",
           "GET /metrics\r\n\r\n",                  // no version
           "GET  /metrics HTTP/1.1\r\n\r\n",        // double space
           "GET /metrics HTTP/1.1 x\r\n\r\n",       // extra field
           "get /metrics HTTP/1.1\r\n\r\n",         // lowercase method
           "GETGETGETGETGETGET / HTTP/1.1\r\n\r\n", // method over 16
           "GET metrics HTTP/1.1\r\n\r\n",          // not origin-form
           "GET /a\x01 HTTP/1.1\r\n\r\n",           // control byte
           "GET / HTTP/2\r\n\r\n",                  // version
           "GET / HTTP/1.1",                        // no CRLF at all
       }) {
    EXPECT_EQ(ParseRequestHead(head).status().code(), StatusCode::kInvalidArgument) << head;
  }
  EXPECT_FALSE(ParseRequestHead("GET /" + std::string(2048, 'a') + " HTTP/1.1\r\n\r\n").ok());
}

TEST(AdminRouteTest, RoutesOnlyTwoPaths) {
  int renders = 0;
  auto render = [&] {
    ++renders;
    return std::string("m 1\n");
  };
  HttpResponse r = RouteAdminRequest({.method = "GET", .path = "/metrics"}, render);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(RouteAdminRequest({.method = "GET", .path = "/healthz"}, render).status, 200);
  EXPECT_EQ(RouteAdminRequest({.method = "POST", .path = "/metrics"}, render).status, 404);
  EXPECT_EQ(RouteAdminRequest({.method = "GET", .path = "/healthz/"}, render).status, 404);
  EXPECT_EQ(renders, 1);
}

TEST(AdminRouteTest, SerializesWithLengthAndClose) {
  const std::string s = SerializeResponse(
      HttpResponse{.status = 404, .content_type = "text/plain", .body = "no\n"});
  EXPECT_EQ(s,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            "Connection: close\r\n\r\nno\n");
}

// A connected pair over loopback: {writer, reader}.
std::pair<net::Socket, net::Socket> Pair(net::Listener& l) {
  StatusOr<net::Socket> c = net::Connect(l.endpoint(), net::Deadline::In(5s));
  EXPECT_TRUE(c.ok());
  StatusOr<net::Socket> s = net::Accept(l, net::Deadline::In(5s));
  EXPECT_TRUE(s.ok());
  return {std::move(*c), std::move(*s)};
}

TEST(AdminReadTest, ReadsAHeadSplitAcrossWritesUpToTheBlankLine) {
  StatusOr<net::Listener> l = net::Listen(*net::Endpoint::Parse("127.0.0.1:0"), 4);
  ASSERT_TRUE(l.ok());
  auto sockets = Pair(*l);  // not a structured binding: clang 14 cannot capture those
  net::Socket& w = sockets.first;
  net::Socket& r = sockets.second;
  std::thread writer([&w] {
    // The terminator itself is split across writes.
    for (const char* part : {"GET /metrics HTTP/1.1\r\nHost: a\r", "\n\r", "\nBODY"}) {
      EXPECT_TRUE(net::WriteAll(w, AsBytes(part), net::Deadline::In(5s)).ok());
      std::this_thread::sleep_for(20ms);
    }
  });
  StatusOr<std::string> head = ReadRequestHead(r, net::Deadline::In(5s));
  writer.join();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(*head, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(AdminReadTest, StopsAtEightKiBAndAtTheDeadline) {
  StatusOr<net::Listener> l = net::Listen(*net::Endpoint::Parse("127.0.0.1:0"), 4);
  ASSERT_TRUE(l.ok());
  {
    auto [w, r] = Pair(*l);
    // Exactly 8192 bytes that end in the terminator are accepted...
    std::string ok = "GET / HTTP/1.1\r\nX: " + std::string(8192 - 23, 'a') + "\r\n\r\n";
    ASSERT_EQ(ok.size(), kMaxAdminRequestHead);
    ASSERT_TRUE(net::WriteAll(w, AsBytes(ok), net::Deadline::In(5s)).ok());
    StatusOr<std::string> head = ReadRequestHead(r, net::Deadline::In(5s));
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->size(), kMaxAdminRequestHead);
  }
  {
    auto [w, r] = Pair(*l);
    // ...one byte more is not, and the reader stops without reading further.
    std::string big = "GET / HTTP/1.1\r\nX: " + std::string(8192 - 22, 'a') + "\r\n\r\n";
    ASSERT_TRUE(net::WriteAll(w, AsBytes(big), net::Deadline::In(5s)).ok());
    EXPECT_EQ(ReadRequestHead(r, net::Deadline::In(5s)).status().code(), StatusCode::kLimitExceeded);
  }
  {
    auto [w, r] = Pair(*l);
    ASSERT_TRUE(net::WriteAll(w, AsBytes("GET / HTTP/1.1\r\n"), net::Deadline::In(5s)).ok());
    EXPECT_EQ(ReadRequestHead(r, net::Deadline::In(100ms)).status().code(),
              StatusCode::kLimitExceeded);
    w.Close();
    EXPECT_FALSE(ReadRequestHead(r, net::Deadline::In(5s)).ok());
  }
}

TEST(MetricsTest, RendersEveryFamilyWithHelpAndType) {
  HostMetrics m;
  m.connections_total = 7;
  m.connections_rejected_total = 1;
  m.bytes_client_to_enclave = 100;
  m.bytes_enclave_to_client = 200;
  m.upstream_errors_total = 3;
  m.idle_timeouts_total = 4;
  const std::string text = RenderMetrics(m, 2);
  for (const char* line : {
           "# TYPE eml_host_connections_total counter\neml_host_connections_total 7\n",
           "# TYPE eml_host_connections_active gauge\neml_host_connections_active 2\n",
           "# TYPE eml_host_connections_rejected_total counter\n"
           "eml_host_connections_rejected_total 1\n",
           "# TYPE eml_host_bytes_total counter\n"
           "eml_host_bytes_total{direction=\"client_to_enclave\"} 100\n"
           "eml_host_bytes_total{direction=\"enclave_to_client\"} 200\n",
           "# TYPE eml_host_upstream_errors_total counter\neml_host_upstream_errors_total 3\n",
           "# TYPE eml_host_idle_timeouts_total counter\neml_host_idle_timeouts_total 4\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace eml::host
