using System.Diagnostics;
using System.Text.Json;
using BucketGuard.Cli;

namespace BucketGuard.Tests;

public sealed class CheckCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("bucketguard-check-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static (int Exit, string Output, string Errors) Run(bool json, params string[] paths)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = CheckCommand.Run(paths, json, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    [Fact]
    public void Nothing_public_exits_zero()
    {
        var path = Write("private.json", Policies.Allow(new System.Text.Json.Nodes.JsonObject { ["AWS"] = "arn:aws:iam::111122223333:root" }, "s3:*"));

        Assert.Equal(0, Run(false, path).Exit);
    }

    [Fact]
    public void A_public_policy_exits_one_and_explains_the_finding_in_words()
    {
        var path = Write("public.json", Policies.Everyone("s3:PutObject"));

        var (exit, output, _) = Run(false, path);

        Assert.Equal(1, exit);
        Assert.Contains("PUBLIC (write)", output, StringComparison.Ordinal);
        Assert.Contains("Statement 1 (Sid \"S1\"): * may s3:PutObject [write]", output, StringComparison.Ordinal);
        Assert.Contains("why: Principal * (anyone, including anonymous users) with no limiting condition", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_input_exits_two_and_says_which_and_why_even_beside_a_public_one()
    {
        var broken = Write("broken.json", "{\"Statement\": [");
        var pub = Write("public.json", Policies.Everyone());

        var (exit, _, errors) = Run(false, broken, pub, Path.Combine(folder, "missing.json"));

        Assert.Equal(2, exit);
        Assert.Contains("broken.json is not valid JSON", errors, StringComparison.Ordinal);
        Assert.Contains("missing.json: no such file or folder", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_is_checked_file_by_file_including_xml_and_nested_folders_but_not_other_files()
    {
        Write("a/policy.json", Policies.Everyone());
        Write("b/acl.xml", """<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>""");
        Write("notes.txt", "not an input");

        var (exit, output, _) = Run(true, folder);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(1, exit);
        Assert.Equal(["policy", "acl"], lines.Select(l => l.GetProperty("kind").GetString()));
        Assert.All(lines, l => Assert.True(l.GetProperty("public").GetBoolean()));
    }

    [Fact]
    public void An_empty_folder_is_a_problem_not_a_clean_bill_of_health()
    {
        Assert.Equal(2, Run(false, folder).Exit);
    }

    [Fact]
    public void Json_output_for_an_event_says_the_event_the_bucket_and_that_the_call_failed()
    {
        var path = Write("event.json", """
            {"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com",
             "eventName":"PutBucketAcl","errorCode":"AccessDenied","requestParameters":{"bucketName":"reports","x-amz-acl":"public-read"}}}
            """);

        var (exit, output, _) = Run(true, path);

        var line = JsonDocument.Parse(output).RootElement;
        Assert.Equal("event", line.GetProperty("kind").GetString());
        Assert.Equal("PutBucketAcl", line.GetProperty("eventName").GetString());
        Assert.Equal("reports", line.GetProperty("bucket").GetString());
        Assert.True(line.GetProperty("failed").GetBoolean());
        Assert.True(line.GetProperty("public").GetBoolean());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
        Assert.Equal("AllUsers", line.GetProperty("findings")[0].GetProperty("principal").GetString());

        // The request was public, but the call was refused: nothing was exposed.
        Assert.Equal(0, exit);
    }

    [Fact]
    public void A_corpus_item_with_block_public_access_context_reports_the_effect_too()
    {
        var path = Write("item.json", """
            {"acl":{"canned":"public-read"},"context":{"public_access_block":{"bucket":{"IgnorePublicAcls":true}}}}
            """);

        var line = JsonDocument.Parse(Run(true, path).Output).RootElement;

        Assert.True(line.GetProperty("public").GetBoolean());
        Assert.False(line.GetProperty("publicInEffect").GetBoolean());
        Assert.Equal("IgnorePublicAcls (bucket)", line.GetProperty("findings")[0].GetProperty("neutralisedBy").GetString());
    }

    [Fact]
    public void The_built_tool_runs_as_a_user_runs_it_on_the_bundled_sample_events()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "bucketguard.dll");
        var events = Path.Combine(Corpus.RepositoryRoot, "events");
        var start = new ProcessStartInfo("dotnet", [tool, "check", events]) { RedirectStandardOutput = true, RedirectStandardError = true };

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("putbucketacl-public-read.json: event PutBucketAcl on bucket", output, StringComparison.Ordinal);
        Assert.Contains("AllUsers is anyone on the internet", output, StringComparison.Ordinal);
        Assert.Contains("putbucketpolicy-org-only.json: event PutBucketPolicy", output, StringComparison.Ordinal);
    }
}

public class InvokeCommandTests
{
    [Fact]
    public async Task Invoke_without_a_topic_refuses_to_run_and_says_why()
    {
        var path = Path.Combine(Path.GetTempPath(), "bg-invoke-" + Guid.NewGuid().ToString("n") + ".json");
        await File.WriteAllTextAsync(path, "{}");
        var errors = new StringWriter();
        var saved = Environment.GetEnvironmentVariable("BUCKETGUARD_TOPIC_ARN");
        Environment.SetEnvironmentVariable("BUCKETGUARD_TOPIC_ARN", null);

        try
        {
            var exit = await InvokeCommand.RunAsync(path, null, null, new StringWriter(), errors, CancellationToken.None);

            Assert.Equal(2, exit);
            Assert.Contains("BUCKETGUARD_TOPIC_ARN is not set", errors.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUCKETGUARD_TOPIC_ARN", saved);
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Invoke_with_a_missing_file_says_which_and_exits_two()
    {
        var errors = new StringWriter();

        var exit = await InvokeCommand.RunAsync("/nonexistent/event.json", "arn:aws:sns:us-east-1:111122223333:t", null, new StringWriter(), errors, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("/nonexistent/event.json: cannot be read", errors.ToString(), StringComparison.Ordinal);
    }
}

public class ExemptCommandTests
{
    private static readonly DateOnly Today = new(2026, 11, 21);

    [Fact]
    public async Task Exempt_prints_the_tags_validated_as_the_functions_read_them()
    {
        var output = new StringWriter();

        var exit = await ExemptCommand.RunAsync("site", "2026-12-31", "Public website assets", "read-list", "web@example.com", apply: false, output, new StringWriter(), Today, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Contains("site: exempt until 2026-12-31 (scope read-list, reason \"Public website assets\", owner web@example.com; unapproved: no approval key is configured, so whoever may tag the bucket may exempt it)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("bucketguard:exempt-until = 2026-12-31", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("not applied", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2027-03-01", "reason", "read", "more than 90 days ahead")]
    [InlineData("2026-11-20", "reason", "read", "expired on 2026-11-20")]
    [InlineData("2026-12-01", "semi;colons", "read", "S3 tag values allow only letters")]
    [InlineData("2026-12-01", "reason", "write", "neither read nor read-list")]
    public async Task Exempt_refuses_what_would_not_be_honoured_and_says_why(string until, string reason, string scope, string message)
    {
        var errors = new StringWriter();

        var exit = await ExemptCommand.RunAsync("site", until, reason, scope, null, apply: false, new StringWriter(), errors, Today, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains(message, errors.ToString(), StringComparison.Ordinal);
    }
}
