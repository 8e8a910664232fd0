// The AWS shared-credentials parser reads profiles as the AWS CLI does and
// never puts a secret into a message.
#include <gtest/gtest.h>

#include <fstream>

#include "location/location.h"
#include "support/temp_dir.h"

namespace cairn {
namespace {

constexpr char kMarker[] = "MARKERsecretDoNotPrint123";

TEST(AwsCredentials, ReadsTheDefaultProfileWithCommentsAndWhitespace) {
  const std::string text =
      "# written by hand\n"
      "; another comment\n"
      "\n"
      "[other]\naws_access_key_id=OTHER\naws_secret_access_key=OTHERSECRET\n"
      "  [ default ]  \r\n"
      "  aws_access_key_id   =  AKIAEXAMPLE  \r\n"
      "aws_secret_access_key=abc/def+ghi=\n";
  Result<AwsCredentials> c = parse_aws_credentials(text, "", "creds");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIAEXAMPLE");
  EXPECT_EQ(c->secret_access_key, "abc/def+ghi=");
  EXPECT_EQ(c->session_token, "");
}

TEST(AwsCredentials, ReadsANamedProfileAndItsSessionToken) {
  const std::string text =
      "[default]\naws_access_key_id=D\naws_secret_access_key=DS\n"
      "[backup-writer]\naws_access_key_id = W\naws_secret_access_key = WS\naws_session_token = TOKEN\n"
      "s3 =\n  max_concurrent_requests = 4\n";
  Result<AwsCredentials> c = parse_aws_credentials(text, "backup-writer", "creds");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "W");
  EXPECT_EQ(c->secret_access_key, "WS");
  EXPECT_EQ(c->session_token, "TOKEN");
}

TEST(AwsCredentials, AMissingProfileNamesTheFileAndTheProfile) {
  Result<AwsCredentials> c =
      parse_aws_credentials(std::string("[default]\naws_access_key_id=A\naws_secret_access_key=") + kMarker,
                            "prod", "/etc/cairn/creds");
  EXPECT_EQ(c.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(c.status().message(), "the credentials file /etc/cairn/creds has no profile [prod]");
}

TEST(AwsCredentials, AProfileWithoutTheSecretIsRejectedWithoutEchoingValues) {
  Result<AwsCredentials> c =
      parse_aws_credentials(std::string("[default]\naws_access_key_id=") + kMarker, "", "f");
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("has no aws_secret_access_key"), std::string::npos);
  EXPECT_EQ(c.status().message().find(kMarker), std::string::npos);
}

TEST(AwsCredentials, AMalformedLineIsReportedByNumberNeverByContent) {
  const std::string text = std::string("[default]\naws_access_key_id=A\n") + kMarker + "\n";
  Result<AwsCredentials> c = parse_aws_credentials(text, "", "creds");
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("line 3 of the credentials file creds"), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find(kMarker), std::string::npos);
}

TEST(AwsCredentials, LoadReadsAFileAndReportsAMissingOne) {
  TempDir dir;
  {
    std::ofstream(dir.file("credentials")) << "[default]\naws_access_key_id = K\naws_secret_access_key = S\n";
  }
  Result<AwsCredentials> c = load_aws_credentials(dir.file("credentials"), "default");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->secret_access_key, "S");
  EXPECT_EQ(load_aws_credentials(dir.file("nope"), "").status().code(), ErrorCode::kNotFound);
}

TEST(AwsCredentials, EnvironmentNeedsBothTheKeyAndTheSecret) {
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(aws_credentials_from_env().status().code(), ErrorCode::kNotFound);
  ::setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  Result<AwsCredentials> c = aws_credentials_from_env();
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->secret_access_key, "ENVSECRET");
  EXPECT_EQ(c->session_token, "ENVTOKEN");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
}

}  // namespace
}  // namespace cairn
