using System.Globalization;
using System.Text;
using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Incidents;

namespace BucketGuard.Cli;

/// <summary>`incident show ID --html FILE`: the breach-assessment report as one self-contained page (inline CSS and
/// script, nothing fetched) for the privacy officer: the incident and its deadlines, the timeline (sortable), the
/// exposure reports' versions, the evidence with its hashes, and the HIPAA risk assessment and GDPR Article 33 fields as
/// a form pre-filled from the record, to complete and save as JSON (the same shape as `--output json`, the person's
/// answers in place). Built from BreachAssessment.Json, so the page and the JSON never disagree; every text from the
/// record is neutralised there and HTML-encoded here.</summary>
public static class IncidentHtml
{
    public static string Write(IncidentRecord record, DateTimeOffset generated)
    {
        var json = BreachAssessment.Json(record);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var incident = root.GetProperty("incident");
        static string E(string? value) => HtmlReport.E(value);
        static string S(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "—";
        var h = new StringBuilder(HtmlReport.Head($"BucketGuard incident {record.Id}"));
        h.Append("<style>textarea{width:100%;min-height:3.2rem;font:inherit}label{display:block;font-weight:600;margin-top:.6rem}fieldset{border:1px solid #ccc;margin:1rem 0}</style>");
        h.Append(CultureInfo.InvariantCulture, $"<h1>Incident {E(record.Id)}</h1><div class=\"meta\">{E(S(incident, "key"))} · generated {E(generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}</div>");
        var hipaa = root.GetProperty("hipaa");
        var gdpr = root.GetProperty("gdpr");
        h.Append("<div class=\"cards\">");
        foreach (var (label, value) in new (string, string)[]
        {
            ("state", S(incident, "state")), ("severity", S(incident, "severity")), ("data class", S(incident, "dataClass")),
            ("discovered", S(incident, "discovered")), ("contained", S(incident, "contained")),
            ("HIPAA: individuals by", S(hipaa.GetProperty("deadlines"), "individuals")), ("GDPR: authority by", S(gdpr, "notifyAuthorityBy")),
        })
        {
            h.Append(CultureInfo.InvariantCulture, $"<div class=\"card\" data-card=\"{E(label)}\"><b>{E(value)}</b>{E(label)}</div>");
        }

        h.Append("</div><h2>Timeline</h2><table id=\"timeline\"><thead><tr><th>Time</th><th>Decision</th><th>Outcome</th><th>Severity</th><th>Locked</th><th>By</th><th>Event</th><th>Why</th></tr></thead><tbody>");
        foreach (var entry in root.GetProperty("timeline").EnumerateArray())
        {
            h.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(S(entry, "time"))}</td><td>{E(S(entry, "eventType"))}</td><td>{E(S(entry, "outcome"))}</td><td class=\"sev-{E(S(entry, "severity"))}\">{E(S(entry, "severity"))}</td><td>{(entry.GetProperty("locked").GetBoolean() ? "yes" : "no")}</td><td>{E(S(entry, "actor"))}</td><td>{E(S(entry, "eventId"))}</td><td class=\"why\">{E(S(entry, "why"))}</td></tr>");
        }

        h.Append("</tbody></table>");
        if (root.TryGetProperty("exposureReports", out var reports) && reports.GetArrayLength() > 0)
        {
            h.Append("<h2>Who read what: the exposure report, every version</h2><table id=\"reports\"><thead><tr><th>Version</th><th>Reported</th><th>Public from</th><th>Until</th><th>Access</th><th>Reads</th><th>Refused</th><th>Bytes sent</th><th>Gaps</th></tr></thead><tbody>");
            foreach (var report in reports.EnumerateArray())
            {
                var gaps = string.Join("; ", report.GetProperty("gaps").EnumerateArray().Select(g => g.GetString()));
                h.Append(CultureInfo.InvariantCulture,
                    $"<tr><td data-n=\"{report.GetProperty("version").GetInt32()}\">{report.GetProperty("version").GetInt32()}</td><td>{E(S(report, "reportedAt"))}</td><td>{E(S(report, "publicFrom"))}</td><td>{E(S(report, "publicUntil"))}</td><td>{E(S(report, "access"))}</td><td data-n=\"{report.GetProperty("reads").GetInt32()}\">{report.GetProperty("reads").GetInt32()}</td><td data-n=\"{report.GetProperty("refused").GetInt32()}\">{report.GetProperty("refused").GetInt32()}</td><td data-n=\"{report.GetProperty("bytesSent").GetInt64()}\">{report.GetProperty("bytesSent").GetInt64().ToString("N0", CultureInfo.InvariantCulture)}</td><td class=\"why\">{E(gaps)}</td></tr>");
            }

            h.Append("</tbody></table>");
        }

