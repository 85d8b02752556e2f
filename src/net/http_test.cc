#include "net/http.h"

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace eml::net {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMax = 1 << 20;

Endpoint Loopback(uint32_t port = 0) {
  return Endpoint{.family = Endpoint::Family::kIpv4, .host = "127.0.0.1", .cid = 0, .port = port};
}

StatusOr<HttpRequest> ParseReq(std::string_view text, size_t max_body = kMax) {
  return ParseHttpRequest(AsBytes(text), max_body);
}
StatusOr<HttpResponse> ParseResp(std::string_view text, size_t max_body = kMax) {
  return ParseHttpResponse(AsBytes(text), max_body);
}

StatusCode ReqCode(std::string_view text, size_t max_body = kMax) {
  return ParseReq(text, max_body).status().code();
}
StatusCode RespCode(std::string_view text) { return ParseResp(text).status().code(); }

std::string Str(const Bytes& b) { return std::string(AsStringView(b)); }

// ---- requests ----------------------------------------------------------------

TEST(HttpParseTest, RequestWithBodyKeepsHeaderOrderAndSpelling) {
  StatusOr<HttpRequest> r = ParseReq(
      "POST /kms/x?a=1 HTTP/1.1\r\nHost: kms.example\r\nX-Amz-Date:  20240101T000000Z \r\n"
      "content-length: 5\r\nX-Amz-Date: second\r\n\r\nhello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/kms/x?a=1");
  ASSERT_EQ(r->headers.size(), 4u);
  EXPECT_EQ(r->headers[0].first, "Host");
  EXPECT_EQ(r->headers[1].first, "X-Amz-Date");
  EXPECT_EQ(r->headers[1].second, "20240101T000000Z");  // OWS trimmed
  EXPECT_EQ(r->headers[2].first, "content-length");
  EXPECT_EQ(Str(r->body), "hello");
  EXPECT_EQ(FindHeader(r->headers, "x-amz-date"), "20240101T000000Z");  // the first one
  EXPECT_EQ(FindHeader(r->headers, "HOST"), "kms.example");
  EXPECT_EQ(FindHeader(r->headers, "Missing"), std::nullopt);
}

TEST(HttpParseTest, RequestWithoutContentLengthHasEmptyBody) {
  StatusOr<HttpRequest> r = ParseReq("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->body.empty());
  // ... so bytes after the head are not a body: trailing bytes.
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nHost: h\r\n\r\nxyz"), StatusCode::kInvalidArgument);
  // No header fields at all is fine.
  EXPECT_TRUE(ParseReq("GET / HTTP/1.1\r\n\r\n").ok());
}

TEST(HttpParseTest, ContentLengthRules) {
  const auto with = [](std::string_view fields) {
    return "POST / HTTP/1.1\r\n" + std::string(fields) + "\r\nabcde";
  };
  EXPECT_TRUE(ParseReq(with("Content-Length: 5\r\n")).ok());
  EXPECT_TRUE(ParseReq(with("Content-Length: 005\r\n")).ok());
  EXPECT_TRUE(ParseReq(with("Content-Length:5\r\n")).ok());
  // Duplicates are rejected even when they agree.
  EXPECT_EQ(ReqCode(with("Content-Length: 5\r\nContent-Length: 5\r\n")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 5\r\ncontent-length: 6\r\n")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 5, 5\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: -5\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: +5\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 5x\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 0x5\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 5 5\r\n")), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length:\r\n")), StatusCode::kInvalidArgument);
  // Overflow: 2^64 + 5 must not wrap to 5.
  EXPECT_EQ(ReqCode(with("Content-Length: 18446744073709551621\r\n")),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(with("Content-Length: 99999999999999999999999999\r\n")),
            StatusCode::kInvalidArgument);
  // Large but representable: a limit, not a parse error.
  EXPECT_EQ(ReqCode(with("Content-Length: 999999999999999999\r\n")), StatusCode::kLimitExceeded);
  EXPECT_EQ(ReqCode(with("Transfer-Encoding: chunked\r\n")), StatusCode::kUnsupported);
  EXPECT_EQ(ReqCode(with("Content-Length: 5\r\nTransfer-Encoding: identity\r\n")),
            StatusCode::kUnsupported);
}

TEST(HttpParseTest, BodyLimits) {
  const std::string msg = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde";
  EXPECT_TRUE(ParseReq(msg, 5).ok());
  EXPECT_EQ(ReqCode(msg, 4), StatusCode::kLimitExceeded);
  // max_body never exceeds kHttpMaxBody.
  const std::string big =
      "POST / HTTP/1.1\r\nContent-Length: " + std::to_string(kHttpMaxBody + 1) + "\r\n\r\n";
  EXPECT_EQ(ReqCode(big, SIZE_MAX), StatusCode::kLimitExceeded);
  EXPECT_EQ(ReqCode("POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcde"),
            StatusCode::kInvalidArgument);  // truncated
  EXPECT_EQ(ReqCode("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcde"),
            StatusCode::kInvalidArgument);  // trailing
}

TEST(HttpParseTest, LineEndings) {
  // Bare LF: rejected everywhere (decision documented in http.h).
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\n\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nHost: h\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nHost: h\r\n\n"), StatusCode::kInvalidArgument);
  // Bare CR.
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\r\n\r\n"), StatusCode::kInvalidArgument);
  // Leading empty line.
  EXPECT_EQ(ReqCode("\r\nGET / HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  // Never terminated.
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nHost: h\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(""), StatusCode::kInvalidArgument);
}

TEST(HttpParseTest, MalformedRequestLines) {
  EXPECT_EQ(ReqCode("GET / HTTP/1.0\r\n\r\n"), StatusCode::kUnsupported);
  EXPECT_EQ(ReqCode("GET / HTTP/2\r\n\r\n"), StatusCode::kUnsupported);
  EXPECT_EQ(ReqCode("GET / http/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET / HTTP/1.1 x\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET /\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET  / HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GET http://x/ HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("OPTIONS * HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(std::string("GET /a\0b HTTP/1.1\r\n\r\n", 21)), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode("GE(T / HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReqCode(std::string(33, 'G') + " / HTTP/1.1\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseReq(std::string(32, 'G') + " / HTTP/1.1\r\n\r\n").ok());
}

TEST(HttpParseTest, MalformedHeaderFields) {
  const auto code = [](std::string_view field) {
    return ReqCode("GET / HTTP/1.1\r\n" + std::string(field) + "\r\n\r\n");
  };
  EXPECT_EQ(code("Host : h"), StatusCode::kInvalidArgument);  // space before ':'
  EXPECT_EQ(code(": h"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("Host"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("Ho(st: h"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(" Host: h"), StatusCode::kInvalidArgument);  // line folding
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::string("A: b\0c", 6)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("A: b\x01" "c"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("A: b\x7f"), StatusCode::kInvalidArgument);
  // Allowed: empty value, HTAB and obs-text inside a value.
  EXPECT_EQ(code("A:"), StatusCode::kOk);
  EXPECT_EQ(code("A: b\tc \xc3\xa9"), StatusCode::kOk);
}

TEST(HttpParseTest, HeadLimits) {
  // Start line: 8 KiB is the most.
  const std::string ok_target = "/" + std::string(kHttpMaxStartLine - 14, 'a');
  ASSERT_EQ(("GET " + ok_target + " HTTP/1.1").size(), kHttpMaxStartLine);
  EXPECT_TRUE(ParseReq("GET " + ok_target + " HTTP/1.1\r\n\r\n").ok());
  EXPECT_EQ(ReqCode("GET " + ok_target + "a HTTP/1.1\r\n\r\n"), StatusCode::kLimitExceeded);
  // Header count: 100 counting the Content-Length line the serialiser adds.
  std::string fields;
  for (size_t i = 0; i + 1 < kHttpMaxHeaderCount; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_TRUE(ParseReq("GET / HTTP/1.1\r\n" + fields + "\r\n").ok());
  EXPECT_TRUE(ParseReq("GET / HTTP/1.1\r\n" + fields + "Content-Length: 0\r\n\r\n").ok());
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\n" + fields + "Y: v\r\n\r\n"), StatusCode::kLimitExceeded);
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\n" + fields + "Y: v\r\nContent-Length: 0\r\n\r\n"),
            StatusCode::kLimitExceeded);
  // Header section: 64 KiB as serialised ("A: " value CRLF, final CRLF, the
  // Content-Length reserve).
  const std::string big_value(kHttpMaxHeaderBytes - 2 - kHttpContentLengthReserve - 5, 'v');
  EXPECT_TRUE(ParseReq("GET / HTTP/1.1\r\nA: " + big_value + "\r\n\r\n").ok());
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nA: " + big_value + "v\r\n\r\n"), StatusCode::kLimitExceeded);
  // Space around a value does not count (it is trimmed) ...
  EXPECT_TRUE(ParseReq("GET / HTTP/1.1\r\nA:    " + big_value + "   \r\n\r\n").ok());
  // ... and what the serialiser writes of a parsed message parses again.
  StatusOr<HttpRequest> full = ParseReq("GET / HTTP/1.1\r\nA:" + big_value + "\r\n\r\n");
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(ParseHttpRequest(SerializeHttpRequest(*full), kMax).ok());
  // Far over every limit and never terminated.
  EXPECT_EQ(ReqCode("GET / HTTP/1.1\r\nA: " + std::string(200000, 'v')),
            StatusCode::kLimitExceeded);
}

TEST(HttpParseTest, EveryTruncationOfARequestFails) {
  const std::string msg =
      "PUT /o HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nX: y\r\n\r\n0123456789";
  ASSERT_TRUE(ParseReq(msg).ok());
  for (size_t n = 0; n < msg.size(); ++n) {
    EXPECT_FALSE(ParseReq(msg.substr(0, n)).ok()) << "prefix " << n;
  }
}

TEST(HttpParseTest, FlippedBytesNeverCrash) {
  const std::string msg = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  for (size_t i = 0; i < msg.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string m = msg;
      m[i] = static_cast<char>(m[i] ^ (1 << bit));
      StatusOr<HttpRequest> r = ParseReq(m);
      if (r.ok()) {
        EXPECT_TRUE(CheckHttpRequest(*r).ok()) << "byte " << i << " bit " << bit;
      }
    }
  }
}

// ---- responses ---------------------------------------------------------------

TEST(HttpParseTest, Responses) {
  StatusOr<HttpResponse> r = ParseResp("HTTP/1.1 206 Partial Content\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->reason, "Partial Content");
  EXPECT_EQ(Str(r->body), "ok");
  // Empty reason, with and without the SP.
  EXPECT_TRUE(ParseResp("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").ok());
  EXPECT_TRUE(ParseResp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").ok());
  // A body-carrying response needs Content-Length.
  EXPECT_EQ(RespCode("HTTP/1.1 200 OK\r\n\r\n"), StatusCode::kInvalidArgument);
  // These never have a body.
  EXPECT_TRUE(ParseResp("HTTP/1.1 204 No Content\r\n\r\n").ok());
  EXPECT_TRUE(ParseResp("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n").ok());
  EXPECT_TRUE(ParseResp("HTTP/1.1 100 Continue\r\n\r\n").ok());
  EXPECT_EQ(RespCode("HTTP/1.1 204 No Content\r\n\r\nx"), StatusCode::kInvalidArgument);
  // Status lines.
  EXPECT_EQ(RespCode("HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 20 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 2000 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 2x0 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1  200 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.0 200 X\r\nContent-Length: 0\r\n\r\n"), StatusCode::kUnsupported);
  EXPECT_EQ(RespCode("ICY 200 OK\r\nContent-Length: 0\r\n\r\n"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RespCode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            StatusCode::kUnsupported);
}

// ---- serialising -------------------------------------------------------------

TEST(HttpSerializeTest, RequestRoundTripReplacesContentLength) {
  HttpRequest req{.method = "POST",
                  .target = "/k?x=1",
                  .headers = {{"Host", "kms"}, {"content-LENGTH", "999"}, {"X-A", "b c"}},
                  .body = ToBytes("payload")};
  ASSERT_TRUE(CheckHttpRequest(req).ok());
  const Bytes wire = SerializeHttpRequest(req);
  EXPECT_EQ(Str(wire),
            "POST /k?x=1 HTTP/1.1\r\nHost: kms\r\nX-A: b c\r\nContent-Length: 7\r\n\r\npayload");
  StatusOr<HttpRequest> back = ParseHttpRequest(wire, kMax);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->target, req.target);
  EXPECT_EQ(back->body, req.body);
  EXPECT_EQ(back->headers[0], (std::pair<std::string, std::string>{"Host", "kms"}));
}

TEST(HttpSerializeTest, ResponseRoundTripAndNoBodyStatuses) {
  HttpResponse resp{.status = 404, .reason = "Not Found", .headers = {{"A", "b"}},
                    .body = ToBytes("no")};
  EXPECT_EQ(Str(SerializeHttpResponse(resp)),
            "HTTP/1.1 404 Not Found\r\nA: b\r\nContent-Length: 2\r\n\r\nno");
  EXPECT_TRUE(ParseHttpResponse(SerializeHttpResponse(resp), kMax).ok());
  HttpResponse none{.status = 204, .reason = "No Content", .headers = {}, .body = {}};
  EXPECT_EQ(Str(SerializeHttpResponse(none)), "HTTP/1.1 204 No Content\r\n\r\n");
  none.body = ToBytes("x");
  EXPECT_FALSE(CheckHttpResponse(none).ok());
  EXPECT_TRUE(SerializeHttpResponse(none).empty());
  HttpResponse head{.status = 200, .reason = "OK", .headers = {{"Content-Length", "1"}},
                    .body = ToBytes("ignored")};
  EXPECT_EQ(Str(SerializeHttpResponseToHead(head, 123456)),
            "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\n\r\n");
}

TEST(HttpSerializeTest, InjectionIsImpossible) {
  const HttpRequest good{.method = "GET", .target = "/", .headers = {{"A", "b"}}, .body = {}};
  ASSERT_TRUE(CheckHttpRequest(good).ok());
  const auto bad_req = [&](auto mutate) {
    HttpRequest r = good;
    mutate(r);
    const bool rejected = !CheckHttpRequest(r).ok() && SerializeHttpRequest(r).empty();
    return rejected;
  };
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second = "b\r\nEvil: 1"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second = "b\nEvil: 1"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second = "b\rc"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second = std::string("b\0c", 3); }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second = " padded"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].first = "A\r\nEvil"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].first = "A B"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].first = ""; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].first = "Transfer-Encoding"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.target = "/ HTTP/1.1\r\nEvil: 1\r\n\r\nGET /"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.target = "noslash"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.method = "GET /"; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.method = ""; }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) {
    for (size_t i = 0; i <= kHttpMaxHeaderCount; ++i) r.headers.emplace_back("X", "y");
  }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.headers[0].second.assign(kHttpMaxHeaderBytes, 'v'); }));
  EXPECT_TRUE(bad_req([](HttpRequest& r) { r.target = "/" + std::string(kHttpMaxStartLine, 'a'); }));

  HttpResponse resp{.status = 200, .reason = "OK\r\nEvil: 1", .headers = {}, .body = {}};
  EXPECT_FALSE(CheckHttpResponse(resp).ok());
  EXPECT_TRUE(SerializeHttpResponse(resp).empty());
  EXPECT_TRUE(SerializeHttpResponseToHead(resp, 1).empty());
  resp.reason = "OK";
  resp.status = 99;
  EXPECT_FALSE(CheckHttpResponse(resp).ok());
  resp.status = 600;
  EXPECT_FALSE(CheckHttpResponse(resp).ok());
}

