using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;

namespace BucketGuard.IntegrationTests;

/// <summary>Facts about the local moto server (S3 Control, KMS, Security Hub, EventBridge, Organizations) that
/// BucketGuard depends on or will, each call signed by AWSSDK.Core's signer through SignedHttp, as the product signs.
/// Where moto differs from AWS the test says so.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MotoFactsTests(LocalAws aws)
{
    private const string MotoAccount = MotoClient.Account;

    private static Uri Moto => MotoClient.Endpoint;

    private static SignedHttp Signed() => MotoClient.Signed();

    private static Task<(HttpStatusCode Status, JsonNode? Body)> JsonAsync(string service, string target, JsonObject body, string version = "1.1") => MotoClient.JsonAsync(service, target, body, version);

    private static Task<JsonNode> OkAsync(string service, string target, JsonObject body, string version = "1.1") => MotoClient.OkAsync(service, target, body, version);

    /// <summary>Why the organisation sweep's definition runs in unit tests and not under moto's executor: with execution
    /// on, moto 5.2.1's ASL parser refuses ItemBatcher (and, once that is taken out, an integer ToleratedFailurePercentage and the JSONL
    /// InputType), all three in AWS's documented Distributed Map (Step Functions Developer Guide, "ItemBatcher (Map)",
    /// "ItemReader (Map)"). When moto accepts the definition, this fails, and the sweep can be run under its executor.</summary>
    [Fact]
    public async Task Motos_step_functions_refuse_the_sweeps_distributed_map_definition_that_aws_documents()
    {
        var definition = File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "infra", "sweep", "sweep.asl.json"));
        foreach (var name in new[] { "SweepPlanFunctionArn", "SweepBatchFunctionArn", "SweepSummaryFunctionArn" })
        {
            definition = definition.Replace("${" + name + "}", $"arn:aws:lambda:us-east-1:{MotoAccount}:function:{name}", StringComparison.Ordinal);
        }

        // moto parses a definition only when told to execute state machines (otherwise it accepts any text); the
        // setting is moto's own, so it is put back for the other tests (SweepCommandTests needs executions to stay RUNNING).
        using var http = new HttpClient();
        async Task ExecuteAsync(bool on) => (await http.PostAsync(new Uri(Moto, "/moto-api/config"), new StringContent("{\"stepfunctions\":{\"execute_state_machine\":" + (on ? "true" : "false") + "}}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await ExecuteAsync(true);
        (HttpStatusCode Status, JsonNode? Body) answer;
        try
        {
            answer = await MotoClient.JsonAsync("states", "AWSStepFunctions.CreateStateMachine", new JsonObject
            {
                ["name"] = LocalAws.UniqueName("bg-sweep-asl"),
                ["definition"] = definition,
                ["roleArn"] = $"arn:aws:iam::{MotoAccount}:role/bucketguard-sweep",
            }, "1.0");
        }
        finally
        {
            await ExecuteAsync(false);
        }

        var (status, body) = answer;
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ItemBatcher", body?.ToJsonString() ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Moto_truncates_ListBuckets_at_MaxBuckets_without_a_token_and_the_sweeps_lister_still_lists_every_bucket()
    {
        using var s3 = new AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY")),
            new AmazonS3Config { ServiceURL = Moto.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var names = Enumerable.Range(0, 5).Select(i => LocalAws.UniqueName($"bg-list{i}")).ToList();
        foreach (var name in names)
        {
            await s3.PutBucketAsync(name);
        }

        try
        {
            var all = (await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = S3BucketLister.MaxPage })).Buckets!.Count;
            var page = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 2 });
            var listed = new List<string>();
            await foreach (var bucket in new S3BucketLister(s3, pageSize: 2).ListAsync(null, CancellationToken.None))
            {
                listed.Add(bucket.Name);
            }

            // moto differs from AWS here: a full page and no continuation token although more buckets follow (AWS
            // gives the token; BucketListerTests pin both answers against a fake).
            Assert.Equal((2, (string?)null), (page.Buckets!.Count, page.ContinuationToken));
            Assert.True(all >= names.Count, $"moto listed {all} buckets");
            Assert.Equal(all, listed.Count);
            Assert.Equal(listed.Distinct().Count(), listed.Count);
            Assert.Subset(listed.ToHashSet(), names.ToHashSet());
        }
        finally
        {
            foreach (var name in names)
            {
                await s3.DeleteBucketAsync(name);
            }
        }
    }

    [Fact]
    public async Task The_account_level_block_put_in_s3_control_is_read_by_the_products_own_reader_and_decides_an_event()
    {
        var put = await Signed().SendAsync(HttpMethod.Put, (AmazonS3Config)aws.S3.Config, "s3", Moto, "/v20180820/configuration/publicAccessBlock", "us-east-1",
            content: Encoding.UTF8.GetBytes("<PublicAccessBlockConfiguration xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"),
            contentType: "application/xml", // moto takes a body without one for the Query protocol and fails with 500
            headers: new Dictionary<string, string> { ["x-amz-account-id"] = MotoAccount });
        Assert.True(put.Status == HttpStatusCode.OK, put.Body);
        var bucket = LocalAws.UniqueName("bg-acctblock");
        await aws.S3.PutBucketAsync(bucket);
        await aws.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead });
        try
        {
            var reader = S3BucketStateReader.FromEnvironment(aws.S3, RemediationPolicy.Default with { TrustS3PolicyStatus = false });

            var state = await reader.ReadAsync(bucket, MotoAccount, CancellationToken.None);
            var other = await reader.ReadAsync(bucket, "111122223333", CancellationToken.None);

            Assert.Equal(new PublicAccessBlock(true, true, false, false), state.AccountBlock);
            Assert.Null(other.AccountBlock); // moto: AccessDenied for an account that is not its own; the reader gives null, never "no flags"
            var change = BucketGuard.Core.Events.BucketChange.ForSweep(bucket, MotoAccount, "us-east-1", DateTimeOffset.UtcNow);
            var verdict = Remediation.Decide(change, state, RemediationPolicy.Default, DateOnly.FromDateTime(DateTime.UtcNow));
            Assert.Equal(Outcome.AlreadyBlocked, verdict.Outcome);
            Assert.Contains("IgnorePublicAcls (account)", verdict.Why, StringComparison.Ordinal);
        }
        finally
        {
            await aws.S3.DeleteBucketAsync(bucket);

            // Left on, the account's block would decide every later test's buckets in moto's account.
            var deleted = await Signed().SendAsync(HttpMethod.Delete, (AmazonS3Config)aws.S3.Config, "s3", Moto, "/v20180820/configuration/publicAccessBlock", "us-east-1",
                headers: new Dictionary<string, string> { ["x-amz-account-id"] = MotoAccount });
            Assert.True(deleted.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, deleted.Body);
        }
    }

    [Fact]
    public async Task A_kms_hmac_key_verifies_its_own_mac_and_refuses_a_changed_message_with_kms_invalid_mac_exception()
    {
        var key = (await OkAsync("kms", "TrentService.CreateKey", new JsonObject { ["KeyUsage"] = "GENERATE_VERIFY_MAC", ["KeySpec"] = "HMAC_256" }))["KeyMetadata"]!["KeyId"]!.GetValue<string>();
        var message = Convert.ToBase64String(Encoding.UTF8.GetBytes("123456789012|reports|read|2026-12-31|Public website"));
        var mac = (await OkAsync("kms", "TrentService.GenerateMac", new JsonObject { ["KeyId"] = key, ["Message"] = message, ["MacAlgorithm"] = "HMAC_SHA_256" }))["Mac"]!.GetValue<string>();

        var valid = await OkAsync("kms", "TrentService.VerifyMac", new JsonObject { ["KeyId"] = key, ["Message"] = message, ["MacAlgorithm"] = "HMAC_SHA_256", ["Mac"] = mac });
        var changed = Convert.ToBase64String(Encoding.UTF8.GetBytes("123456789012|reports|read|2027-12-31|Public website"));
        var (status, error) = await JsonAsync("kms", "TrentService.VerifyMac", new JsonObject { ["KeyId"] = key, ["Message"] = changed, ["MacAlgorithm"] = "HMAC_SHA_256", ["Mac"] = mac });

        Assert.True(valid["MacValid"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.BadRequest, status); // as on AWS: a MAC that does not verify is an error, not MacValid=false
        Assert.Contains("KMSInvalidMacException", error?["__type"]?.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_security_hub_finding_imported_in_asff_is_read_back_by_its_id_though_moto_ignores_the_filter()
    {
        var id = "bucketguard/" + Guid.NewGuid().ToString("n");
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var finding = new JsonObject
        {
            ["SchemaVersion"] = "2018-10-08",
            ["Id"] = id,
            ["ProductArn"] = $"arn:aws:securityhub:us-east-1:{MotoAccount}:product/{MotoAccount}/default",
            ["GeneratorId"] = "bucketguard",
            ["AwsAccountId"] = MotoAccount,
            ["Types"] = new JsonArray("Effects/Data Exposure"),
            ["CreatedAt"] = now,
            ["UpdatedAt"] = now,
            ["Severity"] = new JsonObject { ["Label"] = "HIGH" },
            ["Title"] = "S3 bucket reports is public",
            ["Description"] = "AllUsers may READ",
            ["Resources"] = new JsonArray(new JsonObject { ["Type"] = "AwsS3Bucket", ["Id"] = "arn:aws:s3:::reports" }),
        };

        var imported = await Signed().SendAsync(HttpMethod.Post, new MotoClient.SigningConfig("securityhub"), "securityhub", Moto, "/findings/import", "us-east-1",
            content: Encoding.UTF8.GetBytes(new JsonObject { ["Findings"] = new JsonArray(finding) }.ToJsonString()), contentType: "application/json");
        var found = await Signed().SendAsync(HttpMethod.Post, new MotoClient.SigningConfig("securityhub"), "securityhub", Moto, "/findings", "us-east-1",
            content: Encoding.UTF8.GetBytes(new JsonObject { ["Filters"] = new JsonObject { ["Id"] = new JsonArray(new JsonObject { ["Value"] = id, ["Comparison"] = "EQUALS" }) } }.ToJsonString()), contentType: "application/json");

        Assert.True(imported.Status == HttpStatusCode.OK, imported.Body);
        Assert.Equal(1, JsonNode.Parse(imported.Body)!["SuccessCount"]!.GetValue<int>());
        // moto 5.2.1 ignores GetFindings' Filters and answers every finding it holds; AWS answers only this one.
        var findings = JsonNode.Parse(found.Body)!["Findings"]!.AsArray();
        var read = Assert.Single(findings, f => f!["Id"]!.GetValue<string>() == id)!;
        Assert.Equal("HIGH", read["Severity"]!["Label"]!.GetValue<string>());
    }

    [Fact]
    public async Task Eventbridge_routes_a_sample_event_by_the_templates_acl_pattern_and_test_event_pattern_is_not_implemented()
    {
        // moto 5.2.1 answers TestEventPattern with an empty 200 (its handler is a stub): no "Result" to trust.
        var (_, stub) = await JsonAsync("events", "AWSEvents.TestEventPattern", new JsonObject { ["EventPattern"] = "{}", ["Event"] = "{}" });
        Assert.Null(stub?["Result"]);

        // Its rule matching is real: a rule with the template's pattern and an SQS target (moto's own SQS).
        var template = JsonNode.Parse(File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "serverless.template")))!;
        var pattern = template["Resources"]!["AclFunction"]!["Properties"]!["Events"]!["CloudTrail"]!["Properties"]!["Pattern"]!.ToJsonString();
        var name = LocalAws.UniqueName("bg-rule");
        var queueUrl = (await OkAsync("sqs", "AmazonSQS.CreateQueue", new JsonObject { ["QueueName"] = name }, "1.0"))["QueueUrl"]!.GetValue<string>();
        var queueArn = (await OkAsync("sqs", "AmazonSQS.GetQueueAttributes", new JsonObject { ["QueueUrl"] = queueUrl, ["AttributeNames"] = new JsonArray("QueueArn") }, "1.0"))["Attributes"]!["QueueArn"]!.GetValue<string>();
        await OkAsync("events", "AWSEvents.PutRule", new JsonObject { ["Name"] = name, ["EventPattern"] = pattern });
        await OkAsync("events", "AWSEvents.PutTargets", new JsonObject { ["Rule"] = name, ["Targets"] = new JsonArray(new JsonObject { ["Id"] = "q", ["Arn"] = queueArn }) });
        JsonObject Entry(string sample)
        {
            var e = JsonNode.Parse(File.ReadAllText(Path.Combine(LocalAws.RepositoryRoot, "events", sample)))!;
            return new JsonObject { ["Source"] = e["source"]!.GetValue<string>(), ["DetailType"] = e["detail-type"]!.GetValue<string>(), ["Detail"] = e["detail"]!.ToJsonString() };
        }

        await OkAsync("events", "AWSEvents.PutEvents", new JsonObject { ["Entries"] = new JsonArray(Entry("putbucketacl-public-read.json"), Entry("putbucketpolicy-principal-star.json")) });
        var received = await OkAsync("sqs", "AmazonSQS.ReceiveMessage", new JsonObject { ["QueueUrl"] = queueUrl, ["MaxNumberOfMessages"] = 10, ["WaitTimeSeconds"] = 2 }, "1.0");

        var bodies = received["Messages"]!.AsArray().Select(m => JsonNode.Parse(m!["Body"]!.GetValue<string>())!).ToList();
        Assert.Equal("PutBucketAcl", Assert.Single(bodies)["detail"]!["eventName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Organizations_lists_the_management_account_and_a_created_member_as_active()
    {
        var (created, _) = await JsonAsync("organizations", "AWSOrganizationsV20161128.CreateOrganization", new JsonObject { ["FeatureSet"] = "ALL" });
        Assert.True(created is HttpStatusCode.OK or HttpStatusCode.BadRequest); // 400 AlreadyInOrganizationException on a second run against the same server
        var status = await OkAsync("organizations", "AWSOrganizationsV20161128.CreateAccount", new JsonObject { ["AccountName"] = "member", ["Email"] = $"{Guid.NewGuid():n}@example.com" });
        var member = status["CreateAccountStatus"]!["AccountId"]!.GetValue<string>();

        var listed = await OkAsync("organizations", "AWSOrganizationsV20161128.ListAccounts", new JsonObject());

        var accounts = listed["Accounts"]!.AsArray().ToDictionary(a => a!["Id"]!.GetValue<string>(), a => a!["Status"]!.GetValue<string>());
        Assert.True(AccountId.IsValid(member));
        Assert.Equal("ACTIVE", accounts[member]);
        Assert.Equal("ACTIVE", accounts[MotoAccount]); // the management account is moto's own
    }

    [Fact]
    public async Task The_products_organizations_client_lists_every_active_account_page_by_page()
    {
        await JsonAsync("organizations", "AWSOrganizationsV20161128.CreateOrganization", new JsonObject { ["FeatureSet"] = "ALL" });
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var status = await OkAsync("organizations", "AWSOrganizationsV20161128.CreateAccount", new JsonObject { ["AccountName"] = $"member{i}", ["Email"] = $"{Guid.NewGuid():n}@example.com" });
            created.Add(status["CreateAccountStatus"]!["AccountId"]!.GetValue<string>());
        }

        using var client = new Amazon.Organizations.AmazonOrganizationsClient();
        var first = await client.ListAccountsAsync(new Amazon.Organizations.Model.ListAccountsRequest { MaxResults = 1 });
        var all = await new OrganizationAccountLister(client).ListActiveAsync(CancellationToken.None);

        Assert.Single(first.Accounts ?? []);
        Assert.False(string.IsNullOrEmpty(first.NextToken)); // moto pages as AWS does
        Assert.Superset(created.Append(MotoAccount).ToHashSet(), all.ToHashSet());
    }
}
