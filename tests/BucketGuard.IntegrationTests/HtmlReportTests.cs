using System.Diagnostics;
using BucketGuard.Cli;
using BucketGuard.Core;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Events;
using BucketGuard.Core.Decisions;
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

    [Fact]
    public void The_html_report_renders_in_headless_chromium_with_its_counts_chart_and_sortable_table_and_no_console_errors()
    {
        var page = Path.Combine(AppContext.BaseDirectory, "audit-report.html");
        File.WriteAllText(page, HtmlReport.Write(Report(), "111122223333", new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), b => $"https://{b.Bucket.Name}.s3.eu-west-1.amazonaws.com/"));

        var (dom, log) = Chromium("--dump-dom", "--virtual-time-budget=2000", new Uri(page).AbsoluteUri + "#sort=0");
        Chromium("--screenshot=" + Path.Combine(AppContext.BaseDirectory, "audit-report.png"), "--window-size=1280,1100", new Uri(page).AbsoluteUri);

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
        Assert.DoesNotContain(log.Split('\n'), l => l.Contains("CONSOLE", StringComparison.Ordinal) && (l.Contains("Uncaught", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal)));
        Assert.True(new FileInfo(Path.Combine(AppContext.BaseDirectory, "audit-report.png")).Length > 10_000, "the screenshot is empty");
    }
}