TEST(HttpSerializeTest, ConnectionClose) {
  EXPECT_TRUE(HttpConnectionClose({{"connection", "Close"}}));
  EXPECT_TRUE(HttpConnectionClose({{"Connection", "keep-alive, close"}}));
  EXPECT_FALSE(HttpConnectionClose({{"Connection", "keep-alive"}}));
  EXPECT_FALSE(HttpConnectionClose({{"X-Connection", "close"}}));
  EXPECT_FALSE(HttpConnectionClose({}));
}

// ---- sockets -----------------------------------------------------------------

struct Pair {
  Listener listener;
  Socket client;
  Socket server;
};

Pair MakePair() {
  StatusOr<Listener> l = Listen(Loopback(), 8);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  StatusOr<Socket> c = Connect(Loopback(l->port()), Deadline::In(5s));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  StatusOr<Socket> s = Accept(*l, Deadline::In(5s));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return Pair{std::move(*l), std::move(*c), std::move(*s)};
}

void Send(Socket& s, std::string_view text) { ASSERT_TRUE(WriteAll(s, AsBytes(text), Deadline::In(5s)).ok()); }

TEST(HttpSocketTest, KeepAliveReadsStopAtTheMessageEnd) {
  Pair p = MakePair();
  // Two pipelined requests and the start of a third in one write.
  Send(p.client,
       "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
       "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
       "PUT /3 HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy");
  StatusOr<HttpRequest> a = ReadHttpRequest(p.server, kMax, Deadline::In(5s));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->target, "/1");
  EXPECT_EQ(Str(a->body), "abc");
  StatusOr<HttpRequest> b = ReadHttpRequest(p.server, kMax, Deadline::In(5s));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->target, "/2");
  EXPECT_TRUE(b->body.empty());
  StatusOr<HttpRequest> c = ReadHttpRequest(p.server, kMax, Deadline::In(5s));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Str(c->body), "xy");
  p.client.Close();
  StatusOr<HttpRequest> end = ReadHttpRequest(p.server, kMax, Deadline::In(5s));
  EXPECT_TRUE(IsEndOfStream(end.status())) << end.status().ToString();
}

