using System.Globalization;
using System.Text;
using BucketGuard.Core;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Cli;

/// <summary>`exposure --html FILE`: one self-contained page (inline CSS and script, nothing fetched) for the privacy
/// officer: the window with its cause and end, the verdict and counts, the replayed timeline, what each source covered
/// and the gaps, and every object touched from outside in a table sortable by any column. Every text from an event or a
/// log is neutralised (Untrusted.Clean) and HTML-encoded.</summary>
public static class ExposureHtml
{
    public static string Write(ExposureReport report, string? account, DateTimeOffset generated)
    {
        static string E(string? value) => HtmlReport.E(Untrusted.Clean(value, 2048));
        static string T(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "—";
        var (window, ledger) = (report.Window, report.Ledger);
        var h = new StringBuilder(HtmlReport.Head($"BucketGuard exposure of {report.Bucket}"));
        h.Append(CultureInfo.InvariantCulture, $"<h1>Exposure of {E(report.Bucket)}</h1><div class=\"meta\">Account {E(account ?? "(unknown)")} · generated {E(T(generated))}</div>");
        h.Append(CultureInfo.InvariantCulture, $"<p id=\"window\">{E(window.Explanation)}</p>");
        h.Append("<div class=\"cards\">");
        foreach (var (label, value) in new (string, string)[]
        {
            ("access", LedgerReport.VerdictName(ledger.Verdict)), ("public from", (window.StartIsLowerBound ? "at least " : string.Empty) + T(window.Start)), ("public until", T(window.End)),
            ("reads from outside", ledger.Reads.ToString(CultureInfo.InvariantCulture)), ("refused", ledger.Denied.ToString(CultureInfo.InvariantCulture)),
            ("bytes sent", ledger.BytesSent.ToString("N0", CultureInfo.InvariantCulture)), ("requests from inside", ledger.InsideRequests.ToString(CultureInfo.InvariantCulture)),
        })
        {
            h.Append(CultureInfo.InvariantCulture, $"<div class=\"card\" data-card=\"{E(label)}\"><b>{E(value)}</b>{E(label)}</div>");
        }

        h.Append("</div><h2>Timeline</h2><table id=\"timeline\"><thead><tr><th>From</th><th>Change</th><th>By</th><th>From where</th><th>Event</th><th>Public</th></tr></thead><tbody>");
        foreach (var step in window.Steps)
        {
            var c = step.Change;
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(T(step.From))}</td><td>{E(c?.EventName ?? "(history starts)")}</td><td>{E(c?.Actor.ToString())}</td><td>{E(c?.SourceIp)}</td><td>{E(c?.EventId)}</td><td>{E(step.Public.ToString().ToLowerInvariant())}</td></tr>");
        }

        h.Append("</tbody></table><h2>Coverage</h2><ul id=\"coverage\">");
        foreach (var source in ledger.Sources)
        {
            var name = source.Source == RequestSource.DataEvent ? "CloudTrail data events" : "Server access logs";
            h.Append(CultureInfo.InvariantCulture, $"<li>{E(name)}: {(source.Enabled ? $"{E(T(source.From))} to {E(T(source.To))}" : "not recorded")}</li>");
        }

        foreach (var gap in ledger.Gaps)
        {
            h.Append(CultureInfo.InvariantCulture, $"<li class=\"gap\">gap: {E(gap)}</li>");
        }

        h.Append("</ul><h2>Objects touched from outside</h2><table id=\"objects\"><thead><tr><th>Object</th><th>Reads</th><th>Refused</th><th>Bytes sent</th><th>First</th><th>Last</th><th>Callers</th><th>Source IPs</th><th>User agents</th></tr></thead><tbody>");
        foreach (var o in ledger.Objects.Where(o => o.Reads > 0 || o.Denied > 0))
        {
            var ips = string.Join(", ", o.SourceIps.Select(ip => Untrusted.Clean(ip))) + (o.MoreSourceIps > 0 ? $" and {o.MoreSourceIps} more" : string.Empty);
            var agents = string.Join(", ", o.UserAgents.Select(a => Untrusted.Clean(a))) + (o.MoreUserAgents > 0 ? $" and {o.MoreUserAgents} more" : string.Empty);
            h.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(o.Key ?? "(the bucket)")}</td><td data-n=\"{o.Reads}\">{o.Reads}</td><td data-n=\"{o.Denied}\">{o.Denied}</td><td data-n=\"{o.BytesSent}\">{o.BytesSent.ToString("N0", CultureInfo.InvariantCulture)}</td><td>{E(T(o.First))}</td><td>{E(T(o.Last))}</td><td>{E(string.Join(", ", o.Callers.Select(LedgerReport.CallerName)))}</td><td>{E(ips)}</td><td class=\"why\">{E(agents)}</td></tr>");
        }

        h.Append("</tbody></table>");
        if (!report.Problems.IsEmpty)
        {
            h.Append("<h2>Could not be read</h2><ul id=\"problems\">");
            foreach (var problem in report.Problems)
            {
                h.Append(CultureInfo.InvariantCulture, $"<li>{E(problem)}</li>");
            }

            h.Append("</ul>");
        }

        h.Append(HtmlReport.SortScript("objects")).Append("</body></html>");
        return h.ToString();
    }
}
