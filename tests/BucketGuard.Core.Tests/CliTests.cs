using Amazon.Runtime;
using BucketGuard.Cli;

namespace BucketGuard.Tests;

/// <summary>The command line as a user meets it first: usage errors and failures exit 2 with one or two lines naming
/// the cause, never a stack trace without --debug; 1 stays "something is public".</summary>
public class CliTests
{
    private static async Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await BucketGuardCli.RunAsync(args, TextReader.Null, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Theory]
    [InlineData(new string[0], "a command is required")]
    [InlineData(new[] { "check" }, "Required argument 'PATH' missing")]
    [InlineData(new[] { "check", "--jsn", "x.json" }, "unknown option --jsn")]
    [InlineData(new[] { "audit", "--json", "--csv" }, "--json and --csv cannot be used together")]
    [InlineData(new[] { "audit", "--concurrency", "0" }, "--concurrency must be at least 1, not 0")]
    [InlineData(new[] { "audit", "--concurrency", "-5" }, "--concurrency must be at least 1, not -5")]
    [InlineData(new[] { "exempt", "site", "--until", "2026-12-31" }, "--until and --reason are required")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "audit", "--output", "yaml" }, "Argument 'yaml' not recogni")]
    [InlineData(new[] { "audit", "--json", "--output", "csv" }, "--json, --csv and --output choose the output format, and they disagree (json, csv)")]
    [InlineData(new[] { "audit", "--objects", "-1" }, "--objects must be from 0 to 10000, not -1")]
    [InlineData(new[] { "audit", "--endpoint-url", "127.0.0.1:7480" }, "--endpoint-url must be an http or https URL")]
    [InlineData(new[] { "exposure" }, "Required argument 'BUCKET' missing")]
    [InlineData(new[] { "exposure", "lab-results", "--since", "last tuesday" }, "--since \"last tuesday\" is not an ISO 8601 time")]
    [InlineData(new[] { "exposure", "lab-results", "--trail", "logs-bucket/trail" }, "--trail \"logs-bucket/trail\" is not s3://BUCKET[/PREFIX]")]
    [InlineData(new[] { "exposure", "lab-results", "--access-logs", "s3:///x" }, "--access-logs \"s3:///x\" is not s3://BUCKET[/PREFIX]")]
    [InlineData(new[] { "exposure", "lab-results", "--output", "html" }, "Argument 'html' not recogni")]
    public async Task A_usage_error_exits_2_with_a_line_that_names_it(string[] args, string message)
    {
        var (exit, _, errors) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(message, errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_still_exits_1_when_something_is_public()
    {
        var (exit, _, _) = await RunAsync("check", Path.Combine(Corpus.RepositoryRoot, "events", "putbucketacl-public-read.json"));

        Assert.Equal(1, exit);
    }

    [Fact]
    public void Failures_are_described_in_one_line_with_what_to_check()
    {
        var refused = BucketGuardCli.Describe(new AmazonServiceException("Access Denied\nfor you", ErrorType.Sender, "AccessDenied", "r", System.Net.HttpStatusCode.Forbidden));
        var unreachable = BucketGuardCli.Describe(new HttpRequestException("Connection refused (127.0.0.1:9)"));

        Assert.Equal("AWS refused the request: AccessDenied (HTTP 403): Access Denied for you. Check the credentials in use (AWS_PROFILE, AWS_ACCESS_KEY_ID) and that they are allowed this call.", refused);
        Assert.StartsWith("could not reach the service: Connection refused (127.0.0.1:9). Check the endpoint", unreachable, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused);
    }

    [Fact]
    public async Task Profile_region_and_endpoint_options_are_the_sdks_standard_variables_for_the_command_only()
    {
        var before = (Environment.GetEnvironmentVariable("AWS_PROFILE"), Environment.GetEnvironmentVariable("AWS_REGION"), Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"));
        var path = Path.Combine(Path.GetTempPath(), $"bg-cli-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(path, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}""");
        try
        {
            var (exit, _, errors) = await RunAsync("check", path, "--profile", "audit-ro", "--region", "eu-central-1", "--endpoint-url", "http://127.0.0.1:9");

            Assert.True(exit == 0, errors);
            Assert.Equal(before, (Environment.GetEnvironmentVariable("AWS_PROFILE"), Environment.GetEnvironmentVariable("AWS_REGION"), Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_audit_summary_says_what_became_of_the_public_buckets_with_and_without_fix()
    {
        static BucketGuard.Core.Reports.BucketAudit Audit(string name, BucketGuard.Core.Decisions.Outcome outcome, bool locked) =>
            new(new BucketGuard.Core.Reports.BucketRef(name, "eu-west-1"), new BucketGuard.Core.Decisions.Verdict(outcome, "why", BucketGuard.Core.Decisions.Severity.High),
                locked ? new BucketGuard.Core.Decisions.ActionResult(BucketGuard.Core.PublicAccessBlock.All, null) : null, null);
        var fixedReport = new BucketGuard.Core.Reports.SweepReport([Audit("a", BucketGuard.Core.Decisions.Outcome.Block, true), Audit("b", BucketGuard.Core.Decisions.Outcome.Block, true), Audit("c", BucketGuard.Core.Decisions.Outcome.Exempted, false), Audit("d", BucketGuard.Core.Decisions.Outcome.NothingToDo, false)], null);
        var seen = new BucketGuard.Core.Reports.SweepReport([Audit("a", BucketGuard.Core.Decisions.Outcome.WouldBlock, false), Audit("c", BucketGuard.Core.Decisions.Outcome.Exempted, false)], null);

        Assert.StartsWith("4 bucket(s), 3 public: 2 locked by --fix, 1 exempted, none left public without a valid exemption.", AuditCommand.Summary(fixedReport, fix: true), StringComparison.Ordinal);
        Assert.StartsWith("2 bucket(s), 2 public: 1 exempted, 1 public without a valid exemption; --fix locks them.", AuditCommand.Summary(seen, fix: false), StringComparison.Ordinal);
    }

    [Fact]
    public void The_audit_table_is_drawn_plain_with_every_column_and_a_row_per_bucket_that_names_it()
    {
        var state = new BucketGuard.Core.Decisions.BucketState("patient-reports", true, BucketGuard.Core.Acls.CannedAcl.Expand("public-read").Value, null, null, null, null, [], null, []);
        var verdict = BucketGuard.Core.Decisions.Remediation.Decide(BucketGuard.Core.Events.BucketChange.ForSweep("patient-reports", null, "eu-west-1", DateTimeOffset.UtcNow), state,
            BucketGuard.Core.Decisions.RemediationPolicy.Default with { Mode = BucketGuard.Core.Decisions.Mode.Notify }, new DateOnly(2026, 12, 1));
        var report = new BucketGuard.Core.Reports.SweepReport([new(new BucketGuard.Core.Reports.BucketRef("patient-reports", "eu-west-1"), verdict, null, null)], null);
        var output = new StringWriter();

        AuditCommand.Write(report, new AuditCommand.Options(false, false, false, false, 1, null), output, _ => null);

        var lines = output.ToString().Split('\n');
        Assert.Contains(lines, l => l.Contains("BUCKET", StringComparison.Ordinal) && l.Contains("REGION", StringComparison.Ordinal) && l.Contains("OBJECTS", StringComparison.Ordinal) && l.Contains("URL", StringComparison.Ordinal));
        var row = Assert.Single(lines, l => l.TrimStart().StartsWith("patient-reports", StringComparison.Ordinal));
        Assert.Contains("eu-west-1", row, StringComparison.Ordinal);
        Assert.Contains("https://patient-reports.s3.eu-west-1.amazonaws.com/", row, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("1 bucket(s), 1 public:", lines.Last(l => l.Length > 0), StringComparison.Ordinal);
    }
}