TEST(HttpSocketTest, HeadArrivingByteByByte) {
  Pair p = MakePair();
  const std::string msg = "POST /x HTTP/1.1\r\nA: b\r\nContent-Length: 4\r\n\r\nbody";
  std::thread writer([&] {
    for (char c : msg) Send(p.client, std::string_view(&c, 1));
  });
  StatusOr<HttpRequest> r = ReadHttpRequest(p.server, kMax, Deadline::In(10s));
  writer.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Str(r->body), "body");
}

TEST(HttpSocketTest, TruncationAndDeadlines) {
  {  // EOF inside the head: not a clean end.
    Pair p = MakePair();
    Send(p.client, "GET / HTTP/1.1\r\nHo");
    p.client.Close();
    EXPECT_EQ(ReadHttpRequest(p.server, kMax, Deadline::In(5s)).status().code(),
              StatusCode::kInvalidArgument);
  }
  {  // EOF inside the body, and at the very start of the body.
    for (std::string_view sent : {"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc",
                                  "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n"}) {
      Pair p = MakePair();
      Send(p.client, sent);
      p.client.Close();
      StatusOr<HttpRequest> r = ReadHttpRequest(p.server, kMax, Deadline::In(5s));
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    }
  }
  {  // Deadline while waiting for the head.
    Pair p = MakePair();
    Send(p.client, "GET / HT");
    EXPECT_EQ(ReadHttpRequest(p.server, kMax, Deadline::In(50ms)).status().code(),
              StatusCode::kLimitExceeded);
  }
  {  // A bare LF fails at once, without waiting for more bytes.
    Pair p = MakePair();
    Send(p.client, "GET / HTTP/1.1\n");
    EXPECT_EQ(ReadHttpRequest(p.server, kMax, Deadline::In(30s)).status().code(),
              StatusCode::kInvalidArgument);
  }
  {  // Announced body over the limit: refused from the head.
    Pair p = MakePair();
    Send(p.client, "POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n");
    EXPECT_EQ(ReadHttpRequest(p.server, 1024, Deadline::In(30s)).status().code(),
              StatusCode::kLimitExceeded);
  }
}

