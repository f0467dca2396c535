using BucketGuard.Core;
using BucketGuard.Core.Acls;

namespace BucketGuard.Tests;

public class AclTests
{
    private static Exposure Evaluate(string text, AclTarget target = AclTarget.Bucket)
    {
        var acl = AclParser.Parse(text);
        Assert.True(acl.Ok, acl.Error);
        return AclEvaluator.Evaluate(acl.Value!, target);
    }

    [Theory]
    [InlineData("private", false, AccessLevel.None)]
    [InlineData("public-read", true, AccessLevel.List)]
    [InlineData("public-read-write", true, AccessLevel.List | AccessLevel.Write)]
    [InlineData("authenticated-read", true, AccessLevel.List)]
    [InlineData("aws-exec-read", false, AccessLevel.None)]
    [InlineData("bucket-owner-read", false, AccessLevel.None)]
    [InlineData("bucket-owner-full-control", false, AccessLevel.None)]
    [InlineData("log-delivery-write", false, AccessLevel.None)]
    [InlineData("PUBLIC-READ", true, AccessLevel.List)]
    public void Each_canned_acl_is_public_exactly_when_it_grants_to_allusers_or_authenticatedusers(string canned, bool expected, AccessLevel level)
    {
        var exposure = Evaluate(canned);

        Assert.Equal(expected, exposure.IsPublic);
        Assert.Equal(level, exposure.Access);
    }

    [Fact]
    public void An_unknown_canned_acl_name_is_an_error_that_lists_the_known_ones()
    {
        var result = CannedAcl.Expand("world-readable");

        Assert.False(result.Ok);
        Assert.Contains("public-read-write", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("READ", AclTarget.Bucket, AccessLevel.List)]
    [InlineData("READ", AclTarget.Object, AccessLevel.Read)]
    [InlineData("WRITE", AclTarget.Bucket, AccessLevel.Write)]
    [InlineData("READ_ACP", AclTarget.Bucket, AccessLevel.Read)]
    [InlineData("WRITE_ACP", AclTarget.Bucket, AccessLevel.PermissionsManagement)]
    [InlineData("FULL_CONTROL", AclTarget.Bucket, AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement)]
    public void Each_permission_maps_to_the_access_it_gives(string permission, AclTarget target, AccessLevel level)
    {
        Assert.Equal(level, AclEvaluator.LevelOf(permission, target));
    }

    [Fact]
    public void Grants_are_read_from_the_s3_api_json_and_keyed_on_the_group_uri_not_the_type()
    {
        const string json = """
        {"Owner":{"ID":"o"},"Grants":[
          {"Grantee":{"Type":"CanonicalUser","ID":"abc","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"},
          {"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/s3/LogDelivery"},"Permission":"WRITE"}]}
        """;

        var finding = Assert.Single(Evaluate(json).Findings);

        Assert.Equal("AllUsers", finding.Principal);
        Assert.Equal(0, finding.Index);
        Assert.Contains("anyone on the internet", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cloudtrail_access_control_policy_with_a_single_grant_object_and_underscore_keys_is_read()
    {
        const string json = """
        {"AccessControlPolicy":{"AccessControlList":{"Grant":
          {"Grantee":{"xsi_type":"Group","URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"permission":"WRITE_ACP"}}}}
        """;

        var finding = Assert.Single(Evaluate(json).Findings);

        Assert.Equal("AuthenticatedUsers", finding.Principal);
        Assert.Equal(AccessLevel.PermissionsManagement, finding.Access);
        Assert.Contains("anyone with any AWS account", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void S3_rest_xml_is_read_including_the_type_spelled_with_a_space()
    {
        const string xml = """
        <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner><AccessControlList>
          <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Canonical User"><ID>o</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
          <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
        </AccessControlList></AccessControlPolicy>
        """;

        var acl = AclParser.ParseXml(xml).Value!;

        Assert.Equal("o", acl.OwnerId);
        Assert.Equal(GranteeType.CanonicalUser, acl.Grants[0].Grantee.Type);
        Assert.Equal(1, Assert.Single(AclEvaluator.Evaluate(acl).Findings).Index);
    }

    [Fact]
    public void Xml_with_a_dtd_is_refused_rather_than_expanded()
    {
        const string xml = """<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><AccessControlPolicy>&x;</AccessControlPolicy>""";

        var result = AclParser.ParseXml(xml);

        Assert.False(result.Ok);
        Assert.Contains("not well-formed XML", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Grant_headers_are_read_with_several_grantees_and_quoted_values()
    {
        const string json = """{"x-amz-grant-read":"uri=\"http://acs.amazonaws.com/groups/global/AllUsers\", id=\"abc\"","x-amz-grant-write":"emailAddress=\"a@example.com\""}""";

        var exposure = Evaluate(json);

        Assert.Equal("AllUsers", Assert.Single(exposure.Findings).Principal);
        Assert.Equal(AccessLevel.List, exposure.Access);
    }

    [Fact]
    public void Log_delivery_canonical_users_and_email_grantees_are_not_public()
    {
        const string json = """
        {"Grants":[
          {"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/s3/LogDelivery"},"Permission":"FULL_CONTROL"},
          {"Grantee":{"Type":"CanonicalUser","ID":"abc"},"Permission":"FULL_CONTROL"},
          {"Grantee":{"Type":"AmazonCustomerByEmail","EmailAddress":"a@example.com"},"Permission":"FULL_CONTROL"}]}
        """;

        Assert.False(Evaluate(json).IsPublic);
    }

    [Theory]
    [InlineData("42", "not a number")]
    [InlineData("""{"Something":1}""", "no Grants, AccessControlPolicy")]
    [InlineData("<Other/>", "is not an AccessControlPolicy")]
    [InlineData("<AccessControlPolicy>", "not well-formed XML")]
    public void An_acl_that_cannot_be_understood_gets_a_clear_error(string text, string message)
    {
        var result = AclParser.Parse(text);

        Assert.False(result.Ok);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
