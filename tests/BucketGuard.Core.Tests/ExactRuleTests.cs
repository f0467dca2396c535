using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Check;
using BucketGuard.Core.Events;
using BucketGuard.Core.Policies;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Tests;

/// <summary>Issue 27: each rule applied where AWS applies it, on every path (evaluator, triage, `check`, the function).</summary>
public class ExactRuleTests
{
    private const string Account = "111122223333";
    private const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 9, 30, 15, TimeSpan.Zero);
    }

    /// <summary>S3 User Guide, "The meaning of 'public'", Access points: the example of a grant to every access point of
    /// one account through s3:DataAccessPointArn.</summary>
    private static string ThroughAccessPoints(string resource, string arn = $"arn:aws:s3:us-west-2:{Account}:accesspoint/*") => $$"""
        {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"{{resource}}",
          "Condition":{"StringLike":{"s3:DataAccessPointArn":"{{arn}}"} } }]}
        """;

    private const string BucketResource = "arn:aws:s3:::reports/*";
    private const string AccessPointResource = $"arn:aws:s3:us-west-2:{Account}:accesspoint/reports-ap/object/*";

    [Fact]
    public void A_grant_to_a_set_of_access_points_is_not_public_in_a_bucket_policy_but_makes_an_access_point_policy_public()
    {
        var inBucket = PolicyEvaluator.Evaluate(ThroughAccessPoints(BucketResource), PolicyKind.Bucket).Value!;
        var inAccessPoint = PolicyEvaluator.Evaluate(ThroughAccessPoints(AccessPointResource), PolicyKind.AccessPoint).Value!;
        var inMultiRegion = PolicyEvaluator.Evaluate(ThroughAccessPoints($"arn:aws:s3::{Account}:accesspoint/mfzwi23gnjvgw.mrap/object/*"), PolicyKind.MultiRegionAccessPoint).Value!;

        Assert.False(inBucket.IsPublic);
        Assert.Contains(inBucket.Notes, n => n.Contains("in a bucket policy, access points of one account limit the grant", StringComparison.Ordinal));
        var finding = Assert.Single(inAccessPoint.Findings);
        Assert.Contains("names a set of access points, which makes an access point policy public", finding.Reason, StringComparison.Ordinal);
        Assert.Contains("The meaning of 'public'", finding.Reason, StringComparison.Ordinal);
        Assert.True(inMultiRegion.IsPublic);
    }

    [Fact]
    public void One_named_access_point_still_limits_an_access_point_policy_and_the_note_says_which_rule_applied()
    {
        var named = PolicyEvaluator.Evaluate(ThroughAccessPoints(AccessPointResource, $"arn:aws:s3:us-west-2:{Account}:accesspoint/reports-ap"), PolicyKind.AccessPoint).Value!;

        Assert.False(named.IsPublic);
        Assert.Contains(named.Notes, n => n.Contains("one named access point; in an access point policy a set of access points would make it public", StringComparison.Ordinal));
    }

    [Fact]
    public void The_function_judges_a_stored_access_point_policy_by_the_access_point_rule_and_locks_the_bucket()
    {
        var point = new AccessPoint("reports-ap", $"arn:aws:s3:us-west-2:{Account}:accesspoint/reports-ap", "reports-ap-abc-s3alias", "Internet", null, PublicAccessBlock.None, ThroughAccessPoints(AccessPointResource), null);
        var state = new BucketState("reports", true, CannedAcl.Expand("private").Value, ThroughAccessPoints(BucketResource), null, null, "BucketOwnerEnforced", [], null, []) { AccessPoints = [point] };

        var exposure = Remediation.Evaluate(state, out var problems);
        var verdict = Remediation.Decide(BucketChange.ForSweep("reports", Account, "us-west-2", new Clock().GetUtcNow()), state, RemediationPolicy.Default with { TrustS3PolicyStatus = false }, new DateOnly(2026, 11, 21));

        Assert.Empty(problems);
        var finding = Assert.Single(exposure.Findings);
        Assert.Equal((FindingSource.AccessPointPolicyStatement, "reports-ap"), (finding.Source, finding.AccessPoint));
        Assert.Equal(Outcome.Block, verdict.Outcome);
        Assert.Equal(new PublicAccessBlock(false, false, true, true), verdict.Apply);
    }

    [Fact]
    public void Check_judges_a_policy_file_by_the_kind_its_resources_show_and_an_access_point_event_by_its_kind()
    {
        var bucketFile = Checker.Check("bucket.json", ThroughAccessPoints(BucketResource));
        var accessPointFile = Checker.Check("access-point.json", ThroughAccessPoints(AccessPointResource));
        var policy = ThroughAccessPoints(AccessPointResource);
        var putEvent = $$"""
            {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"{{Account}}","region":"us-west-2",
             "detail":{"eventSource":"s3.amazonaws.com","eventName":"PutAccessPointPolicy","eventTime":"2026-11-21T09:30:12Z","eventID":"e-ap",
               "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::{{Account}}:user/ann"},
               "requestParameters":{"name":"reports-ap","x-amz-account-id":"{{Account}}","PutAccessPointPolicyRequest":{"Policy":{{JsonSerializer.Serialize(policy)}} } } } }
            """;
        var fromEvent = Checker.Check("event.json", putEvent);

        Assert.False(bucketFile.Public);
        Assert.True(accessPointFile.Public);
        Assert.Contains(accessPointFile.Exposure!.Notes, n => n.Contains("judged as an access point policy", StringComparison.Ordinal));
        Assert.True(fromEvent.Public);
        Assert.Contains(fromEvent.Notes, n => n.Contains("its policy is judged as an access point policy", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData($"arn:aws:s3:eu-west-1:{Account}:accesspoint/reports-ap", PolicyKind.AccessPoint)]
    [InlineData($"arn:aws:s3:eu-west-1:{Account}:accesspoint/reports-ap/object/*", PolicyKind.AccessPoint)]
    [InlineData($"arn:aws:s3::{Account}:accesspoint/mfzwi23gnjvgw.mrap/object/*", PolicyKind.MultiRegionAccessPoint)]
    [InlineData("arn:aws:s3:::reports/*", PolicyKind.Bucket)]
    [InlineData("arn:aws-cn:s3:::reports", PolicyKind.Bucket)]
    public void A_policys_kind_is_read_from_its_resource_arns(string resource, PolicyKind kind)
    {
        using var document = JsonDocument.Parse($$"""{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["{{resource}}"]}]}""");

        Assert.Equal(kind, PolicyKinds.Infer(document.RootElement));
    }

    // ----- event keys read one way -----

    private static string PutObject(string parameters, string? errorCode = null) => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"{{Account}}","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"PutObject","eventCategory":"Data","eventTime":"2026-11-21T09:30:12Z","eventID":"e-1",
           {{(errorCode is null ? string.Empty : $"\"errorCode\":\"{errorCode}\",")}}
           "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::{{Account}}:user/lab-uploader"},
           "requestParameters":{"bucketName":"reports","key":"results/patient-0042.pdf",{{parameters}} } } }
        """;

    /// <summary>Real PutObject records carry requestParameters.accessControlList with a lower-case first letter.</summary>
    [Theory]
    [InlineData(""" "accessControlList":{"x-amz-grant-read":"uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""} """)]
    [InlineData(""" "accesscontrollist":{"X-Amz-Grant-Read":"uri=http://acs.amazonaws.com/groups/global/AllUsers"} """)]
    [InlineData(""" "accessControlList":{"x-amz-acl":"public-read"} """)]
    [InlineData(""" "X-Amz-Acl":"public-read" """)]
    [InlineData(""" "x_amz_acl":"public-read" """)]
    [InlineData(""" "accessControlPolicy":{"AccessControlList":{"Grant":{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}}} """)]
    public async Task An_upload_acl_is_found_whatever_the_case_of_its_keys_and_the_function_locks_on_it(string parameters)
    {
        var change = CloudTrailEventParser.Parse(PutObject(parameters)).Value!;
        var fake = new FakeAws(new BucketState("reports", true, CannedAcl.Expand("private").Value, null, null, null, null, [], null, []));
        fake.Objects["results/patient-0042.pdf"] = CannedAcl.Expand("public-read").Value;

        var handled = await new RemediationPipeline(fake.Ports, fake, RemediationPolicy.Default, new Clock()).HandleAsync(PutObject(parameters), default);

        Assert.True(change.AclInRequest);
        Assert.True(AclEvaluator.EvaluateObject(change.RequestedAcl!, change.ObjectName!).IsPublic);
        Assert.Null(Remediation.Triage(change, RemediationPolicy.Default));
        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal(1, fake.ObjectReads);
        Assert.True(Checker.Check("e.json", PutObject(parameters)).Public);
    }

    [Fact]
    public void An_acl_that_is_present_but_unreadable_is_still_an_acl_in_the_request_so_the_object_is_re_read()
    {
        var change = CloudTrailEventParser.Parse(PutObject(""" "accessControlList":{"AccessControlPolicy":"garbage"}, "AccessControlPolicy":"not an object" """)).Value!;

        Assert.True(change.AclInRequest);
        Assert.NotNull(change.RequestProblem);
        Assert.Null(Remediation.Triage(change, RemediationPolicy.Default));
    }

    // ----- explanations by AWS's tables -----

    [Theory]
    [InlineData("READ", AclTarget.Object, AccessLevel.Read, "read the object's data and metadata")]
    [InlineData("READ_ACP", AclTarget.Object, AccessLevel.Read, "read the object's ACL")]
    [InlineData("READ_ACP", AclTarget.Bucket, AccessLevel.Read, "read the bucket's ACL")]
    [InlineData("WRITE", AclTarget.Object, AccessLevel.None, "WRITE is not applicable to an object")]
    [InlineData("WRITE", AclTarget.Bucket, AccessLevel.Write, "create, overwrite and delete")]
    [InlineData("WRITE_ACP", AclTarget.Object, AccessLevel.PermissionsManagement, "change the object's ACL")]
    [InlineData("FULL_CONTROL", AclTarget.Object, AccessLevel.Read | AccessLevel.PermissionsManagement, "READ, READ_ACP and WRITE_ACP on the object")]
    [InlineData("FULL_CONTROL", AclTarget.Bucket, AccessLevel.List | AccessLevel.Read | AccessLevel.Write | AccessLevel.PermissionsManagement, "READ, WRITE, READ_ACP and WRITE_ACP on the bucket")]
    public void Acl_permissions_mean_what_awss_permission_table_says_for_buckets_and_objects(string permission, AclTarget target, AccessLevel level, string words)
    {
        var acl = new AccessControlList(null, [new Grant(new Grantee(GranteeType.Group, null, AllUsers, null, null), permission)]);

        var finding = Assert.Single(AclEvaluator.Evaluate(acl, target).Findings);

        Assert.Equal(level, finding.Access);
        Assert.Contains(words, finding.Reason, StringComparison.Ordinal);
        Assert.Contains("Access control list (ACL) overview", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_says_an_object_is_exposed_only_when_its_requested_acl_is_public_and_the_call_succeeded()
    {
        var exposed = Checker.Check("public.json", PutObject(""" "x-amz-acl":"public-read" """));
        var notPublic = Checker.Check("private.json", PutObject(""" "x-amz-acl":"bucket-owner-full-control" """));
        var refused = Checker.Check("refused.json", PutObject(""" "x-amz-acl":"public-read" """, errorCode: "AccessDenied"));
        var noAcl = Checker.Check("none.json", PutObject(""" "x-amz-server-side-encryption":"AES256" """));

        Assert.Contains(exposed.Notes, n => n.Contains("it exposes object results/patient-0042.pdf", StringComparison.Ordinal));
        Assert.DoesNotContain(notPublic.Notes, n => n.Contains("exposes", StringComparison.Ordinal));
        Assert.Contains(notPublic.Notes, n => n.Contains("not public for object results/patient-0042.pdf", StringComparison.Ordinal));
        Assert.DoesNotContain(refused.Notes, n => n.Contains("exposes", StringComparison.Ordinal));
        Assert.Contains(refused.Notes, n => n.Contains("S3 refused", StringComparison.Ordinal));
        Assert.DoesNotContain(noAcl.Notes, n => n.Contains("bucket's default", StringComparison.Ordinal));
        Assert.Contains(noAcl.Notes, n => n.Contains("its owner has FULL_CONTROL and nobody else has anything", StringComparison.Ordinal));
    }

    private static string ControlEvent(string eventName, string parameters) => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"{{Account}}","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventTime":"2026-11-21T09:30:12Z","eventID":"e-ap",
           "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::{{Account}}:user/ann"},
           "requestParameters":{{parameters}} } }
        """;

    [Fact]
    public void Check_says_that_an_access_point_created_without_block_public_access_gets_all_four_flags()
    {
        var result = Checker.Check("e.json", ControlEvent("CreateAccessPoint", $$"""{"name":"reports-ap","x-amz-account-id":"{{Account}}","CreateAccessPointRequest":{"Bucket":"reports"} }"""));

        Assert.Contains(result.Notes, n => n.Contains("no Block Public Access configuration, so S3 turns all four flags on", StringComparison.Ordinal));
    }

    [Fact]
    public void A_multi_region_access_point_note_and_verdict_name_the_flags_left_off_as_well_as_those_on()
    {
        var json = ControlEvent("CreateMultiRegionAccessPoint",
            $$"""{"x-amz-account-id":"{{Account}}","CreateMultiRegionAccessPointRequest":{"ClientToken":"t","Details":{"Name":"global-ap","PublicAccessBlock":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false} } } }""");

        var result = Checker.Check("e.json", json);
        var verdict = Remediation.Triage(CloudTrailEventParser.Parse(json).Value!, RemediationPolicy.Default)!;

        const string each = "BlockPublicAcls on, IgnorePublicAcls on, BlockPublicPolicy off, RestrictPublicBuckets off";
        Assert.Contains(result.Notes, n => n.Contains(each, StringComparison.Ordinal));
        Assert.Contains(each, verdict.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_of_deny_statements_only_is_not_public_because_it_grants_nothing_and_says_so()
    {
        var result = Checker.Check("deny.json", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::reports/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}""");

        Assert.False(result.Public);
        Assert.Contains(result.Exposure!.Notes, n => n.Contains("grants nothing: every statement is a Deny", StringComparison.Ordinal));
    }

    public static TheoryData<string> EveryEvent =>
    [
        .. Corpus.Files("event-").Select(f => Path.Combine(Corpus.Folder, f)),
        .. Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "events"), "*.json").Order(StringComparer.Ordinal),
    ];

    /// <summary>Triage and `check` read one parsed change: an event whose request `check` finds public is never skipped
    /// by the function before it reads the bucket, and one the function skips for carrying no ACL is one `check` finds
    /// carries none.</summary>
    [Theory]
    [MemberData(nameof(EveryEvent))]
    public void Triage_never_skips_an_event_whose_request_check_finds_public(string path)
    {
        var json = File.ReadAllText(path);
        var change = CloudTrailEventParser.Parse(json).Value!;
        var result = Checker.Check(path, json);

        var triage = Remediation.Triage(change, RemediationPolicy.Default);

        if (result.Public == true && !change.Failed && change.Kind != ChangeKind.NotBucketChange)
        {
            Assert.False(triage is { Outcome: Outcome.Skipped }, $"{Path.GetFileName(path)}: check says public, triage skipped it: {triage?.Why}");
        }

        if (change.IsObjectLevel && !change.AclInRequest)
        {
            Assert.NotEqual(true, result.Public);
        }
    }
}