TEST(HttpSocketTest, OverlongHeadsFailWithoutATerminator) {
  {  // Start line with no end: stops just past 8 KiB (must fail before the deadline).
    Pair p = MakePair();
    Send(p.client, "GET /" + std::string(kHttpMaxStartLine + 10, 'a'));
    EXPECT_EQ(ReadHttpRequest(p.server, kMax, Deadline::In(30s)).status().code(),
              StatusCode::kLimitExceeded);
  }
  {  // Header section that never ends.
    Pair p = MakePair();
    std::thread writer([&] {
      std::string junk = "GET / HTTP/1.1\r\n";
      while (junk.size() < 2 * (kHttpMaxStartLine + kHttpMaxHeaderBytes)) junk += "A: b\r\n";
      (void)WriteAll(p.client, AsBytes(junk), Deadline::In(5s));
    });
    EXPECT_EQ(ReadHttpRequest(p.server, kMax, Deadline::In(30s)).status().code(),
              StatusCode::kLimitExceeded);
    p.server.Close();
    writer.join();
  }
}

TEST(HttpSocketTest, LargeBodyArrivesIntact) {
  Pair p = MakePair();
  Bytes body(5 * 1024 * 1024 + 7);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 131 + 7);
  HttpResponse resp{.status = 200, .reason = "OK", .headers = {}, .body = body};
  std::thread writer([&] { EXPECT_TRUE(WriteHttpResponse(p.server, resp, Deadline::In(10s)).ok()); });
  StatusOr<HttpResponse> r = ReadHttpResponse(p.client, body.size(), Deadline::In(10s));
  writer.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, body);
}

