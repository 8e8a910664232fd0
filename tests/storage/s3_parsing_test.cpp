// The S3 backend's pure parts: repository URLs, credentials from the
// environment, and the XML of S3 answers. No server needed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "storage/s3/s3_backend.h"
#include "storage/s3/xml.h"

namespace cairn {
namespace {

TEST(ParseS3Url, SplitsEndpointBucketAndPrefix) {
  Result<S3Config> c = parse_s3_url("s3:http://127.0.0.1:7480/backups/team/repo/");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(c->bucket, "backups");
  EXPECT_EQ(c->prefix, "team/repo");
  EXPECT_TRUE(c->path_style);
  EXPECT_EQ(s3_location(*c), "s3:http://127.0.0.1:7480/backups/team/repo");
}

TEST(ParseS3Url, WithoutSchemeMeansHttpsAndNoPrefix) {
  Result<S3Config> c = parse_s3_url("s3:s3.eu-north-1.amazonaws.com/bucket");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->endpoint, "https://s3.eu-north-1.amazonaws.com");
  EXPECT_EQ(c->bucket, "bucket");
  EXPECT_EQ(c->prefix, "");
}

TEST(ParseS3Url, RejectsWhatIsNotAnS3Url) {
  for (const char* url : {"/srv/repo", "s3:", "s3:http://host", "s3:http://host/", "s3:ftp://host/b",
                          "s3:http:///bucket", "s3:http://host/b/a//c"}) {
    const Status st = parse_s3_url(url).status();
    EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << url;
    EXPECT_NE(st.message().find("s3:http(s)://host[:port]/bucket[/prefix]"), std::string::npos)
        << st.message();
  }
}

TEST(S3Credentials, ComeFromTheAwsVariablesAndAreRequired) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  ::setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
  S3Config c;
  ASSERT_TRUE(load_s3_credentials_from_env(c).is_ok());
  EXPECT_EQ(c.access_key_id, "AKID");
  EXPECT_EQ(c.secret_access_key, "SECRET");
  EXPECT_EQ(c.session_token, "TOKEN");
  EXPECT_EQ(c.region, "eu-north-1");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  const Status st = load_s3_credentials_from_env(c);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"}) ::unsetenv(v);
}

TEST(S3Xml, FindsElementsByExactNameAndDecodesEntities) {
  const std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult><KeyCount>2</KeyCount>"
      "<Contents><Key>a&amp;b&lt;&#x41;&#66;</Key><Size>5</Size></Contents>"
      "<Contents><Key>c</Key><Size>7</Size></Contents><Prefix/></ListBucketResult>";
  EXPECT_EQ(s3::xml_text(xml, "Key"), "a&b<AB");
  EXPECT_EQ(s3::xml_text(xml, "KeyCount"), "2");
  EXPECT_EQ(s3::xml_text(xml, "Prefix"), "");
  EXPECT_EQ(s3::xml_text(xml, "Missing"), std::nullopt);
  std::vector<std::string> sizes;
  s3::xml_for_each(xml, "Contents", [&](std::string_view c) { sizes.push_back(*s3::xml_text(c, "Size")); });
  EXPECT_EQ(sizes, (std::vector<std::string>{"5", "7"}));
}

TEST(S3Xml, TruncatedOrMalformedInputFindsNothing) {
  for (const char* xml : {"<Key>abc", "<Key", "<Key>abc</Ke", "", "<Key x=\"1\"", "&#xFFFFFFFFF;"}) {
    EXPECT_EQ(s3::xml_text(xml, "Key"), std::nullopt) << xml;
  }
  EXPECT_EQ(s3::xml_text("<K>&#xFFFFFFFFF;&bogus;&</K>", "K"), "&#xFFFFFFFFF;&bogus;&");
  EXPECT_EQ(s3::xml_escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
}

}  // namespace
}  // namespace cairn
