#include "net/endpoint.h"

#include <gtest/gtest.h>

#include <string>

namespace eml::net {
namespace {

TEST(EndpointTest, ParsesIpv4AndLocalhost) {
  StatusOr<Endpoint> ep = Endpoint::Parse("10.1.2.3:8080");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->family, Endpoint::Family::kIpv4);
  EXPECT_EQ(ep->host, "10.1.2.3");
  EXPECT_EQ(ep->port, 8080u);

  ep = Endpoint::Parse("localhost:0");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "127.0.0.1");  // never resolved through /etc/hosts
  EXPECT_EQ(ep->port, 0u);

  ep = Endpoint::Parse("0.0.0.0:65535");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->port, 65535u);
}

TEST(EndpointTest, ParsesBracketedIpv6) {
  StatusOr<Endpoint> ep = Endpoint::Parse("[::1]:443");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->family, Endpoint::Family::kIpv6);
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 443u);
  ASSERT_TRUE(Endpoint::Parse("[fe80::1:2]:1").ok());
}

TEST(EndpointTest, ParsesVsock) {
  StatusOr<Endpoint> ep = Endpoint::Parse("vsock:16:5000");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->family, Endpoint::Family::kVsock);
  EXPECT_EQ(ep->cid, 16u);
  EXPECT_EQ(ep->port, 5000u);
  ep = Endpoint::Parse("vsock:any:4294967294");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->cid, Endpoint::kVsockCidAny);
  EXPECT_EQ(ep->port, 4294967294u);
}

TEST(EndpointTest, RejectsMalformed) {
  const char* bad[] = {
      "",                   // empty
      "127.0.0.1",          // no port
      "127.0.0.1:",         // empty port
      "127.0.0.1:65536",    // port too large
      "127.0.0.1:-1",       // sign
      "127.0.0.1:+80",      // sign
      "127.0.0.1:080",      // leading zero
      "127.0.0.1:8o",       // not decimal
      "127.0.0.1:99999999999",  // overflow attempt
      "example.com:80",     // names are never resolved
      "127.1:80",           // inet_aton shorthand is not accepted
      "256.0.0.1:80",       // octet range
      "::1:80",             // IPv6 needs brackets
      "[::1]80",            // missing colon
      "[::1]:",             // empty port
      "[127.0.0.1]:80",     // not IPv6
      "[fe80::1%eth0]:80",  // zones unsupported
      "[::1:80",            // unclosed bracket
      " 127.0.0.1:80",      // whitespace
      "127.0.0.1:80\n",     // control character
      "vsock:",             // empty
      "vsock:3",            // no port
      "vsock:x:5",          // cid not decimal
      "vsock:3:",           // empty port
      "vsock:4294967295:5", // that is VMADDR_CID_ANY: spell it "any"
      "vsock:3:4294967295", // VMADDR_PORT_ANY
      "vsock:3:5:6",        // extra field
      "vsock:-1:5",         // sign
  };
  for (const char* text : bad) {
    StatusOr<Endpoint> ep = Endpoint::Parse(text);
    EXPECT_FALSE(ep.ok()) << "accepted '" << text << "'";
    if (!ep.ok()) {
      EXPECT_EQ(ep.status().code(), StatusCode::kInvalidArgument) << text;
    }
  }
  EXPECT_FALSE(Endpoint::Parse(std::string(300, '1')).ok());
}

TEST(EndpointTest, ToStringRoundTrips) {
  for (const char* text : {"127.0.0.1:1", "[::1]:2", "vsock:3:4", "vsock:any:0"}) {
    StatusOr<Endpoint> ep = Endpoint::Parse(text);
    ASSERT_TRUE(ep.ok()) << text;
    EXPECT_EQ(ep->ToString(), text);
    StatusOr<Endpoint> again = Endpoint::Parse(ep->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *ep);
  }
}

}  // namespace
}  // namespace eml::net
