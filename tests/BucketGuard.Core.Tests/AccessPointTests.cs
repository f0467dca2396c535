using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Check;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Tests;

/// <summary>Issue 18: buckets public through an access point policy rather than their own ACL or policy.</summary>
public class AccessPointTests
{
    private const string Account = "111122223333";

    private static readonly string PublicPolicy = $$"""{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:eu-west-1:{{Account}}:accesspoint/reports-ap/object/*"}]}""";

    private static readonly string WritePolicy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:eu-west-1:{{Account}}:accesspoint/reports-ap/object/*"}]}""";

    private static readonly PublicAccessBlock PolicyFlags = new(false, false, true, true);

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 11, 21, 9, 30, 15, TimeSpan.Zero);
    }

    private static AccessPoint Point(string? policy = null, string origin = "Internet", PublicAccessBlock? block = null, bool? s3Public = null) =>
        new("reports-ap", $"arn:aws:s3:eu-west-1:{Account}:accesspoint/reports-ap", "reports-ap-abc123-s3alias", origin, origin == "VPC" ? "vpc-0a1b2c" : null, block ?? PublicAccessBlock.None, policy ?? PublicPolicy, s3Public);

    private static BucketState Bucket(AccessPoint point, PublicAccessBlock? bucketBlock = null, PublicAccessBlock? accountBlock = null, params Tag[] tags) =>
        new BucketState("reports", true, CannedAcl.Expand("private").Value, null, bucketBlock, accountBlock, "BucketOwnerEnforced", [.. tags], null, []) { AccessPoints = [point] };

    private static string ControlEvent(string eventName, string parameters) => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"{{Account}}","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventTime":"2026-11-21T09:30:12Z","eventID":"e-ap",
           "sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2",
           "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::{{Account}}:assumed-role/DataEngineer/ann","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::{{Account}}:role/DataEngineer"} } },
           "requestParameters":{{parameters}} } }
        """;

    private static string PutPolicyEvent(string policy) => ControlEvent("PutAccessPointPolicy",
        $$"""{"name":"reports-ap","Host":"{{Account}}.s3-control.eu-west-1.amazonaws.com","x-amz-account-id":"{{Account}}","PutAccessPointPolicyRequest":{"Policy":{{JsonSerializer.Serialize(policy)}},"xmlns":"http://awss3control.amazonaws.com/doc/2018-08-20/"} }""");

    private static RemediationPipeline Pipeline(FakeAws fake, RemediationPolicy? policy = null) =>
        new(fake.Ports, fake, policy ?? RemediationPolicy.Default with { TrustS3PolicyStatus = false }, new Clock());

    [Fact]
    public async Task An_access_point_named_only_by_name_is_found_through_the_resolver_the_pipeline_is_given_and_without_one_is_incomplete()
    {
        var fake = new FakeAws(Bucket(Point()));
        fake.AccessPointBuckets["reports-ap"] = "reports";

        var resolved = await Pipeline(fake).HandleAsync(PutPolicyEvent(PublicPolicy), default);
        var unresolvable = await new RemediationPipeline(fake.Ports with { AccessPoints = null }, fake, RemediationPolicy.Default, new Clock())
            .HandleAsync(PutPolicyEvent(PublicPolicy), default);

        Assert.Equal(("reports", Outcome.Block), (resolved.Change!.Bucket, resolved.Verdict.Outcome));
        Assert.Equal(Outcome.Incomplete, unresolvable.Verdict.Outcome);
        Assert.Contains("cannot read access points", unresolvable.Verdict.Why, StringComparison.Ordinal);
        Assert.Null(unresolvable.Result);
    }

    [Fact]
    public void Every_access_point_event_shape_is_read_into_the_change_model()
    {
        var created = CloudTrailEventParser.Parse(ControlEvent("CreateAccessPoint",
            $$"""{"name":"reports-ap","x-amz-account-id":"{{Account}}","CreateAccessPointRequest":{"Bucket":"reports","PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false} } }""")).Value!;
        var vpc = CloudTrailEventParser.Parse(ControlEvent("CreateAccessPoint",
            """{"name":"internal-ap","Host":"111122223333.s3-control.eu-west-1.amazonaws.com","CreateAccessPointRequest":{"Bucket":"reports","VpcConfiguration":{"VpcId":"vpc-0a1b2c"} } }""")).Value!;
        var put = CloudTrailEventParser.Parse(PutPolicyEvent(PublicPolicy)).Value!;
        var putObject = CloudTrailEventParser.Parse(ControlEvent("PutAccessPointPolicy", $$"""{"name":"reports-ap","x-amz-account-id":"{{Account}}","PutAccessPointPolicyRequest":{"Policy":{{PublicPolicy}} } }""")).Value!;
        var deleted = CloudTrailEventParser.Parse(ControlEvent("DeleteAccessPointPolicy", $$"""{"name":"reports-ap","x-amz-account-id":"{{Account}}"}""")).Value!;
        var mrap = CloudTrailEventParser.Parse(ControlEvent("PutMultiRegionAccessPointPolicy",
            $$"""{"x-amz-account-id":"{{Account}}","PutMultiRegionAccessPointPolicyRequest":{"ClientToken":"t","Details":{"Name":"global-ap","Policy":{{JsonSerializer.Serialize(PublicPolicy)}} } } }""")).Value!;
        var mrapCreated = CloudTrailEventParser.Parse(ControlEvent("CreateMultiRegionAccessPoint",
            $$"""{"x-amz-account-id":"{{Account}}","CreateMultiRegionAccessPointRequest":{"ClientToken":"t","Details":{"Name":"global-ap","PublicAccessBlock":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false},"Regions":{"Region":[{"Bucket":"reports"}]} } } }""")).Value!;

        Assert.Equal((ChangeKind.AccessPointCreated, "reports-ap", "reports", Account, (string?)null), (created.Kind, created.AccessPointName, created.Bucket, created.Account, created.AccessPointVpc));
        Assert.Equal(PublicAccessBlock.None, created.RequestedPublicAccessBlock);
        Assert.Equal(("internal-ap", "vpc-0a1b2c", Account), (vpc.AccessPointName, vpc.AccessPointVpc, vpc.Account));
        Assert.Equal((ChangeKind.AccessPointPolicyChanged, "reports-ap", (string?)null), (put.Kind, put.AccessPointName, put.Bucket));
        Assert.True(JsonDocument.Parse(put.RequestedPolicy!).RootElement.GetProperty("Statement")[0].GetProperty("Principal").GetString() == "*");
        Assert.NotNull(putObject.RequestedPolicy);
        Assert.Equal((ChangeKind.AccessPointPolicyDeleted, "reports-ap"), (deleted.Kind, deleted.AccessPointName));
        Assert.Equal((ChangeKind.MultiRegionAccessPointPolicyChanged, "global-ap"), (mrap.Kind, mrap.AccessPointName));
        Assert.NotNull(mrap.RequestedPolicy);
        Assert.Equal((ChangeKind.MultiRegionAccessPointCreated, "global-ap", true, false), (mrapCreated.Kind, mrapCreated.AccessPointName, mrapCreated.RequestedPublicAccessBlock!.BlockPublicAcls, mrapCreated.RequestedPublicAccessBlock.RestrictPublicBuckets));
    }

    [Fact]
    public async Task An_internet_access_point_with_a_public_policy_and_no_block_locks_the_bucket_with_the_policy_flags_and_is_named()
    {
        var fake = new FakeAws(Bucket(Point()));
        fake.AccessPointBuckets["reports-ap"] = "reports";

        var handled = await Pipeline(fake).HandleAsync(PutPolicyEvent(PublicPolicy), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Equal(PolicyFlags, Assert.Single(fake.Applied));
        Assert.Contains("access point reports-ap is public (read) through its policy", handled.Verdict.Why, StringComparison.Ordinal);
        var finding = Assert.Single(handled.Verdict.Exposure!.Findings);
        Assert.Equal(("statement 1 (Sid \"Anyone\") of access point reports-ap", FindingSource.AccessPointPolicyStatement), (finding.Location, finding.Source));
        var sent = Assert.Single(fake.Sent);
        Assert.Contains($"reports-ap (arn:aws:s3:eu-west-1:{Account}:accesspoint/reports-ap, reports-ap-abc123-s3alias): network origin Internet, public through its policy", sent.Text, StringComparison.Ordinal);
        Assert.Contains("URL: https://reports-ap-abc123-s3alias.s3.eu-west-1.amazonaws.com/", sent.Text, StringComparison.Ordinal);
        Assert.Equal("reports", sent.Attributes["bucket"]);
    }

    [Theory]
    [InlineData("access point", "RestrictPublicBuckets (access point)")]
    [InlineData("bucket", "RestrictPublicBuckets (bucket)")]
    [InlineData("account", "RestrictPublicBuckets (account)")]
    public void A_public_access_point_policy_is_stopped_by_restrict_public_buckets_on_the_access_point_the_bucket_or_the_account(string where, string stoppedBy)
    {
        var restrict = new PublicAccessBlock(false, false, false, true);
        var state = where switch
        {
            "access point" => Bucket(Point(block: restrict)),
            "bucket" => Bucket(Point(), bucketBlock: restrict),
            _ => Bucket(Point(), accountBlock: restrict),
        };

        var exposure = Remediation.Evaluate(state, out _);

        Assert.False(exposure.IsPublicInEffect);
        Assert.Equal(stoppedBy, Assert.Single(exposure.Findings).NeutralisedBy);
    }

    [Fact]
    public async Task A_vpc_origin_access_point_with_the_same_policy_is_not_public()
    {
        var fake = new FakeAws(Bucket(Point(origin: "VPC")));
        fake.AccessPointBuckets["reports-ap"] = "reports";

        var handled = await Pipeline(fake).HandleAsync(PutPolicyEvent(PublicPolicy), default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.Contains("VPC network origin: only vpc-0a1b2c can reach it", Assert.Single(handled.Verdict.Exposure!.Notes), StringComparison.Ordinal);
        Assert.Empty(fake.Applied);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task A_bucket_exemption_covers_an_access_point_only_within_its_scope()
    {
        Tag[] exemption = [new("bucketguard:exempt-until", "2026-12-15"), new("bucketguard:exempt-reason", "open data"), new("bucketguard:exempt-scope", "read")];
        var readable = new FakeAws(Bucket(Point(), tags: exemption));
        var writable = new FakeAws(Bucket(Point(WritePolicy), tags: exemption));
        readable.AccessPointBuckets["reports-ap"] = writable.AccessPointBuckets["reports-ap"] = "reports";

        var read = await Pipeline(readable).HandleAsync(PutPolicyEvent(PublicPolicy), default);
        var write = await Pipeline(writable).HandleAsync(PutPolicyEvent(WritePolicy), default);

        Assert.Equal(Outcome.Exempted, read.Verdict.Outcome);
        Assert.Empty(readable.Applied);
        Assert.Equal(Outcome.Block, write.Verdict.Outcome);
        Assert.Equal(PolicyFlags, Assert.Single(writable.Applied));
    }

    [Fact]
    public async Task A_policy_put_on_an_access_point_that_no_longer_exists_exposes_nothing_and_reads_no_bucket()
    {
        var fake = new FakeAws(Bucket(Point()));

        var handled = await Pipeline(fake).HandleAsync(PutPolicyEvent(PublicPolicy), default);

        Assert.Equal(Outcome.NothingToDo, handled.Verdict.Outcome);
        Assert.Contains("access point reports-ap no longer exists", handled.Verdict.Why, StringComparison.Ordinal);
        Assert.Equal(0, fake.Reads);
    }

    [Fact]
    public async Task S3s_own_verdict_that_an_access_point_policy_is_public_is_trusted_where_the_evaluator_finds_nothing()
    {
        var opaque = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"*"}]}""";
        var fake = new FakeAws(Bucket(Point(opaque, s3Public: true)));
        fake.AccessPointBuckets["reports-ap"] = "reports";

        var handled = await Pipeline(fake, RemediationPolicy.Default).HandleAsync(PutPolicyEvent(opaque), default);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Contains("GetAccessPointPolicyStatus", handled.Verdict.Disagreement, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multi_region_access_point_is_judged_on_its_event_and_a_public_policy_is_reported_not_locked()
    {
        var fake = new FakeAws(Bucket(Point()));
        var publicPolicy = ControlEvent("PutMultiRegionAccessPointPolicy",
            $$"""{"x-amz-account-id":"{{Account}}","PutMultiRegionAccessPointPolicyRequest":{"Details":{"Name":"global-ap","Policy":{{JsonSerializer.Serialize(PublicPolicy)}} } } }""");
        var privatePolicy = publicPolicy.Replace("\\u0022Principal\\u0022:\\u0022*\\u0022", "\\u0022Principal\\u0022:{\\u0022AWS\\u0022:\\u0022arn:aws:iam::111122223333:root\\u0022}", StringComparison.Ordinal);

        var reported = await Pipeline(fake).HandleAsync(publicPolicy, default);
        var skipped = await Pipeline(fake).HandleAsync(privatePolicy, default);

        Assert.Equal((Outcome.Incomplete, Severity.High), (reported.Verdict.Outcome, reported.Verdict.Severity));
        Assert.Contains("multi-region access point global-ap a public policy", reported.Verdict.Why, StringComparison.Ordinal);
        Assert.Equal("evaluation-incomplete", Assert.Single(fake.Sent).Attributes["event"]);
        Assert.Equal(Outcome.Skipped, skipped.Verdict.Outcome);
        Assert.Equal(0, fake.Reads);
        Assert.Empty(fake.Applied);
    }

    [Fact]
    public void Check_explains_an_access_point_policy_and_an_access_point_event()
    {
        var policyFile = Path.Combine(Path.GetTempPath(), $"ap-policy-{Guid.NewGuid():n}.json");
        var eventFile = Path.Combine(Path.GetTempPath(), $"ap-event-{Guid.NewGuid():n}.json");
        File.WriteAllText(policyFile, PublicPolicy);
        File.WriteAllText(eventFile, PutPolicyEvent(PublicPolicy));
        try
        {
            var policy = Checker.Check(policyFile, File.ReadAllText(policyFile));
            var @event = Checker.Check(eventFile, File.ReadAllText(eventFile));

            Assert.True(policy.Public);
            Assert.True(@event.Public);
            Assert.Contains(@event.Notes, n => n.Contains("access point reports-ap", StringComparison.Ordinal) && n.Contains("RestrictPublicBuckets", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(policyFile);
            File.Delete(eventFile);
        }
    }
}