        h.Append("<h2>Evidence</h2><ul id=\"evidence\">");
        foreach (var item in Evidence(root))
        {
            h.Append(CultureInfo.InvariantCulture, $"<li><code>{E(item.Key)}</code> sha256 <code>{E(item.Sha256)}</code></li>");
        }

        h.Append("</ul><p>Check it with <code>bucketguard incident verify ").Append(E(record.Id)).Append("</code>.</p>");
        h.Append("<form id=\"worksheet\"><fieldset><legend>HIPAA breach risk assessment (45 CFR 164.402)</legend>");
        h.Append(CultureInfo.InvariantCulture, $"<p>{E(S(hipaa, "basis"))}</p>");
        Fields(h, "hipaa.riskAssessment", hipaa.GetProperty("riskAssessment"));
        h.Append("</fieldset><fieldset><legend>GDPR Article 33 notification</legend>");
        h.Append(CultureInfo.InvariantCulture, $"<p>{E(S(gdpr, "basis"))}</p>");
        Fields(h, "gdpr.article33", gdpr.GetProperty("article33"));
        h.Append("</fieldset><button type=\"button\" id=\"save\">Save the worksheet as JSON</button></form>");
        h.Append("<h2>Unknown</h2><ul id=\"unknowns\">");
        foreach (var unknown in root.GetProperty("unknowns").EnumerateArray())
        {
            h.Append(CultureInfo.InvariantCulture, $"<li>{E(unknown.GetString())}</li>");
        }

        h.Append("</ul><pre id=\"export\" hidden></pre>");

        // The report as data for the script: '<' written as \u003c so that no text can close the script element.
        h.Append("<script type=\"application/json\" id=\"assessment\">").Append(json.Replace("<", "\\u003c", StringComparison.Ordinal)).Append("</script>");
        h.Append(SaveScript).Append(HtmlReport.SortScript("timeline")).Append("</body></html>");
        return h.ToString();
    }

    /// <summary>Every evidence item the timeline and the report versions list.</summary>
    private static IEnumerable<(string Key, string Sha256)> Evidence(JsonElement root)
    {
        var lists = root.GetProperty("timeline").EnumerateArray()
            .Concat(root.TryGetProperty("exposureReports", out var reports) ? reports.EnumerateArray() : Enumerable.Empty<JsonElement>());
        foreach (var entry in lists)
        {
            if (entry.TryGetProperty("evidence", out var evidence) && evidence.ValueKind == JsonValueKind.Object)
            {
                yield return (evidence.GetProperty("key").GetString()!, evidence.GetProperty("sha256").GetString()!);
            }
        }
    }

    private static void Fields(StringBuilder h, string path, JsonElement fields)
    {
        foreach (var field in fields.EnumerateObject())
        {
            var name = $"{path}.{field.Name}";
            h.Append(CultureInfo.InvariantCulture, $"<label for=\"{HtmlReport.E(name)}\">{HtmlReport.E(field.Name)}</label><textarea id=\"{HtmlReport.E(name)}\" name=\"{HtmlReport.E(name)}\">{HtmlReport.E(field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : string.Empty)}</textarea>");
        }
    }

    /// <summary>Puts each textarea's text back at its path in the report's JSON and offers it as a download; PAGE#export
    /// writes it into the page instead (for a person without downloads, and for the browser test).</summary>
    private const string SaveScript = """
        <script>
        (function () {
          function filled() {
            var report = JSON.parse(document.getElementById('assessment').textContent);
            document.querySelectorAll('#worksheet textarea').forEach(function (area) {
              var path = area.name.split('.'), at = report;
              for (var i = 0; i < path.length - 1; i++) { at = at[path[i]]; }
              var last = path[path.length - 1];
              // A field the report left null and the person left empty stays null (not filled in), not "".
              at[last] = area.value === '' && at[last] === null ? null : area.value;
            });
            return JSON.stringify(report, null, 2);
          }
          document.getElementById('save').addEventListener('click', function () {
            var link = document.createElement('a');
            link.href = URL.createObjectURL(new Blob([filled()], { type: 'application/json' }));
            link.download = 'breach-assessment-' + JSON.parse(document.getElementById('assessment').textContent).incident.id + '.json';
            link.click();
          });
          if (location.hash === '#export') {
            var out = document.getElementById('export');
            out.textContent = filled();
            out.hidden = false;
          }
        })();
        </script>
        """;
}
