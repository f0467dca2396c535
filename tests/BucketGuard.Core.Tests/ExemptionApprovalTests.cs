using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Tests;

/// <summary>Exemptions only the security team can grant: the canonical message a signature binds, and every outcome of
/// the approval check through the pipeline, with an HMAC verifier standing in for KMS (the real KMS client is tested
/// against moto server's KMS in the integration tests).</summary>
public class ExemptionApprovalTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 9, 30, 0, TimeSpan.Zero);
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("the security team's key");
    private static readonly RemediationPolicy Approving = RemediationPolicy.Default with { ExemptionKeyId = "alias/bucketguard-approvals" };

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>HMAC-SHA-256 with a known key, as KMS VerifyMac computes it; counts its calls; can be made to fail.</summary>
    private sealed class HmacVerifier : IExemptionVerifier
    {
        public int Calls { get; private set; }

        public Exception? Fails { get; init; }

        public string? Unverifiable { get; init; }

        public Task<string?> AccountAsync(string? account, CancellationToken cancellationToken) => Task.FromResult<string?>(account ?? "111122223333");

        public Task<SignatureCheck> VerifyAsync(byte[] message, string signature, CancellationToken cancellationToken)
        {
            Calls++;
            if (Fails is not null)
            {
                throw Fails;
            }

            return Task.FromResult(Unverifiable is not null ? new SignatureCheck(false, Unverifiable) : new SignatureCheck(Sign(message) == signature));
        }
    }

    private static string Sign(byte[] message) => Convert.ToBase64String(HMACSHA256.HashData(Key, message));

    private static ImmutableArray<Tag> Tags(string until = "2026-12-31", string scope = "read-list", string reason = "Public website assets", string? signature = null)
    {
        List<Tag> tags = [new("bucketguard:exempt-until", until), new("bucketguard:exempt-scope", scope), new("bucketguard:exempt-reason", reason), new("bucketguard:owner", "web@example.com")];
        if (signature is not null)
        {
            tags.Add(new Tag("bucketguard:exempt-signature", signature));
        }

        return [.. tags];
    }

    private static string Signed(string bucket = "site", string account = "111122223333", string until = "2026-12-31", string scope = "read-list", string reason = "Public website assets") =>
        Sign(Exemption.CanonicalMessage(account, bucket, scope, DateOnly.Parse(until, System.Globalization.CultureInfo.InvariantCulture), reason));

    private static BucketState Bucket(ImmutableArray<Tag> tags) => new("site", true, CannedAcl.Expand("public-read").Value, null, null, null, null, tags, null, []);

    private static string Event(string eventName = "PutBucketAcl", string extra = "\"x-amz-acl\":\"public-read\"") => $$"""
        {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","region":"eu-west-1",
         "detail":{"eventSource":"s3.amazonaws.com","eventName":"{{eventName}}","eventTime":"2026-11-21T09:30:12Z","eventID":"e-9",
           "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/WebTeam/ann"},
           "requestParameters":{"bucketName":"site",{{extra}} } } }
        """;

    private static async Task<(HandledEvent Handled, FakeAws Fake)> HandleAsync(ImmutableArray<Tag> tags, IExemptionVerifier verifier, string? @event = null, RemediationPolicy? policy = null)
    {
        var fake = new FakeAws(Bucket(tags));
        var pipeline = new RemediationPipeline(fake.Ports with { Verifier = verifier }, fake, policy ?? Approving, new FixedClock());
        return (await pipeline.HandleAsync(@event ?? Event(), default), fake);
    }

    [Fact]
    public void The_canonical_message_binds_account_bucket_scope_end_date_and_reason_in_a_fixed_order()
    {
        var message = Encoding.UTF8.GetString(Exemption.CanonicalMessage("111122223333", "site", "read", new DateOnly(2026, 12, 31), "Public website assets"));

        Assert.Equal("bucketguard-exemption-v1\naccount=111122223333\nbucket=site\nscope=read\nuntil=2026-12-31\nreason=Public website assets", message);
    }

    [Fact]
    public void Changing_any_bound_field_changes_the_canonical_message()
    {
        byte[] Message(string account = "111122223333", string bucket = "site", string scope = "read", int day = 31, string reason = "r") =>
            Exemption.CanonicalMessage(account, bucket, scope, new DateOnly(2026, 12, day), reason);
        var original = Message();

        Assert.All([Message(account: "222233334444"), Message(bucket: "site2"), Message(scope: "read-list"), Message(day: 30), Message(reason: "r ")],
            changed => Assert.NotEqual(original, changed));
    }

    [Fact]
    public void Unicode_and_a_reason_of_the_tag_value_maximum_length_are_signed_byte_for_byte_in_utf8()
    {
        var reason = "Téléchargements publics — 公開ダウンロード " + new string('x', 256 - 32);
        var message = Exemption.CanonicalMessage("111122223333", "site", "read", new DateOnly(2026, 12, 31), reason);

        Assert.EndsWith("reason=" + reason, Encoding.UTF8.GetString(message), StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(reason), message.Length - Encoding.UTF8.GetByteCount("bucketguard-exemption-v1\naccount=111122223333\nbucket=site\nscope=read\nuntil=2026-12-31\nreason="));
    }

    [Fact]
    public void Tag_keys_are_matched_ignoring_case_as_before_and_the_signature_tag_too()
    {
        var tags = Tags().Select(t => t with { Key = t.Key.ToUpperInvariant() }).Append(new Tag("BucketGuard:Exempt-Signature", "c2ln")).ToList();

        var exemption = Exemption.From(tags, Approving, DateOnly.FromDateTime(Now.UtcDateTime));

        Assert.True(exemption.IsValid);
        Assert.Equal("c2ln", exemption.Signature);
    }

    [Fact]
    public async Task A_signed_exemption_keeps_the_bucket_public_approved_with_one_verify_call()
    {
        var verifier = new HmacVerifier();

        var (handled, fake) = await HandleAsync(Tags(signature: Signed()), verifier);

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Equal(1, verifier.Calls);
        Assert.Empty(fake.Applied);
        var sent = Assert.Single(fake.Sent);
        Assert.Contains("approved by the security team's signature", sent.Text, StringComparison.Ordinal);
        Assert.Equal("approved", JsonNode.Parse(sent.Document)!["exemption"]!["approval"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> Forgeries => new()
    {
        { "unsigned", string.Empty, "not approved: it has no signature" },
        { "signed for another bucket", "other-bucket", "signature does not match: the tags changed after approval, or it was made for another bucket" },
        { "end date edited after signing", "until", "signature does not match" },
        { "scope edited after signing", "scope", "signature does not match" },
        { "signed for another account", "account", "signature does not match" },
        { "not base64", "garbage", "signature does not match" },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_forged_or_unsigned_exemption_locks_the_bucket_and_says_why(string what, string how, string why)
    {
        var signature = how switch
        {
            "" => null,
            "other-bucket" => Signed(bucket: "other-bucket"),
            "until" => Signed(until: "2026-12-01"),
            "scope" => Signed(scope: "read"),
            "account" => Signed(account: "999988887777"),
            _ => "%%not-base64%%",
        };

        var (handled, fake) = await HandleAsync(Tags(signature: signature), new HmacVerifier());

        Assert.True(handled.Verdict.Outcome == Outcome.Block, what);
        Assert.Equal([PublicAccessBlock.All], fake.Applied);
        Assert.Contains(why, Assert.Single(fake.Sent).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_approval_key_a_well_formed_exemption_is_honoured_and_the_notice_says_it_is_unapproved()
    {
        var verifier = new HmacVerifier();

        var (handled, fake) = await HandleAsync(Tags(), verifier, policy: RemediationPolicy.Default);

        Assert.Equal(Outcome.Exempted, handled.Verdict.Outcome);
        Assert.Equal(0, verifier.Calls);
        Assert.Contains("unapproved: no approval key is configured, so whoever may tag the bucket may exempt it", Assert.Single(fake.Sent).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disabled_or_deleted_key_makes_the_exemption_unverifiable_and_the_notice_says_so()
    {
        var (handled, fake) = await HandleAsync(Tags(signature: Signed()), new HmacVerifier { Unverifiable = "approval key alias/bucketguard-approvals: DisabledException" });

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        Assert.Contains("not approved: the signature cannot be verified (approval key alias/bucketguard-approvals: DisabledException)", Assert.Single(fake.Sent).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_kms_cannot_be_reached_the_event_fails_and_nothing_is_locked_or_exempted()
    {
        var fake = new FakeAws(Bucket(Tags(signature: Signed())));
        var pipeline = new RemediationPipeline(fake.Ports with { Verifier = new HmacVerifier { Fails = new HttpRequestException("kms unreachable") } }, fake, Approving, new FixedClock());

        await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.HandleAsync(Event(), default));

        Assert.Empty(fake.Applied);
        Assert.Empty(fake.Sent);
    }

    [Fact]
    public async Task The_sweep_reports_a_bucket_whose_signature_cannot_be_checked_and_goes_on()
    {
        var fake = new FakeAws(Bucket(Tags(signature: Signed())));
        var sweeper = new Sweeper(new Buckets("site", "site-2"), fake.Ports with { Verifier = new HmacVerifier { Fails = new HttpRequestException("kms unreachable") } }, fake, Approving, new FixedClock());

        var report = await sweeper.RunAsync("111122223333", act: true, concurrency: 1);

        Assert.Equal(2, report.Errors);
        Assert.All(report.Buckets, b => Assert.Contains("kms unreachable", b.Error, StringComparison.Ordinal));
        Assert.Empty(fake.Applied);
    }

    private sealed class Buckets(params string[] names) : IBucketLister
    {
        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var name in names)
            {
                await Task.Yield();
                yield return new BucketRef(name, "eu-west-1");
            }
        }
    }

    [Fact]
    public async Task An_owner_tagging_an_unsigned_exemption_asks_the_security_team_with_the_command_that_approves_it()
    {
        var tagging = Event("PutBucketTagging", """
            "Tagging":{"TagSet":{"Tag":[{"Key":"bucketguard:exempt-until","Value":"2026-12-31"},{"Key":"bucketguard:exempt-scope","Value":"read-list"},{"Key":"bucketguard:exempt-reason","Value":"Public website assets"}]}}
            """);

        var (handled, fake) = await HandleAsync(Tags(), new HmacVerifier(), tagging);

        Assert.Equal(Outcome.Block, handled.Verdict.Outcome);
        var sent = Assert.Single(fake.Sent);
        Assert.Equal("exemption-requested", sent.Attributes["event"]);
        Assert.Equal("BucketGuard: exemption requested for site, awaiting approval", sent.Subject);
        const string Command = "bucketguard exempt 'site' --account '111122223333' --until 2026-12-31 --scope read-list --reason 'Public website assets' --owner 'web@example.com' --sign --apply";
        Assert.Contains(Command, sent.Text, StringComparison.Ordinal);
        Assert.Equal(Command, JsonNode.Parse(sent.Document)!["exemption"]!["approveCommand"]!.GetValue<string>());
        Assert.Contains("asked for an exemption of bucket site (account 111122223333): scope read-list, until 2026-12-31, reason \"Public website assets\"", sent.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_approve_command_quotes_the_owners_text_for_a_posix_shell()
    {
        var exemption = Exemption.From(Tags(reason: "Bob's site; rm -rf /"), RemediationPolicy.Default, new DateOnly(2026, 11, 21));

        var command = Notifications.ApproveCommand("site", "111122223333", exemption);

        Assert.Contains("--reason 'Bob'\\''s site; rm -rf /'", command, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reason_with_control_or_bidi_characters_is_not_a_valid_exemption()
    {
        var exemption = Exemption.From(Tags(reason: "ok\u202Eevil"), RemediationPolicy.Default, new DateOnly(2026, 11, 21));

        Assert.False(exemption.IsValid);
        Assert.Contains("control, bidi or invisible characters", exemption.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_without_a_checked_exemption_never_honours_one_when_an_approval_key_is_configured()
    {
        var change = CloudTrailEventParser.Parse(Event()).Value!;

        var verdict = Remediation.Decide(change, Bucket(Tags(signature: Signed())), Approving, new DateOnly(2026, 11, 21));

        Assert.Equal(Outcome.Block, verdict.Outcome);
        Assert.Contains("its signature was not checked", string.Join(";", verdict.NotExempt), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("alias/bucketguard-approvals", true)]
    [InlineData("1234abcd-12ab-34cd-56ef-1234567890ab", true)]
    [InlineData("bucketguard-approvals", false)]
    public void The_approval_key_setting_takes_a_key_arn_id_or_alias(string value, bool ok) =>
        Assert.Equal(ok, RemediationPolicy.FromEnvironment(n => n == "BUCKETGUARD_EXEMPTION_KEY_ID" ? value : null).Ok);
}
