using BucketGuard.Core;
using BucketGuard.Core.Events;

namespace BucketGuard.Tests;

public class EventParserTests
{
    private static BucketChange Parse(string json)
    {
        var parsed = CloudTrailEventParser.Parse(json);
        Assert.True(parsed.Ok, parsed.Error);
        return parsed.Value!;
    }

    private static string Event(string eventName, string requestParameters, string extraDetail = "") => $$"""
        {"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333",
         "time":"2026-11-21T10:00:00Z","region":"eu-west-1","resources":[],
         "detail":{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","awsRegion":"eu-west-1",
           "eventTime":"2026-11-21T10:00:00Z","eventID":"ev-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15",
           "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Dev/ann","accountId":"111122223333",
             "principalId":"AROAEXAMPLE:ann","accessKeyId":"ASIAEXAMPLE",
             "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/Dev"} } },
           "requestParameters":{{requestParameters}}{{extraDetail}} } }
        """;

    [Fact]
    public void A_put_bucket_acl_event_yields_who_what_where_and_the_requested_acl()
    {
        var change = Parse(Event("PutBucketAcl", """{"bucketName":"reports","x-amz-acl":["public-read"],"acl":[""]}"""));

        Assert.Equal(ChangeKind.BucketAclChanged, change.Kind);
        Assert.Equal("reports", change.Bucket);
        Assert.Equal("111122223333", change.Account);
        Assert.Equal("eu-west-1", change.Region);
        Assert.Equal("ev-1", change.EventId);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), change.EventTime);
        Assert.Equal("arn:aws:sts::111122223333:assumed-role/Dev/ann", change.Actor.Arn);
        Assert.Equal("ASIAEXAMPLE", change.Actor.AccessKeyId);
        Assert.Equal("arn:aws:iam::111122223333:role/Dev", change.Actor.SessionIssuerArn);
        Assert.Equal("203.0.113.9", change.SourceIp);
        Assert.Equal("aws-cli/2.15", change.UserAgent);
        Assert.Equal("public-read", change.RequestedAcl!.CannedName);
        Assert.False(change.Failed);
    }

    [Fact]
    public void Create_bucket_without_an_acl_header_requests_the_private_default()
    {
        var change = Parse(Event("CreateBucket", """{"bucketName":"new-bucket","Host":"new-bucket.s3.amazonaws.com"}"""));

        Assert.Equal(ChangeKind.BucketCreated, change.Kind);
        Assert.Equal("private", change.RequestedAcl!.CannedName);
    }

    [Fact]
    public void Create_bucket_with_a_grant_header_requests_those_grants()
    {
        var change = Parse(Event("CreateBucket", """{"bucketName":"b","x-amz-grant-read":"uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}"""));

        Assert.True(change.RequestedAcl!.Grants.Single().Grantee.IsAllUsers);
    }

    [Fact]
    public void A_put_bucket_policy_event_carries_the_parsed_policy_even_when_it_is_a_string()
    {
        var change = Parse(Event("PutBucketPolicy", """{"bucketName":"b","bucketPolicy":"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"}}"}"""));

        Assert.Equal(ChangeKind.BucketPolicyChanged, change.Kind);
        Assert.True(BucketGuard.Core.Policies.PolicyEvaluator.Evaluate(change.RequestedPolicy!, BucketGuard.Core.Policies.PolicyKind.Bucket).Value!.IsPublic);
        Assert.Null(change.RequestProblem);
    }

    [Fact]
    public void A_policy_that_is_not_json_is_a_problem_of_the_request_not_of_the_event()
    {
        var change = Parse(Event("PutBucketPolicy", """{"bucketName":"b","bucketPolicy":"invalid-json-policy"}"""));

        Assert.Null(change.RequestedPolicy);
        Assert.StartsWith("the requested bucketPolicy is a string that is not valid JSON", change.RequestProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void Public_access_block_flags_are_read_and_missing_flags_are_off()
    {
        var change = Parse(Event("PutBucketPublicAccessBlock", """{"bucketName":"b","PublicAccessBlockConfiguration":{"xmlns":"x","BlockPublicAcls":true,"RestrictPublicBuckets":"true"}}"""));

        Assert.Equal(PublicAccessBlock.None with { BlockPublicAcls = true, RestrictPublicBuckets = true }, change.RequestedPublicAccessBlock);
    }

    [Fact]
    public void Account_level_calls_name_the_account_from_the_s3_control_host_and_no_bucket()
    {
        var json = Event("DeleteAccountPublicAccessBlock", """{"host":["444455556666.s3-control.us-east-1.amazonaws.com"]}""")
            .Replace("\"account\":\"111122223333\",", string.Empty, StringComparison.Ordinal)
            .Replace("\"accountId\":\"111122223333\",", string.Empty, StringComparison.Ordinal);

        var change = Parse(json);

        Assert.Equal(ChangeKind.AccountPublicAccessBlockDeleted, change.Kind);
        Assert.True(change.IsAccountLevel);
        Assert.Equal("444455556666", change.Account);
        Assert.Null(change.Bucket);
    }

    [Fact]
    public void Tags_are_read_whether_one_tag_object_or_a_list()
    {
        var one = Parse(Event("PutBucketTagging", """{"bucketName":"b","Tagging":{"TagSet":{"Tag":{"Key":"team","Value":"data"}}}}"""));
        var many = Parse(Event("PutBucketTagging", """{"bucketName":"b","Tagging":{"TagSet":{"Tag":[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]}}}"""));

        Assert.Equal([new Tag("team", "data")], one.RequestedTags!.Value.AsEnumerable());
        Assert.Equal(["a", "b"], many.RequestedTags!.Value.Select(t => t.Key));
    }

    [Fact]
    public void Ownership_controls_are_read_from_a_single_rule_object()
    {
        var change = Parse(Event("PutBucketOwnershipControls", """{"bucketName":"b","OwnershipControls":{"Rule":{"ObjectOwnership":"BucketOwnerEnforced"}}}"""));

        Assert.Equal("BucketOwnerEnforced", change.RequestedObjectOwnership);
    }

    [Fact]
    public void A_failed_call_is_marked_with_its_error()
    {
        var change = Parse(Event("PutBucketAcl", """{"bucketName":"b","x-amz-acl":"public-read"}""", ""","errorCode":"AccessDenied","errorMessage":"Access Denied" """));

        Assert.True(change.Failed);
        Assert.Equal("AccessDenied", change.ErrorCode);
        Assert.Equal("Access Denied", change.ErrorMessage);
    }

    [Fact]
    public void Null_request_parameters_and_a_list_user_agent_are_tolerated()
    {
        var change = Parse(Event("PutBucketPolicy", "null").Replace("\"userAgent\":\"aws-cli/2.15\"", "\"userAgent\":[\"console\"]", StringComparison.Ordinal));

        Assert.Equal("console", change.UserAgent);
        Assert.Null(change.Bucket);
        Assert.Equal("the event carries no bucketPolicy", change.RequestProblem);
    }

    [Theory]
    [InlineData("GetObject", "GetObject does not change who can reach a bucket")]
    [InlineData("ListBuckets", "ListBuckets does not change who can reach a bucket")]
    public void S3_calls_that_do_not_change_exposure_are_classified_as_such(string eventName, string reason)
    {
        var change = Parse(Event(eventName, """{"bucketName":"b"}"""));

        Assert.Equal(ChangeKind.NotBucketChange, change.Kind);
        Assert.Equal(reason, change.NotBucketChangeReason);
    }

    [Fact]
    public void Events_from_other_services_or_other_detail_types_are_classified_not_rejected()
    {
        var ec2 = Parse(Event("PutBucketAcl", "{}").Replace("\"source\":\"aws.s3\"", "\"source\":\"aws.ec2\"", StringComparison.Ordinal).Replace("s3.amazonaws.com", "ec2.amazonaws.com", StringComparison.Ordinal));
        var scheduled = Parse("""{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}""");
        var unrelated = Parse("""{"hello":"world"}""");

        Assert.Equal("eventSource \"ec2.amazonaws.com\" is not s3.amazonaws.com", ec2.NotBucketChangeReason);
        Assert.Equal("detail-type \"Scheduled Event\" is not \"AWS API Call via CloudTrail\"", scheduled.NotBucketChangeReason);
        Assert.Equal(ChangeKind.NotBucketChange, unrelated.Kind);
    }

    [Fact]
    public void A_bare_cloudtrail_record_is_read_like_its_envelope()
    {
        var change = Parse("""{"eventSource":"s3.amazonaws.com","eventName":"DeleteBucketPolicy","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"bucketName":"b"}}""");

        Assert.Equal(ChangeKind.BucketPolicyDeleted, change.Kind);
        Assert.Equal("111122223333", change.Account);
        Assert.Equal("us-east-1", change.Region);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("{\"detail\":", "not valid JSON")]
    [InlineData("[]", "must be a JSON object, not a list")]
    public void Text_that_is_not_a_json_object_is_an_error_with_a_reason(string json, string message)
    {
        var parsed = CloudTrailEventParser.Parse(json);

        Assert.False(parsed.Ok);
        Assert.Contains(message, parsed.Error, StringComparison.Ordinal);
    }
}
