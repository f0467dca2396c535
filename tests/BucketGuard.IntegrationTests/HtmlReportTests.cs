using System.Diagnostics;
using BucketGuard.Cli;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Evidence;
using BucketGuard.Core.Reports;

namespace BucketGuard.IntegrationTests;

/// <summary>`audit --html`, looked at in a real browser: Debian's Chromium, headless (.ci/run installs it). The page is
/// rendered with its script run, its text and order read back from the DOM, its console checked for errors, and a
/// screenshot left in the test output (bin/.../audit-report.png; not committed).</summary>
[Trait("Category", "Integration")]
public sealed class HtmlReportTests
{
    private static BucketAudit Decided(string bucket, string canned, PublicAccessBlock? block = null, bool locked = false, params Tag[] tags)
    {
        var state = new BucketState(bucket, true, CannedAcl.Expand(canned).Value, null, block, null, null, [.. tags], null, []);
        var verdict = Remediation.Decide(BucketChange.ForSweep(bucket, "111122223333", "eu-west-1", DateTimeOffset.UtcNow), state,
            locked ? RemediationPolicy.Default : RemediationPolicy.Default with { Mode = Mode.Notify }, DateOnly.FromDateTime(DateTime.UtcNow));
        return new BucketAudit(new BucketRef(bucket, "eu-west-1"), verdict, locked ? new ActionResult(PublicAccessBlock.All, null) : null, null);
    }

    private static SweepReport Report() => new(
    [
        Decided("patient-reports", "public-read"),
        Decided("lab-uploads<script>alert(1)</script>", "public-read-write"),
        Decided("website-assets", "public-read", tags: [new("bucketguard:exempt-until", DateTime.UtcNow.AddDays(40).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), new("bucketguard:exempt-scope", "read-list"), new("bucketguard:exempt-reason", "public website")]),
        Decided("archive", "public-read", locked: true),
        Decided("private-logs", "private", block: PublicAccessBlock.All),
        new BucketAudit(new BucketRef("hidden", "eu-west-1"), null, null, "AccessDenied: GetBucketAcl"),
    ], null);

    private static (string Output, string Errors) Chromium(params string[] args)
    {
        var start = new ProcessStartInfo("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var browser = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start: install Debian's chromium package");
        var output = browser.StandardOutput.ReadToEndAsync();
        var errors = browser.StandardError.ReadToEndAsync();
        Assert.True(browser.WaitForExit(60_000), "chromium did not finish in 60 s");
        return (output.Result, errors.Result);
    }

