using System.Diagnostics;
using System.Text.Json.Nodes;
using BucketGuard.Core.Incidents;

namespace BucketGuard.Tests;

/// <summary>The breach-assessment report: its deadlines from discovery as the rules count them, its worksheet filled only
/// with what BucketGuard knows (the rest said unknown), its text neutralised, and its JSON valid against
/// tests/schemas/breach-assessment.schema.json (validated by jsonschema, which cfn-lint brings).</summary>
public class BreachAssessmentTests
{
    private static IncidentRecord Record(string? dataClass = "phi", bool locked = true, string actor = "arn:aws:sts::111122223333:assumed-role/Lab/alice") => new(
        "inc-20261207-0123456789abcdef", "111122223333/lab-results", locked ? IncidentState.Contained : IncidentState.Open,
        new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 7, 9, 0, 3, TimeSpan.Zero), "critical", dataClass, null, null,
        [
            new(new DateTimeOffset(2026, 12, 7, 9, 0, 3, TimeSpan.Zero), "e-2", "remediated", "Block", "critical", locked, actor, null, "the bucket is public (read)"),
            new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero), "e-1", "would-remediate", "WouldBlock", "critical", false, actor, null, "the bucket is public (read)"),
        ]);

    [Fact]
    public void The_deadlines_count_from_discovery_60_days_for_hipaa_the_year_end_rule_for_small_breaches_and_72_hours_for_gdpr()
    {
        var report = JsonNode.Parse(BreachAssessment.Json(Record()))!;

        Assert.Equal("2027-02-05T09:00:00Z", report["hipaa"]!["deadlines"]!["individuals"]!.GetValue<string>());
        Assert.Equal("2027-03-01T23:59:59Z", report["hipaa"]!["deadlines"]!["secretaryIfFewerThan500"]!.GetValue<string>());
        Assert.Equal("2026-12-10T09:00:00Z", report["gdpr"]!["notifyAuthorityBy"]!.GetValue<string>());
        Assert.Equal("2026-12-07T09:00:03Z", report["incident"]!["contained"]!.GetValue<string>());
        Assert.Equal(["e-1", "e-2"], report["timeline"]!.AsArray().Select(e => e!["eventId"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("phi", true, true)]
    [InlineData("pii", false, true)]
    [InlineData("pci", false, false)]
    [InlineData("internal", false, false)]
    public void Which_rules_apply_follows_the_data_class(string dataClass, bool hipaa, bool gdpr)
    {
        var report = JsonNode.Parse(BreachAssessment.Json(Record(dataClass)))!;

        Assert.Equal((hipaa, gdpr), (report["hipaa"]!["applies"]!.GetValue<bool>(), report["gdpr"]!["applies"]!.GetValue<bool>()));
    }

    [Fact]
    public void What_bucketguard_cannot_know_is_said_unknown_and_an_unlocked_exposure_is_not_called_mitigated()
    {
        var report = JsonNode.Parse(BreachAssessment.Json(Record(locked: false)))!;

        Assert.StartsWith("unknown", report["hipaa"]!["riskAssessment"]!["acquiredOrViewed"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("not locked by BucketGuard", report["hipaa"]!["riskAssessment"]!["mitigation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(report["incident"]!["contained"]);
        Assert.Contains(report["unknowns"]!.AsArray(), u => u!.GetValue<string>().Contains("bucketguard exposure lab-results", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_from_the_record_is_neutralised_in_the_report()
    {
        var hostile = Record(actor: "arn:aws:iam::1:user/x\u001b[2J\nFAKE: all clear");

        var text = BreachAssessment.Text(hostile);

        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nFAKE", text, StringComparison.Ordinal);
        Assert.Contains("HIPAA (applies)", text, StringComparison.Ordinal);
        Assert.Contains("GDPR Article 33 (applies)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_report_is_valid_against_its_json_schema_and_the_schema_refuses_one_that_is_not()
    {
        string[] documents = [BreachAssessment.Json(Record()), BreachAssessment.Json(Record(null, locked: false)), BreachAssessment.Json(Record("internal") with { State = IncidentState.Closed, ClosedAt = DateTimeOffset.UnixEpoch, ClosedBy = "sec" })];
        var broken = JsonNode.Parse(documents[0])!;
        broken["hipaa"]!["deadlines"]!["individuals"] = "in 60 days";

        Assert.Equal("ok", Validate(documents));
        Assert.Contains("hipaa/deadlines/individuals", Validate([broken.ToJsonString()]), StringComparison.Ordinal);
    }

    private static string Validate(IEnumerable<string> documents)
    {
        var start = new ProcessStartInfo("python3", [Path.Combine(Corpus.RepositoryRoot, "tests", "tools", "validate-json.py"), Path.Combine(Corpus.RepositoryRoot, "tests", "schemas", "breach-assessment.schema.json")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        foreach (var document in documents)
        {
            process.StandardInput.WriteLine(document);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output.Trim();
    }
}