TEST(HttpSocketTest, WriteRefusesInjectedHeaders) {
  Pair p = MakePair();
  HttpRequest bad{.method = "GET", .target = "/", .headers = {{"A", "b\r\nX: y"}}, .body = {}};
  EXPECT_EQ(WriteHttpRequest(p.client, bad, Deadline::In(5s)).code(), StatusCode::kInvalidArgument);
  HttpResponse bad_resp{.status = 200, .reason = "O\nK", .headers = {}, .body = {}};
  EXPECT_EQ(WriteHttpResponse(p.server, bad_resp, Deadline::In(5s)).code(),
            StatusCode::kInvalidArgument);
  p.client.Close();
  // Nothing was written: the server sees a clean end.
  EXPECT_TRUE(IsEndOfStream(ReadHttpRequest(p.server, kMax, Deadline::In(5s)).status()));
}

TEST(HttpSocketTest, RoundTripGetAndHead) {
  StatusOr<Listener> l = Listen(Loopback(), 8);
  ASSERT_TRUE(l.ok());
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      StatusOr<Socket> s = Accept(*l, Deadline::In(5s));
      ASSERT_TRUE(s.ok());
      StatusOr<HttpRequest> req = ReadHttpRequest(*s, kMax, Deadline::In(5s));
      ASSERT_TRUE(req.ok()) << req.status().ToString();
      HttpResponse resp{.status = 200, .reason = "OK",
                        .headers = {{"X-Echo", req->method + " " + req->target}},
                        .body = ToBytes("0123456789")};
      const Bytes wire = req->method == "HEAD" ? SerializeHttpResponseToHead(resp, 10)
                                               : SerializeHttpResponse(resp);
      ASSERT_TRUE(WriteAll(*s, wire, Deadline::In(5s)).ok());
    }
  });
  HttpRequest get{.method = "GET", .target = "/obj", .headers = {{"Host", "x"}}, .body = {}};
  StatusOr<HttpResponse> r = HttpRoundTrip(Loopback(l->port()), get, kMax, Deadline::In(5s));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Str(r->body), "0123456789");
  EXPECT_EQ(FindHeader(r->headers, "x-echo"), "GET /obj");
  HttpRequest head = get;
  head.method = "HEAD";
  StatusOr<HttpResponse> h = HttpRoundTrip(Loopback(l->port()), head, kMax, Deadline::In(5s));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->body.empty());
  EXPECT_EQ(FindHeader(h->headers, "Content-Length"), "10");
  server.join();
  // An invalid request is refused before connecting.
  get.target = "bad";
  EXPECT_EQ(HttpRoundTrip(Loopback(l->port()), get, kMax, Deadline::In(5s)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HttpSocketTest, ResponseBodyOverTheLimit) {
  Pair p = MakePair();
  Send(p.server, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a");
  EXPECT_EQ(ReadHttpResponse(p.client, 10, Deadline::In(5s)).status().code(),
            StatusCode::kLimitExceeded);
}

}  // namespace
}  // namespace eml::net
