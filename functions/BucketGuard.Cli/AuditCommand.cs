using System.CommandLine;
using Spectre.Console;
using BucketGuard.Aws;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Sweep;
using BucketGuard.Core.Reports;

namespace BucketGuard.Cli;

/// <summary>`bucketguard audit [--json|--csv] [--fix [--yes]] [--concurrency N] [--objects N]`: every bucket of the configured account,
/// judged exactly as the functions judge them. Exit code 0 when no bucket is public beyond its exemption, 1 when one
/// is, 2 when the audit could not run or some bucket could not be read (2 wins over 1, as in `check`: a bucket that
/// could not be read may be public too).</summary>
public static class AuditCommand
{
    public static Command Create(TextReader input, TextWriter output, TextWriter errors)
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per bucket per line" };
        var csv = new Option<bool>("--csv") { Description = "Comma-separated values with a header row" };
        var fix = new Option<bool>("--fix") { Description = "Apply the functions' remediation (Block Public Access) to public buckets without a valid exemption" };
        var yes = new Option<bool>("--yes") { Description = "Do not ask before --fix" };
        var concurrency = new Option<int>("--concurrency") { Description = "Buckets read at once", DefaultValueFactory = _ => 64 };
        var account = new Option<string?>("--account") { Description = "Account id, for the account-level Block Public Access and the report" };
        var objects = new Option<int>("--objects") { Description = "Sample up to N objects of each bucket whose objects can be public (ListObjectsV2, then GetObjectAcl each: N + 1 requests per such bucket) and list the public ones", DefaultValueFactory = _ => 0 };
        var html = new Option<FileInfo?>("--html") { Description = "Also write a self-contained HTML report (summary, chart, sortable table) to this file" };
        var format = new Option<string?>("--output") { Description = "Output format: table (default), json (one object per bucket per line), csv, or text (tab-separated, no header)" };
        format.AcceptOnlyFromAmong("table", "json", "csv", "text");
        var command = new Command("audit", "Evaluate every bucket of the account and list the public ones, why, and at what URL") { json, csv, format, html, fix, yes, concurrency, account, objects };
        command.Validators.Add(result =>
        {
            var chosen = new[] { result.GetValue(json) ? "json" : null, result.GetValue(csv) ? "csv" : null, result.GetValue(format) }.OfType<string>().Distinct().ToList();
            if (result.GetValue(json) && result.GetValue(csv))
            {
                result.AddError("--json and --csv cannot be used together: choose one output format");
            }
            else if (chosen.Count > 1)
            {
                result.AddError($"--json, --csv and --output choose the output format, and they disagree ({string.Join(", ", chosen)}): choose one");
            }
        });
        concurrency.Validators.Add(result =>
        {
            if (!result.Implicit && result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"--concurrency must be at least 1, not {result.GetValueOrDefault<int>()}");
            }
        });
        objects.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > RemediationPolicy.MaxObjectSample)
            {
                result.AddError($"--objects must be from 0 to {RemediationPolicy.MaxObjectSample}, not {result.GetValueOrDefault<int>()}");
            }
        });
        command.SetAction((parse, cancellationToken) => RunAsync(
            new Options(parse.GetValue(json) || parse.GetValue(format) == "json", parse.GetValue(csv) || parse.GetValue(format) == "csv", parse.GetValue(fix), parse.GetValue(yes), parse.GetValue(concurrency), parse.GetValue(account), parse.GetValue(objects))
            {
                Text = parse.GetValue(format) == "text",
                Html = parse.GetValue(html)?.FullName,
            },
            Environment.GetEnvironmentVariable, input, output, errors, cancellationToken));
        return command;
    }

    /// <param name="Objects">Objects sampled per bucket whose objects can be public (0: none).</param>
    public sealed record Options(bool Json, bool Csv, bool Fix, bool Yes, int Concurrency, string? Account, int Objects = 0)
    {
        /// <summary>--output text: the table's rows, tab-separated, without header or summary (for scripts).</summary>
        public bool Text { get; init; }

        /// <summary>--html FILE: where the HTML report goes, besides the chosen output.</summary>
        public string? Html { get; init; }
    }

    public static async Task<int> RunAsync(Options options, Func<string, string?> environment, TextReader input, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var settings = options.Objects > 0
            ? name => name == "BUCKETGUARD_SWEEP_OBJECT_SAMPLE" ? options.Objects.ToString(System.Globalization.CultureInfo.InvariantCulture) : environment(name)
            : environment;
        var sweeper = Composition.CreateSweeper(settings, requireTopic: false);
        if (!sweeper.Ok)
        {
            await errors.WriteLineAsync($"bucketguard audit: {sweeper.Error}").ConfigureAwait(false);
            return 2;
        }

        var progress = new Progress(errors);
        var report = await sweeper.Value!.RunAsync(options.Account, act: false, options.Concurrency, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        progress.Done();
        if (options.Fix && report.Buckets.Any(b => b.Unexempted))
        {
            var targets = report.Buckets.Where(b => b.Unexempted).Select(b => b.Bucket.Name).ToList();
            if (!options.Yes)
            {
                await errors.WriteLineAsync($"Lock {targets.Count} public bucket(s) with Block Public Access: {string.Join(", ", targets)}? [y/N]").ConfigureAwait(false);
                var answer = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (!string.Equals(answer?.Trim(), "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
                {
                    await errors.WriteLineAsync("bucketguard audit: nothing changed (answer y, or pass --yes)").ConfigureAwait(false);
                    Write(report, options, output, environment);
                    return 1;
                }
            }

            // Re-evaluated, not replayed: what is true now decides, as in the functions.
            report = await sweeper.Value.RunAsync(options.Account, act: true, options.Concurrency, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
            progress.Done();
        }

        Write(report, options, output, environment);
        if (options.Html is { } page)
        {
            var endpoint = environment("AWS_ENDPOINT_URL_S3") ?? environment("AWS_ENDPOINT_URL");
            await File.WriteAllTextAsync(page, HtmlReport.Write(report, options.Account, DateTimeOffset.UtcNow, b => Url(b, endpoint)), cancellationToken).ConfigureAwait(false);
            await errors.WriteLineAsync($"bucketguard audit: HTML report written to {page}").ConfigureAwait(false);
        }

        if (report.ListError is not null)
        {
            // Said in every output format: an empty table must not read as an account without buckets.
            var why = report.ListException is { } failure ? $"the buckets of account {options.Account ?? "(unknown)"} could not be listed: {BucketGuardCli.Describe(failure)}" : report.ListError;
            await errors.WriteLineAsync($"bucketguard audit: {why}").ConfigureAwait(false);
            if (options.Json)
            {
                await output.WriteLineAsync(JsonLine.Write(w => w.WriteString("error", report.ListError))).ConfigureAwait(false);
            }
        }

        return report.Errors > 0 ? 2 : report.Buckets.Any(b => b.Unexempted) ? 1 : 0;
    }

    /// <summary>The report in the chosen format: one JSON object per bucket, CSV, tab-separated text, or the table with the public
    /// objects and access points under it and the summary line.</summary>
    public static void Write(SweepReport report, Options options, TextWriter output, Func<string, string?> environment)
    {
        var endpoint = environment("AWS_ENDPOINT_URL_S3") ?? environment("AWS_ENDPOINT_URL");
        if (options.Json)
        {
            foreach (var b in report.Buckets)
            {
                output.WriteLine(BucketLine(b, Url(b, endpoint), endpoint));
            }

            return;
        }

        var rows = report.Buckets.Select(b => new[]
        {
            b.Bucket.Name,
            b.Bucket.Region ?? string.Empty,
            b.Error is not null ? "error" : b.Unknown ? "unknown" : b.Exposure?.IsPublic == true ? "yes" : "no",
            b.Error is not null ? string.Empty : b.Unknown ? "unknown" : b.PublicInEffect ? (b.Locked ? "locked now" : "yes") : "no",
            b.Problem is { } problem && !b.PublicInEffect ? problem : Why(b),
            b.Verdict?.Exemption?.State switch { ExemptionState.Valid => $"until {b.Verdict.Exemption.Until:yyyy-MM-dd} ({b.Verdict.Exemption.ScopeName})", ExemptionState.Invalid => "invalid", _ => string.Empty },
            PublicObjects(b).Count is > 0 and var n ? $"{n} public" : b.Verdict?.ObjectsCanBePublic == true ? "can be public" : string.Empty,
            b.PublicInEffect && !b.Locked ? Url(b, endpoint) : string.Empty,
        }).ToList();
        string[] header = ["BUCKET", "REGION", "PUBLIC", "IN EFFECT", "WHY", "EXEMPTION", "OBJECTS", "URL"];
        if (options.Text)
        {
            foreach (var row in rows)
            {
                output.WriteLine(string.Join('\t', row.Select(c => c.Replace('\t', ' '))));
            }

            return;
        }

        if (options.Csv)
        {
            output.WriteLine(string.Join(',', header.Select(Csv)));
            foreach (var row in rows)
            {
                output.WriteLine(string.Join(',', row.Select(Csv)));
            }

            return;
        }

        // The table through Spectre.Console, plain (no colour or ANSI codes, so it reads the same in a file or a pipe),
        // wide enough that rows do not wrap; WHY and URL may still wrap inside their cells.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 240;
        var table = new Table { Border = TableBorder.Simple, ShowHeaders = true };
        foreach (var column in header)
        {
            table.AddColumn(new TableColumn(column) { NoWrap = column is not ("WHY" or "URL") });
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(c => new Text(c))]);
        }

        console.Write(table);
        foreach (var b in report.Buckets)
        {
            foreach (var point in b.AccessPoints ?? [])
            {
                var open = PublicThrough(b, point);
                output.WriteLine($"  access point {Untrusted.Clean(point.Name)} of {b.Bucket.Name}: {point.NetworkOrigin}{(point.VpcId is null ? string.Empty : " " + Untrusted.Clean(point.VpcId))}, {(open ? "public" : "not public")}{(open && point.Alias is { } alias ? $"  alias {Untrusted.Clean(alias)}  {Untrusted.Clean(S3Url.Of(alias, b.Bucket.Region ?? "us-east-1"))}" : string.Empty)}{(open && b.Locked ? "  (locked now)" : string.Empty)}");
            }

            foreach (var key in PublicObjects(b))
            {
                output.WriteLine($"public object: {b.Bucket.Name}/{Untrusted.Clean(key)}  {ObjectUrl(b, key, endpoint)}{(b.Locked ? "  (locked now)" : string.Empty)}");
            }
        }

        output.WriteLine(Summary(report, options.Fix));
    }

    /// <summary>The closing line: what is public and what became of it, in words that read right whether --fix ran or not
    /// ("3 public: 2 locked by --fix, 1 exempted").</summary>
    public static string Summary(SweepReport report, bool fix)
    {
        var open = report.Buckets.Count(b => b.Unexempted);
        List<string> parts = [];
        if (fix)
        {
            parts.Add($"{report.Locked} locked by --fix");
        }

        parts.Add($"{report.Exempted} exempted");
        parts.Add(open == 0 ? "none left public without a valid exemption" : $"{open} public without a valid exemption{(fix ? " (not locked: see WHY)" : "; --fix locks them")}");
        return $"{report.Seen} bucket(s), {report.Public} public: {string.Join(", ", parts)}. {report.ObjectsCanBePublic} whose objects can be public; {report.Unreadable} could not be read; {report.Errors} error(s).";
    }

    /// <summary>Whether an access point's policy made the bucket public (a finding of it in effect).</summary>
    private static bool PublicThrough(BucketAudit b, BucketGuard.Core.Decisions.AccessPoint point) =>
        (b.Exposure?.Findings ?? []).Any(f => f.Source == FindingSource.AccessPointPolicyStatement && f.AccessPoint == point.Name && f.InEffect);

    /// <summary>The objects whose own ACL is public in effect (found by --objects sampling), by key.</summary>
    private static List<string> PublicObjects(BucketAudit b) =>
        [.. (b.Exposure?.Findings ?? []).Where(f => f.Source == FindingSource.ObjectAclGrant && f.InEffect && f.Object is not null).Select(f => f.Object!).Distinct()];

    private static string ObjectUrl(BucketAudit b, string key, string? endpoint) => S3Url.Of(b.Bucket.Name, b.Bucket.Region ?? "us-east-1", key, endpoint);

    /// <summary>The findings in short words: "AllUsers READ; statement 1 * s3:GetObject".</summary>
    private static string Why(BucketAudit b) =>
        string.Join("; ", (b.Exposure?.Findings ?? []).Select(f => $"{f.Principal} {string.Join("+", f.Actions)}{(f.NeutralisedBy is null ? string.Empty : " (stopped)")}"));

    private static string Url(BucketAudit b, string? endpoint) => S3Url.Of(b.Bucket.Name, b.Bucket.Region ?? "us-east-1", endpoint: endpoint);

    private static string Csv(string value) => value.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string BucketLine(BucketAudit b, string url, string? endpoint)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteString("bucket", b.Bucket.Name);
            w.WriteString("region", b.Bucket.Region);
            if (!b.Unknown)
            {
                w.WriteBoolean("public", b.Exposure?.IsPublic == true);
                w.WriteBoolean("publicInEffect", b.PublicInEffect);
            }
            else
            {
                w.WriteNull("public");
                w.WriteNull("publicInEffect");
            }

            w.WriteString("outcome", b.Verdict?.Outcome.ToString());
            w.WriteBoolean("locked", b.Locked);
            w.WriteStartArray("findings");
            foreach (var f in b.Exposure?.Findings ?? [])
            {
                FindingJson.Write(w, f);
            }

            w.WriteEndArray();
            if (b.AccessPoints is { } points)
            {
                w.WriteStartArray("accessPoints");
                foreach (var point in points)
                {
                    w.WriteStartObject();
                    w.WriteString("name", point.Name);
                    w.WriteString("arn", point.Arn);
                    w.WriteString("alias", point.Alias);
                    w.WriteString("networkOrigin", point.NetworkOrigin);
                    w.WriteBoolean("public", PublicThrough(b, point));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteString("exemption", b.Verdict?.Exemption?.ToString());
            w.WriteString("url", b.PublicInEffect && !b.Locked ? url : null);
            w.WriteBoolean("objectsCanBePublic", b.Verdict?.ObjectsCanBePublic == true);
            w.WriteStartArray("publicObjects");
            foreach (var key in PublicObjects(b))
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WriteString("url", ObjectUrl(b, key, endpoint));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("error", b.Problem);
        });

        return json;
    }

    /// <summary>Progress on standard error, so standard output stays clean for --json and --csv: one line that rewrites
    /// itself with the buckets done of the total and the rate, written through Spectre.Console.</summary>
    private sealed class Progress(TextWriter errors) : ISweepProgress
    {
        private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        private readonly IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(errors), Ansi = AnsiSupport.Detect, ColorSystem = ColorSystemSupport.Detect });
        private int count;
        private int total;

        public void Listed(int buckets)
        {
            Interlocked.Exchange(ref total, buckets);
            clock.Restart();
        }

        public void Report(BucketAudit value)
        {
            var n = Interlocked.Increment(ref count);
            var rate = n / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            lock (errors)
            {
                console.Markup(Markup.Escape(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\raudited {n}/{Volatile.Read(ref total)} bucket(s), {rate:0.0}/s")));
            }
        }

        public void Done()
        {
            lock (errors)
            {
                errors.WriteLine();
            }

            count = 0;
        }
    }
}
