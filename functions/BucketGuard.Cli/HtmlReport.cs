using System.Globalization;
using System.Net;
using System.Text;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Reports;

namespace BucketGuard.Cli;

/// <summary>`audit --html FILE`: one self-contained HTML page (inline CSS, an inline SVG chart and a few lines of inline
/// script; nothing fetched) a security engineer can hand on: the date and account, the summary counts, a chart of the
/// buckets by exposure and severity, and a table sortable by any column with each public bucket's reasons, exemption
/// and URL. Every value from S3 (names, tags, policies) is HTML-encoded.</summary>
public static class HtmlReport
{
    private static readonly (string Label, string Colour)[] Kinds =
    [
        ("public, not exempted", "#c62828"),
        ("locked by --fix", "#2e7d32"),
        ("exempted", "#f9a825"),
        ("objects can be public", "#6d4c41"),
        ("could not be read", "#7b1fa2"),
        ("error", "#424242"),
        ("not public", "#90a4ae"),
    ];

    /// <summary>Which of the chart's kinds a bucket is.</summary>
    public static string KindOf(BucketAudit b) =>
        b.Error is not null ? "error"
        : b.Unknown ? "could not be read"
        : b.Locked ? "locked by --fix"
        : b.Verdict?.Outcome == Outcome.Exempted ? "exempted"
        : b.Unexempted ? "public, not exempted"
        : b.Verdict?.ObjectsCanBePublic == true ? "objects can be public"
        : "not public";

    public static string Write(SweepReport report, string? account, DateTimeOffset generated, Func<BucketAudit, string> url)
    {
        var h = new StringBuilder();
        h.Append(Head("BucketGuard audit"));
        h.Append(CultureInfo.InvariantCulture, $"<h1>BucketGuard audit</h1><div class=\"meta\">Account {E(account ?? "(credentials' own)")} · generated {E(generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}{(report.Completed ? string.Empty : " · stopped before the end")}</div>");
        h.Append("<div class=\"cards\">");
        foreach (var (label, value) in new (string, int)[]
        {
            ("buckets", report.Seen), ("public", report.Public), ("public, not exempted", report.Buckets.Count(b => b.Unexempted)), ("locked by --fix", report.Locked),
            ("exempted", report.Exempted), ("objects can be public", report.ObjectsCanBePublic), ("could not be read", report.Unreadable), ("errors", report.Errors),
        })
        {
            h.Append(CultureInfo.InvariantCulture, $"<div class=\"card\" data-count=\"{E(label)}\"><b>{value}</b>{E(label)}</div>");
        }

        h.Append("</div>");
        AppendChart(h, report);
        h.Append("<h2>Buckets</h2><table id=\"buckets\"><thead><tr>");
        foreach (var column in new[] { "Bucket", "Region", "Status", "Severity", "Why", "Exemption", "URL" })
        {
            h.Append(CultureInfo.InvariantCulture, $"<th>{column}</th>");
        }

        h.Append("</tr></thead><tbody>");
        foreach (var b in report.Buckets)
        {
            var severity = b.PublicInEffect || b.Unknown ? b.Verdict?.Severity.ToString().ToLowerInvariant() ?? "high" : string.Empty;
            var why = b.Problem is { } problem && !b.PublicInEffect ? problem
                : string.Join("; ", (b.Exposure?.Findings ?? []).Where(f => f.InEffect).Select(FindingJson.Describe));
            var exemption = b.Verdict?.Exemption is { State: not ExemptionState.None } e ? e.ToString() : string.Empty;
            var link = b.PublicInEffect && !b.Locked ? url(b) : null;
            h.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(b.Bucket.Name)}</td><td>{E(b.Bucket.Region ?? string.Empty)}</td><td>{E(KindOf(b))}</td><td class=\"sev-{E(severity)}\">{E(severity)}</td><td class=\"why\">{E(why)}</td><td>{E(exemption)}</td><td>{(link is null ? string.Empty : $"<a href=\"{E(link)}\">{E(link)}</a>")}</td></tr>");
        }

