using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Policies;
using static BucketGuard.Tests.Policies;

namespace BucketGuard.Tests;

public class PolicyEvaluatorTests
{
    private static Exposure Evaluate(string json)
    {
        var result = PolicyEvaluator.Evaluate(json, PolicyKind.Bucket);
        Assert.True(result.Ok, result.Error);
        return result.Value!;
    }

    [Fact]
    public void Principal_star_without_a_condition_is_public_and_says_so()
    {
        var exposure = Evaluate(Everyone());

        var finding = Assert.Single(exposure.Findings);
        Assert.Equal("*", finding.Principal);
        Assert.Equal(FindingSource.PolicyStatement, finding.Source);
        Assert.Equal(0, finding.Index);
        Assert.Equal("S1", finding.Sid);
        Assert.Equal(["s3:GetObject"], finding.Actions.AsEnumerable());
        Assert.Equal(AccessLevel.Read, finding.Access);
        Assert.Equal("Principal * (anyone, including anonymous users) with no limiting condition", finding.Reason);
    }

    [Theory]
    [InlineData("""{"AWS":"*"}""")]
    [InlineData("""{"AWS":["*"]}""")]
    [InlineData("""{"AWS":["arn:aws:iam::123456789012:root","*"]}""")]
    [InlineData("""{"AWS":"arn:aws:iam::*:root"}""")]
    [InlineData("""{"AWS":"arn:aws:iam::123456789012:user/${aws:username}"}""")]
    [InlineData("""{"Service":"*.amazonaws.com"}""")]
    [InlineData("""{"Federated":"graph.facebook.com"}""")]
    [InlineData("""{"CanonicalUser":"*"}""")]
    public void A_principal_that_is_not_a_fixed_value_makes_the_statement_public(string principal)
    {
        Assert.True(Evaluate(Allow(JsonNode.Parse(principal)!, "s3:GetObject")).IsPublic);
    }

    [Theory]
    [InlineData("""{"AWS":"arn:aws:iam::123456789012:root"}""")]
    [InlineData("""{"AWS":"123456789012"}""")]
    [InlineData("""{"AWS":["arn:aws:iam::123456789012:role/Reader","arn:aws:iam::210987654321:user/Ann"]}""")]
    [InlineData("""{"Service":"logging.s3.amazonaws.com"}""")]
    [InlineData("""{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}""")]
    [InlineData("""{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1"}""")]
    public void Fixed_principals_are_not_public(string principal)
    {
        Assert.False(Evaluate(Allow(JsonNode.Parse(principal)!, "s3:*")).IsPublic);
    }

