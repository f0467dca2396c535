using System.Text.Json;
using BucketGuard.Cli;
using BucketGuard.Core.Check;
using BucketGuard.Core.Events;

namespace BucketGuard.Tests;

public class CorpusTests
{
    public static TheoryData<string> PolicyAndAclItems => [.. Corpus.Files("policy-").Concat(Corpus.Files("acl-"))];

    public static TheoryData<string> EventItems => Corpus.Items("event-");

    [Fact]
    public void The_corpus_holds_the_items_its_index_lists()
    {
        Assert.Equal(47, Corpus.Files("policy-").Count());
        Assert.Equal(23, Corpus.Files("acl-").Count());
        Assert.Equal(36, Corpus.Files("event-").Count());
    }

    [Theory]
    [MemberData(nameof(PolicyAndAclItems))]
    public void Every_policy_and_acl_item_gets_the_verdict_the_corpus_states(string file)
    {
        using var item = Corpus.Load(file);
        var expected = item.RootElement.GetProperty("expected_public").GetBoolean();

        var result = Checker.Check(file, Corpus.Read(file));

        Assert.Null(result.Error);
        Assert.Equal(expected, result.Public);
        Assert.Equal(expected, result.Exposure!.Findings.Length > 0);
        Assert.All(result.Exposure.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Reason)));
    }

    [Theory]
    [MemberData(nameof(EventItems))]
    public void Every_corpus_event_is_parsed_or_classified_without_an_exception(string file)
    {
        var index = Corpus.Index(file);

        var parsed = CloudTrailEventParser.Parse(Corpus.Read(file));

        Assert.True(parsed.Ok, parsed.Error);
        var change = parsed.Value!;
        Assert.Equal(index.GetProperty("eventName").GetString(), change.EventName);
        Assert.Equal(index.GetProperty("errorCode").ValueKind == JsonValueKind.String, change.Failed);
        Assert.NotEqual(ChangeKind.NotBucketChange, change.Kind);
    }

    [Theory]
    [MemberData(nameof(EventItems))]
    public void A_corpus_event_with_a_stated_verdict_on_its_requested_document_gets_that_verdict(string file)
    {
        var index = Corpus.Index(file);
        var stated = index.TryGetProperty("acl_in_event_verdict", out var v) || index.TryGetProperty("policy_in_event_verdict", out v)
            ? v.GetProperty("expected_public").GetBoolean()
            : (bool?)null;

        var result = Checker.Check(file, Corpus.Read(file));

        Assert.Equal(InputKind.Event, result.Kind);
        if (stated is { } expected)
        {
            Assert.Equal(expected, result.Public);
        }
        else if (result.Event!.RequestedAcl is null && result.Event.RequestedPolicy is null)
        {
            // No ACL or policy to judge (deletes, tagging, Block Public Access, or a request that carries none).
            Assert.Null(result.Public);
        }
    }

    [Fact]
    public void Check_json_over_the_corpus_folder_agrees_with_every_stated_verdict()
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        var exit = CheckCommand.Run([Corpus.Folder], json: true, output, errors);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(106, lines.Length);
        var checkedItems = 0;
        foreach (var line in lines)
        {
            using var result = JsonDocument.Parse(line);
            var root = result.RootElement;
            foreach (var member in new[] { "path", "kind", "public", "findings", "error" })
            {
                Assert.True(root.TryGetProperty(member, out _), $"{member} missing in {line}");
            }

            var file = Path.GetFileName(root.GetProperty("path").GetString()!);
            using var item = Corpus.Load(file);
            if (item.RootElement.TryGetProperty("expected_public", out var expected))
            {
                Assert.Equal(expected.GetBoolean(), root.GetProperty("public").GetBoolean());
                Assert.Equal(file.StartsWith("acl-", StringComparison.Ordinal) ? "acl" : "policy", root.GetProperty("kind").GetString());
                checkedItems++;
            }
        }

        Assert.Equal(70, checkedItems);

        // Three corpus events carry a request that cannot be evaluated (no policy, a policy that is not JSON,
        // no Block Public Access configuration); each is named on standard error, and the exit code says so.
        Assert.Equal(CheckCommand.InputProblem, exit);
        Assert.Contains("event-panther-putbucketpolicy-bucketpolicy-invalid-string.json", errors.ToString(), StringComparison.Ordinal);
    }
}