        h.Append("</tbody></table>").Append(SortScript("buckets")).Append("</body></html>");
        return h.ToString();
    }

    /// <summary>The page's head: the title and the one inline style sheet the reports share.</summary>
    internal static string Head(string title) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}}</title>
        <style>
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#212121}
        h1{margin:0 0 .25rem}.meta{color:#616161;margin-bottom:1.5rem}
        .cards{display:flex;gap:1rem;flex-wrap:wrap;margin-bottom:1.5rem}
        .card{border:1px solid #e0e0e0;border-radius:8px;padding:.75rem 1rem;min-width:9rem}
        .card b{display:block;font-size:1.6rem}
        table{border-collapse:collapse;width:100%;font-size:.9rem}
        th,td{border-bottom:1px solid #eee;padding:.4rem .5rem;text-align:left;vertical-align:top}
        th{cursor:pointer;background:#fafafa;user-select:none}th:after{content:" \2195";color:#bdbdbd}
        .sev-critical{color:#b71c1c;font-weight:600}.sev-high{color:#c62828}.sev-medium{color:#ef6c00}
        td.why{max-width:36rem;word-break:break-word}
        </style></head><body>
        """;

    /// <summary>Sorts the table by a column when its header is clicked; PAGE#sort=N opens it sorted by column N, for a link
    /// a person can hand on. Numbers (data-n) sort as numbers.</summary>
    internal static string SortScript(string tableId) => $$"""
        <script>
        (function () {
          var headers = document.querySelectorAll('#{{tableId}} th');
          headers.forEach(function (th, column) {
            th.addEventListener('click', function () {
              var body = document.querySelector('#{{tableId}} tbody');
              var ascending = th.getAttribute('data-order') !== 'asc';
              function key(row) { var c = row.cells[column]; return c.hasAttribute('data-n') ? Number(c.getAttribute('data-n')) : c.textContent; }
              Array.from(body.rows)
                .sort(function (a, b) { var x = key(a), y = key(b); return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * (ascending ? 1 : -1); })
                .forEach(function (row) { body.appendChild(row); });
              th.setAttribute('data-order', ascending ? 'asc' : 'desc');
            });
          });
          var sort = /^#sort=(\d+)$/.exec(location.hash);
          if (sort && headers[Number(sort[1])]) { headers[Number(sort[1])].click(); }
        })();
        </script>
        """;

    /// <summary>Horizontal bars: buckets by kind, and the public ones by severity.</summary>
    private static void AppendChart(StringBuilder h, SweepReport report)
    {
        var byKind = Kinds.Select(k => (k.Label, k.Colour, Count: report.Buckets.Count(b => KindOf(b) == k.Label))).ToList();
        var bySeverity = Enumerable.Reverse(Enum.GetValues<Severity>())
            .Select(s => (Label: s.ToString().ToLowerInvariant(), Colour: s switch
            {
                Severity.Critical => "#b71c1c",
                Severity.High => "#e53935",
                Severity.Medium => "#fb8c00",
                Severity.Low => "#fdd835",
                Severity.Info => "#b0bec5",
            }, Count: report.Buckets.Count(b => b.PublicInEffect && b.Verdict?.Severity == s))).ToList();
        var max = Math.Max(1, byKind.Concat(bySeverity).Max(r => r.Count));
        var rows = byKind.Count + bySeverity.Count + 2;
        h.Append(CultureInfo.InvariantCulture, $"<h2>Buckets by exposure and severity</h2><svg id=\"chart\" role=\"img\" aria-label=\"Buckets by exposure and severity\" width=\"640\" height=\"{rows * 24}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">");
        var y = 0;
        void Section(string title, List<(string Label, string Colour, int Count)> bars)
        {
            h.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 16}\" font-weight=\"bold\">{E(title)}</text>");
            y += 24;
            foreach (var (label, colour, count) in bars)
            {
                var width = (int)Math.Round(380.0 * count / max);
                h.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 15}\">{E(label)}</text><rect x=\"170\" y=\"{y + 4}\" width=\"{width}\" height=\"14\" fill=\"{colour}\"></rect><text x=\"{176 + width}\" y=\"{y + 15}\">{count}</text>");
                y += 24;
            }
        }

        Section("Exposure", byKind);
        Section("Public buckets by severity", bySeverity);
        h.Append("</svg>");
    }

    internal static string E(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);
}