    [Fact]
    public void NotPrincipal_in_an_allow_is_treated_as_everyone_except_the_listed_principals()
    {
        var policy = """{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"*"}}""";

        var finding = Assert.Single(Evaluate(policy).Findings);

        Assert.Contains("everyone except AWS:arn:aws:iam::111122223333:root", finding.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main")]
    [InlineData("aws:SourceVpc", "vpc-91237329")]
    [InlineData("aws:SourceVpce", "vpce-1a2b3c4d")]
    [InlineData("aws:SourceOwner", "111122223333")]
    [InlineData("aws:SourceAccount", "111122223333")]
    [InlineData("s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/abc")]
    [InlineData("aws:userid", "AROAEXAMPLEID:alice")]
    [InlineData("aws:PrincipalOrgID", "o-aa111bb222")]
    [InlineData("aws:PrincipalAccount", "111122223333")]
    [InlineData("aws:PrincipalArn", "arn:aws:iam::111122223333:role/Reader")]
    [InlineData("s3:DataAccessPointAccount", "111122223333")]
    [InlineData("s3:DataAccessPointArn", "arn:aws:s3:us-east-1:111122223333:accesspoint/reports")]
    public void A_fixed_value_of_a_qualifying_key_limits_principal_star(string key, string value)
    {
        var exposure = Evaluate(Everyone(condition: Condition("StringEquals", key, value)));

        Assert.False(exposure.IsPublic);
        Assert.Contains($"limited by {key} = {value}", Assert.Single(exposure.Notes), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("aws:SourceVpc", "vpc-*", "contains a wildcard")]
    [InlineData("aws:SourceArn", "arn:aws:cloudtrail:*:111122223333:trail/*", "contains a wildcard")]
    [InlineData("aws:PrincipalArn", "arn:aws:iam::111122223333:role/?eader", "contains a wildcard")]
    [InlineData("aws:userid", "AROAEXAMPLEID:*", "contains a wildcard")]
    [InlineData("aws:PrincipalAccount", "${aws:PrincipalAccount}", "contains a policy variable")]
    [InlineData("s3:DataAccessPointArn", "arn:aws:s3:us-east-1:*:accesspoint/reports", "does not fix the account")]
    public void A_wildcard_or_variable_in_a_qualifying_key_does_not_limit(string key, string value, string why)
    {
        var finding = Assert.Single(Evaluate(Everyone(condition: Condition("StringLike", key, value))).Findings);

        Assert.Contains(why, finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_access_point_arn_may_wildcard_the_access_point_name_when_the_account_is_fixed()
    {
        var policy = Everyone(condition: Condition("StringLike", "s3:DataAccessPointArn", "arn:aws:s3:us-east-1:111122223333:accesspoint/*"));

        Assert.False(Evaluate(policy).IsPublic);
    }

    [Theory]
    [InlineData("StringNotEquals", "aws:PrincipalOrgID", "o-aa111bb222")]
    [InlineData("StringNotLike", "aws:SourceVpc", "vpc-1")]
    [InlineData("ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/R")]
    [InlineData("ArnNotLike", "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t")]
    [InlineData("NotIpAddress", "aws:SourceIp", "192.0.2.0/24")]
    [InlineData("StringNotEqualsIgnoreCase", "aws:SourceVpce", "vpce-1")]
    public void Negated_operators_do_not_limit(string op, string key, string value)
    {
        var finding = Assert.Single(Evaluate(Everyone(condition: Condition(op, key, value))).Findings);

        Assert.Contains("is negated", finding.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("StringEqualsIfExists", "lets through requests that have no aws:SourceVpc")]
    [InlineData("ForAllValues:StringEquals", "is also true when the request has no aws:SourceVpc")]
    [InlineData("Null", "only tests whether the key is present")]
    [InlineData("Bool", "not an equality or Like operator")]
    public void Operators_that_admit_requests_without_the_key_do_not_limit(string op, string why)
    {
        var finding = Assert.Single(Evaluate(Everyone(condition: Condition(op, "aws:SourceVpc", "vpc-1"))).Findings);

        Assert.Contains(why, finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ForAnyValue_string_equals_on_a_fixed_value_limits()
    {
        Assert.False(Evaluate(Everyone(condition: Condition("ForAnyValue:StringEquals", "aws:PrincipalOrgID", "o-1"))).IsPublic);
    }

    [Theory]
    [InlineData("aws:Referer", "https://www.example.com/*")]
    [InlineData("aws:SecureTransport", "true")]
    [InlineData("aws:UserAgent", "curl/8.0")]
    [InlineData("s3:x-amz-acl", "public-read")]
    public void Keys_outside_aws_list_do_not_limit_even_with_fixed_values(string key, string value)
    {
        var finding = Assert.Single(Evaluate(Everyone(condition: Condition("StringEquals", key, value))).Findings);

        Assert.Contains($"{key} is not a condition key that limits who can use the grant", finding.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AWS:SOURCEVPC")]
    [InlineData("aws:sourceVpc")]
    [InlineData("Aws:SourceVPC")]
    public void Condition_keys_are_matched_ignoring_case(string key)
    {
        Assert.False(Evaluate(Everyone(condition: Condition("StringEquals", key, "vpc-1"))).IsPublic);
    }

    [Theory]
    [InlineData("10.0.0.0/8", false)]
    [InlineData("192.0.2.0/24", false)]
    [InlineData("1.2.3.4", false)]
    [InlineData("11.0.0.0/7", true)]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("0.0.0.0/1", true)]
    [InlineData("2001:db8::/32", false)]
    [InlineData("2001:db8::/31", true)]
    [InlineData("::/0", true)]
    [InlineData("not-an-ip", true)]
    [InlineData("192.0.2.0/33", true)]
    public void Source_ip_limits_only_when_no_cidr_is_broader_than_slash_8_or_slash_32(string cidr, bool expectPublic)
    {
        Assert.Equal(expectPublic, Evaluate(Everyone(condition: Condition("IpAddress", "aws:SourceIp", cidr))).IsPublic);
    }

    [Fact]
    public void One_broad_cidr_in_a_source_ip_list_makes_the_statement_public_and_is_named()
    {
        var finding = Assert.Single(Evaluate(Everyone(condition: Condition("IpAddress", "aws:SourceIp", "192.0.2.0/24", "0.0.0.0/1"))).Findings);

        Assert.Contains("aws:SourceIp 0.0.0.0/1 is broader than /8", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void One_limiting_condition_among_several_is_enough_because_conditions_are_anded()
    {
        var condition = new JsonObject
        {
            ["StringLike"] = new JsonObject { ["aws:SourceVpc"] = "vpc-*" },
            ["StringEquals"] = new JsonObject { ["aws:PrincipalOrgID"] = "o-1" },
        };

        Assert.False(Evaluate(Everyone(condition: condition)).IsPublic);
    }

    [Fact]
    public void Deny_statements_grant_nothing()
    {
        Assert.False(Evaluate(Allow("*", "s3:*", effect: "Deny")).IsPublic);
    }

    [Fact]
    public void One_public_statement_makes_the_policy_public_and_only_it_is_a_finding()
    {
        var policy = """
        {"Statement":[
          {"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"},
          {"Sid":"Public","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}
        """;

        var finding = Assert.Single(Evaluate(policy).Findings);

        Assert.Equal(1, finding.Index);
        Assert.Equal("statement 2 (Sid \"Public\")", finding.Location);
        Assert.Equal(AccessLevel.Read | AccessLevel.List, finding.Access);
    }

    [Theory]
    [InlineData("s3:GetObject", AccessLevel.Read)]
    [InlineData("s3:ListBucket", AccessLevel.List)]
    [InlineData("s3:PutObject", AccessLevel.Write)]
    [InlineData("s3:DeleteObject", AccessLevel.Write)]
    [InlineData("s3:PutBucketPolicy", AccessLevel.PermissionsManagement)]
    [InlineData("s3:PutBucketAcl", AccessLevel.PermissionsManagement)]
    [InlineData("s3:getobject", AccessLevel.Read)]
    [InlineData("s3:Get*", AccessLevel.Read)]
    [InlineData("s3:List*", AccessLevel.List)]
    [InlineData("s3:Put*", AccessLevel.Write | AccessLevel.PermissionsManagement)]
    [InlineData("s3:*", AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement)]
    [InlineData("*", AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement)]
    [InlineData("s3:GetNewActionNobodyListed", AccessLevel.Read)]
    public void Actions_are_given_the_access_level_iam_gives_them(string action, AccessLevel level)
    {
        Assert.Equal(level, Assert.Single(Evaluate(Everyone(action)).Findings).Access);
    }

    [Fact]
    public void NotAction_in_an_allow_is_every_level()
    {
        var policy = """{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"*"}}""";

        var finding = Assert.Single(Evaluate(policy).Findings);

        Assert.Equal(S3Actions.All, finding.Access);
        Assert.Contains("NotAction grants every action except those listed", finding.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}""")]
    [InlineData("""{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"]}]}""")]
    [InlineData("\"{\\\"Statement\\\":{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":\\\"s3:GetObject\\\"}}\"")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}}""")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"NumericLessThan":{"s3:max-keys":10}}}}""")]
    public void Every_shape_variant_of_a_public_policy_is_read_and_found_public(string json)
    {
        Assert.True(Evaluate(json).IsPublic);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object, not a list")]
    [InlineData("{}", "has no Statement")]
    [InlineData("""{"Statement":[]}""", "Statement list is empty")]
    [InlineData("""{"Statement":[42]}""", "statement 1: a statement must be an object")]
    [InlineData("""{"Statement":{"Effect":"Permit","Principal":"*","Action":"s3:GetObject"}}""", "Effect \"Permit\" is neither Allow nor Deny")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":7,"Action":"s3:GetObject"}}""", "Principal must be \"*\" or an object")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*"}}""", "no Action or NotAction")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":"x"}}""", "Condition must be an object")]
    [InlineData("\"still not json\"", "a string that is not valid JSON")]
    public void A_policy_that_cannot_be_understood_gets_a_clear_error_not_an_exception(string json, string message)
    {
        var result = PolicyEvaluator.Evaluate(json, PolicyKind.Bucket);

        Assert.False(result.Ok);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