    /// <summary>The page with its script run (hash given), as Chromium's DOM after it, with the console checked for
    /// errors and a screenshot left beside the tests (NAME.png; it must not be blank).</summary>
    private static string Rendered(string page, string hash)
    {
        var (dom, log) = Chromium("--dump-dom", "--virtual-time-budget=2000", new Uri(page).AbsoluteUri + hash);
        var screenshot = Path.ChangeExtension(page, ".png");
        Chromium("--screenshot=" + screenshot, "--window-size=1280,1100", new Uri(page).AbsoluteUri);
        Assert.DoesNotContain(log.Split('\n'), l => l.Contains("CONSOLE", StringComparison.Ordinal) && (l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal)));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        return dom;
    }

    [Fact]
    public void The_html_report_renders_in_headless_chromium_with_its_counts_chart_and_sortable_table_and_no_console_errors()
    {
        var page = Path.Combine(AppContext.BaseDirectory, "audit-report.html");
        File.WriteAllText(page, HtmlReport.Write(Report(), "111122223333", new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), b => $"https://{b.Bucket.Name}.s3.eu-west-1.amazonaws.com/"));

        var dom = Rendered(page, "#sort=0");

        Assert.Contains("Account 111122223333", dom, StringComparison.Ordinal);
        Assert.Contains("generated 2026-12-01 06:00 UTC", dom, StringComparison.Ordinal);
        Assert.Contains("<b>6</b>buckets", dom, StringComparison.Ordinal);
        Assert.Contains("<b>2</b>public, not exempted", dom, StringComparison.Ordinal);
        Assert.Contains("<svg id=\"chart\"", dom, StringComparison.Ordinal);
        Assert.Contains("AllUsers may WRITE", dom, StringComparison.Ordinal);
        Assert.Contains("exempt until", dom, StringComparison.Ordinal);
        Assert.Contains("https://patient-reports.s3.eu-west-1.amazonaws.com/", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)</script>", dom, StringComparison.Ordinal); // a bucket name is text, never markup
        Assert.Contains("lab-uploads&lt;script&gt;", dom, StringComparison.Ordinal);
        var rows = System.Text.RegularExpressions.Regex.Matches(dom, "<tr><td>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();
        // Written in the report's order (patient-reports first); #sort=0 made the page's own script sort by bucket.
        Assert.Equal(["archive", "hidden", "lab-uploads&lt;script&gt;alert(1)&lt;/script&gt;", "patient-reports", "private-logs", "website-assets"], rows);
    }

    [Fact]
    public void The_exposure_page_renders_in_headless_chromium_with_its_window_coverage_and_objects_sorted_by_reads_and_no_console_errors()
    {
        var t0 = new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
        var ledger = new AccessLedger("lab-results", "111122223333", t0, t0.AddHours(1), null);
        AccessRequest Get(string key, string ip, int status = 200) =>
            new(RequestSource.AccessLog, t0.AddMinutes(5), "lab-results", key, null, "REST.GET.OBJECT", true, null, null, ip, "curl/8.5.0<img src=x onerror=alert(1)>", status, null, 1000, Guid.NewGuid().ToString("n"), "H=");
        foreach (var request in new[] { Get("a.pdf", "203.0.113.7"), Get("b.pdf", "203.0.113.8"), Get("b.pdf", "203.0.113.9"), Get("<script>alert(2)</script>.pdf", "198.51.100.1", 403) })
        {
            ledger.Add(request);
        }

        var window = new ExposureWindow(t0, false, null, t0.AddHours(1), null, [new ExposureStep(t0, null, WasPublic.Yes)], "public from 2026-11-21 09:00:00Z until 2026-11-21 10:00:00Z");
        var report = new ExposureReport("lab-results", window, ledger.Report([new SourceCoverage(RequestSource.AccessLog, true, t0, t0.AddHours(2)), new SourceCoverage(RequestSource.DataEvent, false, null, null)]), ["s3://logs/x: line 3: not a record"]);
        var page = Path.Combine(AppContext.BaseDirectory, "exposure-report.html");
        File.WriteAllText(page, ExposureHtml.Write(report, "111122223333", t0.AddDays(1)));

        // #sort=1: the page's own script sorts by column 1 (reads), ascending.
        var dom = Rendered(page, "#sort=1");

        Assert.Contains("<b>read</b>access", dom, StringComparison.Ordinal);
        Assert.Contains("<b>3</b>reads from outside", dom, StringComparison.Ordinal);
        Assert.Contains("public from 2026-11-21 09:00:00Z until", dom, StringComparison.Ordinal);
        Assert.Contains("gap: CloudTrail data events are not recorded for this bucket", dom, StringComparison.Ordinal);
        Assert.Contains("s3://logs/x: line 3: not a record", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(2)", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", dom, StringComparison.Ordinal);
        var objects = dom[dom.IndexOf("id=\"objects\"", StringComparison.Ordinal)..];
        var keys = System.Text.RegularExpressions.Regex.Matches(objects, "<tr><td>([^<]*)</td>").Select(m => m.Groups[1].Value).ToList();
        // Sorted by reads as numbers, ascending: the refused object (0), a.pdf (1), b.pdf (2).
        Assert.Equal(["&lt;script&gt;alert(2)&lt;/script&gt;.pdf", "a.pdf", "b.pdf"], keys);
    }

    [Fact]
    public void The_incident_page_renders_in_headless_chromium_with_its_deadlines_timeline_evidence_and_a_worksheet_that_saves_as_json()
    {
        var opened = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var record = new BucketGuard.Core.Incidents.IncidentRecord(
            "inc-20261207-0123456789abcdef", "111122223333/lab-results", BucketGuard.Core.Incidents.IncidentState.Contained, opened, opened.AddMinutes(3), "critical", "phi", null, null,
            [
                new BucketGuard.Core.Incidents.IncidentEntry(opened, "e-1", "public-notified", "WouldBlock", "critical", false, "arn:aws:sts::111122223333:assumed-role/Lab/<script>alert(3)</script>", null, "the bucket is public (read)")
                {
                    Evidence = new BucketGuard.Core.Incidents.EvidenceItem("evidence/111122223333/lab-results/20261207T090000Z-0123456789abcdef.json", new string('a', 64), 0),
                },
                new BucketGuard.Core.Incidents.IncidentEntry(opened.AddMinutes(3), "e-2", "remediated", "Block", "critical", true, "arn:aws:sts::111122223333:assumed-role/Lab/alice", null, "the bucket is public (read)"),
            ]);
        var page = Path.Combine(AppContext.BaseDirectory, "incident-report.html");
        File.WriteAllText(page, IncidentHtml.Write(record, opened.AddDays(1)));

        // #export: the page's own script puts the worksheet's fields back into the report's JSON and shows it.
        var dom = Rendered(page, "#export");

        Assert.Contains("<b>contained</b>state", dom, StringComparison.Ordinal);
        Assert.Contains("<b>2027-02-05T09:00:00Z</b>HIPAA: individuals by", dom, StringComparison.Ordinal);
        Assert.Contains("<b>2026-12-10T09:00:00Z</b>GDPR: authority by", dom, StringComparison.Ordinal);
        Assert.Contains("evidence/111122223333/lab-results/20261207T090000Z-0123456789abcdef.json", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(3)", dom, StringComparison.Ordinal);
        Assert.Contains("<textarea id=\"hipaa.riskAssessment.acquiredOrViewed\"", dom, StringComparison.Ordinal);
        var exported = dom[(dom.IndexOf("<pre id=\"export\">", StringComparison.Ordinal) + "<pre id=\"export\">".Length)..];
        exported = System.Net.WebUtility.HtmlDecode(exported[..exported.IndexOf("</pre>", StringComparison.Ordinal)]);
        var saved = System.Text.Json.Nodes.JsonNode.Parse(exported)!;
        Assert.Equal(("inc-20261207-0123456789abcdef", 2), (saved["incident"]!["id"]!.GetValue<string>(), saved["timeline"]!.AsArray().Count));
        Assert.StartsWith("public access blocked by BucketGuard at 2026-12-07T09:03:00Z", saved["hipaa"]!["riskAssessment"]!["mitigation"]!.GetValue<string>(), StringComparison.Ordinal);
        // Saved untouched, the worksheet is the report `--output json` gives, member for member.
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(BucketGuard.Core.Incidents.BreachAssessment.Json(record)), saved), exported);
    }
}
