using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Tests.Evidence;

/// <summary>The exposure window replayed from scripted sequences of real CloudTrail record shapes (bare records, as
/// LookupEvents' CloudTrailEvent and a trail's files carry them), each parsed by the product's own parser: the start,
/// the end and the causing event must be exactly the script's.</summary>
public class ExposureWindowTests
{
    private const string Bucket = "lab-results";
    private const string Key = "results/2026/patient-0042.pdf";
    private const string BucketGuardRole = "arn:aws:sts::111122223333:assumed-role/bucketguard-EventFunctionsRole/bg";
    private const string BucketGuardRoleArn = "arn:aws:iam::111122223333:role/bucketguard-EventFunctionsRole";
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset HistoryStart = T0.AddDays(-90);

    private const string PublicPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::lab-results/*"}]}""";
    private const string OrgPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::lab-results/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}}]}""";
    private const string BrokenPolicy = """{"Version":"2012-10-17","Statement":"everything"}""";

    /// <summary>One scripted call: its eventName, requestParameters (besides bucketName), and who made it.</summary>
    public sealed record Step(string EventName, string Parameters = "", string? Error = null, string Actor = "arn:aws:iam::111122223333:user/dev", bool Account = false, int Minutes = 0);

    private static Step Create() => new("CreateBucket", """ "CreateBucketConfiguration":{"LocationConstraint":"eu-west-1"} """);

    private static Step Acl(string canned) => new("PutBucketAcl", $$""" "acl":"","x-amz-acl":"{{canned}}" """);

    private static Step Policy(string policy) => new("PutBucketPolicy", $$""" "policy":"","bucketPolicy":{{policy}} """);

    private static Step DeletePolicy() => new("DeleteBucketPolicy", """ "policy":"" """);

    private static Step Block(string flags, string actor = "arn:aws:iam::111122223333:user/dev") => new("PutBucketPublicAccessBlock", Flags(flags), Actor: actor);

    private static Step Lock() => Block("1111", BucketGuardRole);

    private static Step Unblock() => new("DeleteBucketPublicAccessBlock", """ "publicAccessBlock":"" """);

    private static Step Ownership(string value) => new("PutBucketOwnershipControls", $$""" "ownershipControls":"","OwnershipControls":{"Rule":{"ObjectOwnership":"{{value}}"} } """);

    private static Step AccountBlock(string flags) => new("PutAccountPublicAccessBlock", Flags(flags), Account: true);

    private static Step DeleteAccountBlock() => new("DeleteAccountPublicAccessBlock", string.Empty, Account: true);

    private static Step Tag() => new("PutBucketTagging", """ "tagging":"","Tagging":{"TagSet":{"Tag":{"Key":"bucketguard:exempt","Value":"public-website"}}} """);

    private static Step Put(string key, string canned) => new("PutObject", $$""" "key":"{{key}}","x-amz-acl":"{{canned}}" """);

    private static Step ObjectAcl(string key, string canned) => new("PutObjectAcl", $$""" "key":"{{key}}","acl":"","x-amz-acl":"{{canned}}" """);

    private static string Flags(string bits) =>
        $$""" "publicAccessBlock":"","PublicAccessBlockConfiguration":{"BlockPublicAcls":{{Bit(bits, 0)}},"IgnorePublicAcls":{{Bit(bits, 1)}},"BlockPublicPolicy":{{Bit(bits, 2)}},"RestrictPublicBuckets":{{Bit(bits, 3)}} } """;

    private static string Bit(string bits, int i) => bits[i] == '1' ? "true" : "false";

    /// <summary>Step i (1-based) happens i minutes after T0 (plus its own offset).</summary>
    private static BucketChange Record(Step step, int i)
    {
        var time = T0.AddMinutes(i + step.Minutes);
        var parameters = step.Account
            ? (step.Parameters.Length == 0 ? """{"host":["111122223333.s3-control.eu-west-1.amazonaws.com"]}""" : $$"""{"host":["111122223333.s3-control.eu-west-1.amazonaws.com"],{{step.Parameters}} }""")
            : $$"""{"bucketName":"{{Bucket}}","Host":"{{Bucket}}.s3.eu-west-1.amazonaws.com"{{(step.Parameters.Length == 0 ? string.Empty : "," + step.Parameters)}} }""";
        var json = $$"""
            {"eventVersion":"1.09","userIdentity":{{Identity(step.Actor)}},
             "eventTime":"{{time:yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"s3.amazonaws.com","eventName":"{{step.EventName}}","awsRegion":"eu-west-1",
             "sourceIPAddress":"198.51.100.{{i}}","userAgent":"aws-cli/2","requestParameters":{{parameters}},
             {{(step.Error is null ? string.Empty : $"\"errorCode\":\"{step.Error}\",")}}"eventID":"ev-{{i}}","recipientAccountId":"111122223333","eventCategory":"Management"}
            """;
        var parsed = CloudTrailEventParser.Parse(json);
        Assert.True(parsed.Ok, parsed.Error);
        return parsed.Value!;
    }

    private static string Identity(string actor) => actor == BucketGuardRole
        ? $$"""{"type":"AssumedRole","arn":"{{actor}}","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"{{BucketGuardRoleArn}}","accountId":"111122223333"} } }"""
        : $$"""{"type":"IAMUser","arn":"{{actor}}","accountId":"111122223333"}""";

    /// <summary>What the decision read just before its lock, for settings no event touched.</summary>
    private static BucketState Read(string? ownership = null, string? policy = null) =>
        new(Bucket, true, CannedAcl.Expand("private").Value, policy, null, null, ownership, [], null, [])
        {
            Object = new ObjectState(Key, null, Key, true, CannedAcl.Expand("private").Value),
        };

    public static TheoryData<string, Step[], int?, bool, int?, string?> Scripts => new()
    {
        // name, steps, start step (0: the history's start; null: never public), start is a lower bound, end step (null: still public), object key
        { "an ACL made public after a known private one, locked", [Acl("private"), Acl("public-read"), Lock()], 2, false, 3, null },
        { "an ACL made public with nothing before it in the history", [Acl("public-read"), Lock()], 1, true, 2, null },
        { "a new bucket opened step by step, then an ACL", [Create(), Unblock(), Ownership("ObjectWriter"), Acl("public-read"), Lock()], 4, false, 5, null },
        { "a new bucket given a public policy", [Create(), Unblock(), Policy(PublicPolicy), Lock()], 3, false, 4, null },
        { "a public policy deleted by its owner", [Create(), Unblock(), Policy(PublicPolicy), DeletePolicy()], 3, false, 4, null },
        { "a public policy stopped by the owner's policy flags", [Create(), Unblock(), Policy(PublicPolicy), Block("0011")], 3, false, 4, null },
        { "a public policy the ACL flags do not stop, still public", [Create(), Unblock(), Policy(PublicPolicy), Block("1100")], 3, false, null, null },
        { "a public ACL disabled by BucketOwnerEnforced", [Create(), Unblock(), Ownership("ObjectWriter"), Acl("public-read"), Ownership("BucketOwnerEnforced")], 4, false, 5, null },
        { "a public ACL ignored by IgnorePublicAcls", [Create(), Unblock(), Ownership("ObjectWriter"), Acl("public-read"), Block("0100")], 4, false, 5, null },
        { "a public policy whose call failed never exposed it", [Create(), Unblock(), Policy(PublicPolicy) with { Error = "AccessDenied" }, Lock()], null, false, null, null },
        { "tagging an exemption changes nothing", [Create(), Unblock(), Policy(PublicPolicy), Tag(), Lock()], 3, false, 5, null },
        { "the account's block lifted under a public policy", [AccountBlock("1111"), Create(), Unblock(), Policy(PublicPolicy), DeleteAccountBlock(), Lock()], 5, false, 6, null },
        { "the account's block ends it", [DeleteAccountBlock(), Create(), Unblock(), Policy(PublicPolicy), AccountBlock("0011"), DeletePolicy()], 4, false, 5, null },
        { "while the account's block was unknown nothing is called public for certain", [Create(), Unblock(), Policy(PublicPolicy), AccountBlock("0011"), DeletePolicy()], null, false, null, null },
        { "an object ACL made public after a private upload", [Put(Key, "private"), ObjectAcl(Key, "public-read"), Lock()], 2, false, 3, Key },
        { "an object uploaded public with nothing before it", [Put(Key, "public-read"), Lock()], 1, true, 2, Key },
        { "an object uploaded public into a new bucket", [Create(), Unblock(), Ownership("ObjectWriter"), Put(Key, "public-read"), Lock()], 4, false, 5, Key },
        { "an object ACL disabled by BucketOwnerEnforced", [Create(), Unblock(), Ownership("ObjectWriter"), Put(Key, "public-read"), Ownership("BucketOwnerEnforced")], 4, false, 5, Key },
        { "another object's public upload does not expose this one", [Create(), Unblock(), Ownership("ObjectWriter"), Put("other.pdf", "public-read"), Put(Key, "private"), Lock()], null, false, null, Key },
        { "of two exposures the last is the window", [Acl("private"), Acl("public-read"), Acl("private"), Acl("public-read-write"), Lock()], 4, false, 5, null },
        { "a policy then an ACL keep it public until the lock", [Create(), Unblock(), Ownership("ObjectWriter"), Policy(PublicPolicy), Acl("public-read"), DeletePolicy(), Lock()], 4, false, 7, null },
        { "a block turned off again starts a new window", [Create(), Unblock(), Policy(PublicPolicy), Block("1111"), Unblock(), Lock()], 5, false, 6, null },
        { "a policy BucketGuard cannot read is never called public or private", [Create(), Unblock(), Policy(BrokenPolicy), Lock()], null, false, null, null },
        { "still public without a lock (mode notify)", [Acl("private"), Acl("public-read")], 2, false, null, null },
        { "AuthenticatedUsers counts as public", [Acl("private"), Acl("authenticated-read"), Lock()], 2, false, 3, null },
        { "a policy limited to the organisation is not public, the one after it is", [Create(), Unblock(), Policy(OrgPolicy), Policy(PublicPolicy), Lock()], 4, false, 5, null },
        { "re-exposed after the lock", [Acl("private"), Acl("public-read"), Lock(), Unblock()], 4, false, null, null },
        { "a bucket public as read, with no event before the lock, is public since the history's start", [Lock()], 0, true, 1, "policy" },
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_window_start_end_and_cause_are_exactly_the_scripts(string name, Step[] steps, int? start, bool lowerBound, int? end, string? objectKey)
    {
        var changes = steps.Select((s, i) => Record(s, i + 1)).ToList();
        var readAt = T0.AddMinutes(steps.Length - 0.5);
        var read = objectKey == "policy" ? Read(policy: PublicPolicy) : Read();
        var key = objectKey == "policy" ? null : objectKey;

        var window = ExposureWindow.Replay(Bucket, key, changes, read, readAt, HistoryStart, T0.AddMinutes(steps.Length + 5));

        Assert.True(start == Index(window.Start, changes) && lowerBound == window.StartIsLowerBound && end == Index(window.End, changes), $"{name}: {window.Explanation}");
        if (start is > 0 and var s)
        {
            Assert.Same(changes[s - 1], window.Cause);
            Assert.Contains($"(event ev-{s})", window.Explanation, StringComparison.Ordinal);
        }

        if (end is { } e)
        {
            Assert.Same(changes[e - 1], window.Ender);
        }
    }

    /// <summary>The step number of a time in the script (0: the history's start), or null.</summary>
    private static int? Index(DateTimeOffset? time, List<BucketChange> changes) =>
        time is null ? null : time == HistoryStart ? 0 : changes.FindIndex(c => c.EventTime == time) + 1;

    [Fact]
    public void The_lower_bound_is_said_and_no_date_before_the_history_is_invented()
    {
        var changes = new[] { Record(Acl("public-read"), 1), Record(Lock(), 2) };

        var window = ExposureWindow.Replay(Bucket, null, changes, Read(), T0.AddMinutes(1.5), HistoryStart, T0.AddMinutes(10));

        Assert.True(window.StartIsLowerBound);
        Assert.Equal(T0.AddMinutes(1), window.Start);
        Assert.Contains("public since at least", window.Explanation, StringComparison.Ordinal);
        Assert.Contains("cannot be told", window.Explanation, StringComparison.Ordinal);
        Assert.Contains(BucketGuardRole, window.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_after_the_lock_the_stretch_before_BucketGuards_own_lock_is_public_and_the_start_a_lower_bound()
    {
        // As `bucketguard exposure` sees it later: the lock is before the read, so the bucket's flags before it are
        // unknown, but BucketGuard locks only what it found public in effect.
        var changes = new[] { Record(Acl("public-read"), 1), Record(Lock(), 2) };
        var policy = RemediationPolicy.Default with { OwnPrincipals = [BucketGuardRoleArn] };
        var readLater = T0.AddMinutes(30);

        var unaware = ExposureWindow.Replay(Bucket, null, changes, Read(), readLater, HistoryStart, T0.AddMinutes(40));
        var aware = ExposureWindow.Replay(Bucket, null, changes, Read(), readLater, HistoryStart, T0.AddMinutes(40), c => Remediation.IsOwnCall(c, policy));

        Assert.Null(unaware.Start);
        Assert.Equal((T0.AddMinutes(1), true, T0.AddMinutes(2)), (aware.Start, aware.StartIsLowerBound, aware.End));
        Assert.Same(changes[1], aware.Ender);
    }

    [Fact]
    public void The_exposure_report_for_a_person_names_the_cause_the_end_and_each_object_read()
    {
        var changes = new[] { Record(Acl("private"), 1), Record(Acl("public-read"), 2), Record(Lock(), 3) };
        var window = ExposureWindow.Replay(Bucket, null, changes, Read(), T0.AddMinutes(2.5), HistoryStart, T0.AddMinutes(10));
        var ledger = new AccessLedger(Bucket, "111122223333", window.Start!.Value, window.End);
        ledger.Add(ServerAccessLog.Parse($"owner {Bucket} [21/Nov/2026:09:02:30 +0000] 203.0.113.7 - R1 REST.GET.OBJECT {Key} \"GET / HTTP/1.1\" 200 - 48213 48213 1 1 \"-\" \"curl/8\" - H1", out _).Value!);

        var text = new ExposureReport(Bucket, window, ledger.Report([new SourceCoverage(RequestSource.AccessLog, true, T0, T0.AddMinutes(10))]), ["event ev-9 (PutBucketPolicy): not JSON"]).Text();

        Assert.StartsWith($"{Bucket}: public from 2026-11-21 09:02:00Z, when arn:aws:iam::111122223333:user/dev called PutBucketAcl from 198.51.100.2 (event ev-2)", text, StringComparison.Ordinal);
        Assert.Contains("until 2026-11-21 09:03:00Z", text, StringComparison.Ordinal);
        Assert.Contains("access: read; 1 read(s), 0 refused, 48213 bytes sent", text, StringComparison.Ordinal);
        Assert.Contains($"  {Key}: 1 read(s), 0 refused, 48213 bytes, 2026-11-21 09:02:30Z to 2026-11-21 09:02:30Z, by anonymous from 203.0.113.7", text, StringComparison.Ordinal);
        Assert.Contains("problem: event ev-9 (PutBucketPolicy): not JSON", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_older_than_the_history_is_not_replayed()
    {
        var old = Record(Acl("private") with { Minutes = -200 * 24 * 60 }, 1);
        var changes = new[] { old, Record(Acl("public-read"), 2), Record(Lock(), 3) };

        var window = ExposureWindow.Replay(Bucket, null, changes, Read(), T0.AddMinutes(2.5), HistoryStart, T0.AddMinutes(10));

        Assert.True(window.StartIsLowerBound);
        Assert.Equal(T0.AddMinutes(2), window.Start);
    }

    [Fact]
    public void Every_step_of_the_replay_is_kept_for_the_report()
    {
        var changes = new[] { Record(Acl("private"), 1), Record(Acl("public-read"), 2), Record(Lock(), 3) };

        var window = ExposureWindow.Replay(Bucket, null, changes, Read(), T0.AddMinutes(2.5), HistoryStart, T0.AddMinutes(10));

        Assert.Equal([WasPublic.Unknown, WasPublic.No, WasPublic.Yes, WasPublic.No], window.Steps.Select(s => s.Public));
        Assert.Equal(JsonSerializer.Serialize(new[] { "PutBucketAcl", "PutBucketAcl", "PutBucketPublicAccessBlock" }), JsonSerializer.Serialize(window.Steps.Skip(1).Select(s => s.Change!.EventName)));
    }

    private static Step DataClass(string? value, int minutes = 0) => value is null
        ? new("DeleteBucketTagging", """ "tagging":"" """, Minutes: minutes)
        : new("PutBucketTagging", $$$""" "tagging":"","Tagging":{"TagSet":{"Tag":[{"Key":"bucketguard:data-class","Value":"{{{value}}}"},{"Key":"team","Value":"lab"}]}} """, Minutes: minutes);

    private static BucketState ReadTagged(string? dataClass) =>
        Read() with { Tags = dataClass is null ? [] : [new Tag("bucketguard:data-class", dataClass)] };

    [Fact]
    public void A_data_class_lowered_shortly_before_the_exposure_counts_as_the_class_it_held_and_says_who_lowered_it()
    {
        // phi from the start, lowered to public a minute before the ACL made it public, then locked.
        var steps = new[] { DataClass("phi"), DataClass("public"), Acl("public-read"), Lock() };
        var changes = steps.Select((s, i) => Record(s, i + 1)).ToList();

        // The window the replay gives for this script: public from the ACL (step 3) to the lock (step 4).
        var held = DataClassInWindow.Of(Bucket, changes, ReadTagged("public"), RemediationPolicy.Default, T0.AddMinutes(3), T0.AddMinutes(4))!;

        Assert.Equal((Core.Decisions.DataClass.Phi, Core.Decisions.DataClass.Public, "ev-2"), (held.Highest, held.LoweredTo, held.LoweredBy!.EventId));
        Assert.Contains("its tag held phi until 2026-11-21 09:02:00Z, when arn:aws:iam::111122223333:user/dev (PutBucketTagging, event ev-2) set it to public", held.Explain(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("removed, the default counts for the time after", null)]
    [InlineData("a tag that names no class is the default", "PHl")]
    public void A_data_class_removed_or_misspelt_before_the_exposure_is_lowered_to_the_default_and_still_counts_as_before(string why, string? value)
    {
        var changes = new[] { DataClass("pci"), DataClass(value), Acl("public-read"), Lock() }.Select((s, i) => Record(s, i + 1)).ToList();

        var held = DataClassInWindow.Of(Bucket, changes, ReadTagged(value), RemediationPolicy.Default, T0.AddMinutes(3), T0.AddMinutes(4))!;

        Assert.True(held is { Highest: Core.Decisions.DataClass.Pci, LoweredTo: Core.Decisions.DataClass.Internal }, why);
    }

    [Fact]
    public void A_class_lowered_longer_ago_than_the_lookback_or_never_changed_does_not_count_and_none_is_invented()
    {
        var old = new[] { DataClass("phi", minutes: -60 * 24 * 40), DataClass("public", minutes: -60 * 24 * 35), Acl("public-read"), Lock() }.Select((s, i) => Record(s, i + 1)).ToList();
        var untouched = new[] { Acl("public-read"), Lock() }.Select((s, i) => Record(s, i + 1)).ToList();

        var longAgo = DataClassInWindow.Of(Bucket, old, ReadTagged("public"), RemediationPolicy.Default, T0.AddMinutes(3), T0.AddMinutes(4))!;
        var never = DataClassInWindow.Of(Bucket, untouched, ReadTagged("pii"), RemediationPolicy.Default, T0.AddMinutes(1), T0.AddMinutes(2))!;

        Assert.Equal((Core.Decisions.DataClass.Public, (BucketChange?)null), (longAgo.Highest, longAgo.LoweredBy));
        Assert.Equal((Core.Decisions.DataClass.Pii, (BucketChange?)null), (never.Highest, never.LoweredBy));
        Assert.Equal("the bucket's data class was pii throughout", never.Explain());
    }

    [Fact]
    public void A_class_raised_after_the_window_ends_is_not_read_back_into_it()
    {
        var changes = new[] { DataClass("internal"), Acl("public-read"), Lock(), DataClass("phi", minutes: 60) }.Select((s, i) => Record(s, i + 1)).ToList();

        var held = DataClassInWindow.Of(Bucket, changes, ReadTagged("phi"), RemediationPolicy.Default, T0.AddMinutes(2), T0.AddMinutes(3))!;

        Assert.Equal((Core.Decisions.DataClass.Internal, (BucketChange?)null), (held.Highest, held.LoweredBy));
    }
}
