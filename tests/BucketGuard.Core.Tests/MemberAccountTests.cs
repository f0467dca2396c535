using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Tests;

/// <summary>Organisation roll-out: which identity acts in which account (pure), and the real SDK path through STS
/// AssumeRole to S3 requests signed as the member role, against HTTP fakes of STS and S3.</summary>
public class MemberAccountTests
{
    private const string Home = "111122223333";
    private const string Member = "222233334444";
    private const string Template = "arn:aws:iam::{account}:role/BucketGuardMember";
    private static readonly MemberRole Org = new(Template, Home);

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Without_a_member_role_every_account_is_reached_with_the_functions_own_credentials()
    {
        Assert.Equal(AccountAccess.Own, MemberRole.None.For(Member));
        Assert.Equal(AccountAccess.Own, MemberRole.None.For("not-an-account"));
    }

    [Fact]
    public void With_a_member_role_the_home_account_uses_its_own_credentials_and_others_assume_the_role_there()
    {
        Assert.Equal(AccountAccess.Own, Org.For(Home));
        Assert.Equal(AccountAccess.Own, Org.For(null));
        Assert.Equal("arn:aws:iam::222233334444:role/BucketGuardMember", Org.For(Member).RoleArn);
    }

    [Theory]
    [InlineData("22223333444")]
    [InlineData("2222333344445")]
    [InlineData("22223333444x")]
    [InlineData("*")]
    public void An_account_that_is_not_a_twelve_digit_id_is_refused_with_the_reason(string account)
    {
        var access = Org.For(account);

        Assert.Null(access.RoleArn);
        Assert.Contains("not an AWS account ID", access.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_member_role_is_read_from_the_environment_with_the_home_account()
    {
        var parsed = MemberRole.FromEnvironment(Env(("BUCKETGUARD_MEMBER_ROLE_ARN", "arn:aws-cn:iam::{account}:role/security/BucketGuardMember"), ("BUCKETGUARD_HOME_ACCOUNT", Home)));

        Assert.True(parsed.Ok, parsed.Error);
        Assert.Equal("arn:aws-cn:iam::222233334444:role/security/BucketGuardMember", parsed.Value!.For(Member).RoleArn);
        Assert.Equal(MemberRole.None, MemberRole.FromEnvironment(Env(("BUCKETGUARD_MEMBER_ROLE_ARN", ""))).Value);
    }

    [Theory]
    [InlineData("arn:aws:iam::222233334444:role/BucketGuardMember", Home, "is not a role ARN")]
    [InlineData("arn:aws:iam::{account}:user/BucketGuardMember", Home, "is not a role ARN")]
    [InlineData("arn:aws:iam::{account}:role/", Home, "is not a role ARN")]
    [InlineData("BucketGuardMember", Home, "is not a role ARN")]
    [InlineData(Template, "", "BUCKETGUARD_HOME_ACCOUNT must be")]
    [InlineData(Template, "home", "BUCKETGUARD_HOME_ACCOUNT must be")]
    public void A_member_role_setting_that_cannot_be_understood_stops_the_function_with_the_reason(string template, string home, string error)
    {
        var parsed = RemediationPolicy.FromEnvironment(Env(("BUCKETGUARD_MEMBER_ROLE_ARN", template), ("BUCKETGUARD_HOME_ACCOUNT", home)));

        Assert.False(parsed.Ok);
        Assert.Contains(error, parsed.Error, StringComparison.Ordinal);
    }

    private static string PutBlockBy(string issuerAccount, string eventAccount)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.RepositoryRoot, "events", "putbucketpublicaccessblock-all-off.json")))!;
        json["account"] = eventAccount;
        json["detail"]!["recipientAccountId"] = eventAccount;
        json["detail"]!["userIdentity"] = new JsonObject
        {
            ["type"] = "AssumedRole",
            ["arn"] = $"arn:aws:sts::{issuerAccount}:assumed-role/BucketGuardMember/bucketguard",
            ["accountId"] = issuerAccount,
            ["sessionContext"] = new JsonObject
            {
                ["sessionIssuer"] = new JsonObject { ["type"] = "Role", ["arn"] = $"arn:aws:iam::{issuerAccount}:role/BucketGuardMember", ["accountId"] = issuerAccount },
            },
        };
        return json.ToJsonString();
    }

    [Fact]
    public async Task The_member_roles_own_call_in_its_account_is_skipped_and_the_same_role_name_elsewhere_is_not()
    {
        var aws = new FakeAws(new BucketState("bucketguard-demo-reports", true, null, null, null, null, null, [], null, []));
        var pipeline = aws.Pipeline(RemediationPolicy.Default with { MemberRole = Org });

        var own = await pipeline.HandleAsync(PutBlockBy(Member, Member), CancellationToken.None);
        var other = await pipeline.HandleAsync(PutBlockBy("333344445555", Member), CancellationToken.None);

        Assert.Equal(Outcome.Skipped, own.Verdict.Outcome);
        Assert.Contains("own remediation", own.Verdict.Why, StringComparison.Ordinal);
        Assert.NotEqual(Outcome.Skipped, other.Verdict.Outcome);
        Assert.Equal(1, aws.Reads);
    }

    /// <summary>Answers STS and S3 as AWS does, and records who signed each request.</summary>
    private sealed class FakeAwsHttp : HttpMessageHandler
    {
        public ConcurrentQueue<(string Host, string Method, string Query, string AccessKey, bool SessionToken, string Body)> Requests { get; } = new();

        public HttpStatusCode StsStatus { get; set; } = HttpStatusCode.OK;

        public string StsError { get; set; } = "AccessDenied";

        /// <summary>An error body other than STS's own ErrorResponse (an S3-compatible endpoint answering for STS).</summary>
        public string? StsErrorBody { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var authorization = request.Headers.TryGetValues("Authorization", out var values) ? values.Single() : string.Empty;
            var start = authorization.IndexOf("Credential=", StringComparison.Ordinal) + "Credential=".Length;
            var key = authorization.Length == 0 ? string.Empty : authorization[start..authorization.IndexOf('/', start)];
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            var host = request.RequestUri!.Host;
            Requests.Enqueue((host, request.Method.Method, request.RequestUri.Query, key, request.Headers.Contains("x-amz-security-token"), body));
            return host.StartsWith("sts.", StringComparison.Ordinal) ? Sts(body) : S3(request, body);
        }

        private HttpResponseMessage Sts(string body)
        {
            if (StsErrorBody is not null)
            {
                return Xml(StsStatus, StsErrorBody);
            }

            if (StsStatus != HttpStatusCode.OK)
            {
                return Xml(StsStatus, $"""<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{StsError}</Code><Message>{(StsError == "AccessDenied" ? "not authorized to perform sts:AssumeRole" : "Rate exceeded")}</Message></Error><RequestId>r1</RequestId></ErrorResponse>""");
            }

            var expires = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("Action=AssumeRole", body, StringComparison.Ordinal);
            return Xml(HttpStatusCode.OK, $"""
                <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
                <Credentials><AccessKeyId>ASIAMEMBERTEMP</AccessKeyId><SecretAccessKey>temp-secret</SecretAccessKey><SessionToken>temp-token</SessionToken><Expiration>{expires}</Expiration></Credentials>
                <AssumedRoleUser><AssumedRoleId>AROA:bucketguard</AssumedRoleId><Arn>arn:aws:sts::222233334444:assumed-role/BucketGuardMember/bucketguard</Arn></AssumedRoleUser>
                </AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>
                """);
        }

        private string? block;

        private HttpResponseMessage S3(HttpRequestMessage request, string body)
        {
            var query = request.RequestUri!.Query;
            if (request.Method == HttpMethod.Put)
            {
                block = body;
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            if (block is not null && query.StartsWith("?publicAccessBlock", StringComparison.Ordinal))
            {
                return Xml(HttpStatusCode.OK, block);
            }

            if (query.StartsWith("?acl", StringComparison.Ordinal))
            {
                return Xml(HttpStatusCode.OK, """
                    <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>owner</ID></Owner><AccessControlList>
                    <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>owner</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
                    <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>
                    </AccessControlList></AccessControlPolicy>
                    """);
            }

            var code = query switch
            {
                _ when query.StartsWith("?policy", StringComparison.Ordinal) => "NoSuchBucketPolicy",
                _ when query.StartsWith("?publicAccessBlock", StringComparison.Ordinal) => "NoSuchPublicAccessBlockConfiguration",
                _ when query.StartsWith("?ownershipControls", StringComparison.Ordinal) => "OwnershipControlsNotFoundError",
                _ => "NoSuchTagSet",
            };
            return Xml(HttpStatusCode.NotFound, $"<Error><Code>{code}</Code><Message>none</Message></Error>");
        }

        private static HttpResponseMessage Xml(HttpStatusCode status, string xml) =>
            new(status) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
    }

    /// <summary>The composition's wiring with the HTTP fakes: the SDK's AssumeRoleAWSCredentials for a member, source credentials of its own.</summary>
    private static AccountRoutedS3 Routed(FakeAwsHttp http)
    {
        var own = new BasicAWSCredentials("AKIDCENTRAL", "central-secret");
        AwsClients.UseSecurityTokenService(c =>
        {
            c.HttpClientFactory = new HandlerClientFactory(http);
            c.DefaultAWSCredentials = own;
            c.MaxErrorRetry = 0;
            c.ServiceURL = "https://sts.eu-west-1.amazonaws.com/"; // whatever AWS_ENDPOINT_URL_STS the machine has
            c.AuthenticationRegion = "eu-west-1";
        });
        return new AccountRoutedS3(Org, roleArn =>
        {
            AWSCredentials credentials = roleArn is null ? own : new AssumeRoleAWSCredentials(own, roleArn, AwsClients.SessionName);
            var s3 = AwsClients.CreateS3(credentials, c =>
            {
                c.HttpClientFactory = new HandlerClientFactory(http);
                c.RegionEndpoint = Amazon.RegionEndpoint.EUWest1;
                c.MaxErrorRetry = 0;
            });
            var reader = new S3BucketStateReader(s3, readPolicyStatus: false);
            return new S3Ports(reader, new S3PublicAccessBlockWriter(s3, reader), new S3BucketLister(s3));
        });
    }

    [Fact]
    public async Task A_bucket_in_a_member_account_is_read_and_locked_as_the_member_role_assumed_once_through_sts()
    {
        var http = new FakeAwsHttp();
        var routed = Routed(http);

        var state = await routed.ReadAsync("member-bucket", Member, CancellationToken.None);
        var again = await routed.ReadAsync("member-bucket", Member, CancellationToken.None);
        var locked = await routed.ApplyAsync("member-bucket", Member, PublicAccessBlock.All, CancellationToken.None);

        Assert.Empty(state.Problems);
        Assert.True(Remediation.Evaluate(state, out _).IsPublic);
        Assert.Empty(again.Problems);
        Assert.True(locked.Succeeded, locked.Error);
        var sts = Assert.Single(http.Requests, r => r.Host.StartsWith("sts.", StringComparison.Ordinal));
        Assert.Contains("RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2FBucketGuardMember", sts.Body, StringComparison.Ordinal);
        Assert.Contains("RoleSessionName=bucketguard", sts.Body, StringComparison.Ordinal);
        Assert.Equal("AKIDCENTRAL", sts.AccessKey);
        var s3 = http.Requests.Where(r => !r.Host.StartsWith("sts.", StringComparison.Ordinal)).ToList();
        Assert.Contains(s3, r => r.Method == "PUT" && r.Query.StartsWith("?publicAccessBlock", StringComparison.Ordinal));
        Assert.All(s3, r => Assert.True(r.AccessKey == "ASIAMEMBERTEMP" && r.SessionToken, $"{r.Method} {r.Query} signed by {r.AccessKey}"));
    }

    [Fact]
    public async Task A_bucket_in_the_home_account_is_read_with_the_functions_own_credentials_and_no_sts_call()
    {
        var http = new FakeAwsHttp();

        var state = await Routed(http).ReadAsync("home-bucket", Home, CancellationToken.None);

        Assert.Empty(state.Problems);
        Assert.DoesNotContain(http.Requests, r => r.Host.StartsWith("sts.", StringComparison.Ordinal));
        Assert.All(http.Requests, r => Assert.Equal("AKIDCENTRAL", r.AccessKey));
    }

    [Fact]
    public async Task A_member_account_without_the_role_is_reported_as_a_problem_naming_the_role_and_the_fix_not_retried()
    {
        var http = new FakeAwsHttp { StsStatus = HttpStatusCode.Forbidden };
        var routed = Routed(http);

        var state = await routed.ReadAsync("member-bucket", Member, CancellationToken.None);
        var locked = await routed.ApplyAsync("member-bucket", Member, PublicAccessBlock.All, CancellationToken.None);

        var problem = Assert.Single(state.Problems);
        Assert.Contains("could not assume arn:aws:iam::222233334444:role/BucketGuardMember: AccessDenied", problem, StringComparison.Ordinal);
        Assert.Contains("infra/org/member.template", problem, StringComparison.Ordinal);
        Assert.False(locked.Succeeded);
        Assert.DoesNotContain(http.Requests, r => !r.Host.StartsWith("sts.", StringComparison.Ordinal));

        var verdict = Remediation.Decide(BucketChange.ForSweep("member-bucket", Member, null, DateTimeOffset.UtcNow), state, RemediationPolicy.Default with { MemberRole = Org }, DateOnly.FromDateTime(DateTime.UtcNow));
        Assert.Equal(Outcome.Incomplete, verdict.Outcome);
    }

    [Fact]
    public async Task A_refusal_in_another_error_format_is_still_a_refusal()
    {
        var http = new FakeAwsHttp { StsStatus = HttpStatusCode.Forbidden, StsErrorBody = "<Error><Code>SignatureDoesNotMatch</Code><Message></Message></Error>" };

        var state = await Routed(http).ReadAsync("member-bucket", Member, CancellationToken.None);

        Assert.Contains("could not assume arn:aws:iam::222233334444:role/BucketGuardMember: SignatureDoesNotMatch", Assert.Single(state.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttled_sts_is_thrown_so_the_event_is_retried()
    {
        var http = new FakeAwsHttp { StsStatus = HttpStatusCode.BadRequest, StsError = "Throttling" };

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => Routed(http).ReadAsync("member-bucket", Member, CancellationToken.None));

        var sts = Assert.IsType<Amazon.SecurityToken.AmazonSecurityTokenServiceException>(thrown.InnerException);
        Assert.Equal("Throttling", sts.ErrorCode);
    }

    [Fact]
    public async Task An_event_naming_no_real_account_is_refused_without_any_request()
    {
        var http = new FakeAwsHttp();
        var routed = Routed(http);

        var state = await routed.ReadAsync("member-bucket", "12345", CancellationToken.None);
        var sweep = async () =>
        {
            await foreach (var _ in routed.ListAsync("12345", CancellationToken.None))
            {
            }
        };

        Assert.Contains("not an AWS account ID", Assert.Single(state.Problems), StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(sweep);
        Assert.Empty(http.Requests);
    }
}
