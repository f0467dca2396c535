using System.Text.Json;
using BucketGuard.Core;
using BucketGuard.Core.Check;

namespace BucketGuard.Cli;

/// <summary>How `check` shows a result: plain sentences for people, one JSON object per line for machines.
/// JSON is written with Utf8JsonWriter: no reflection, so the tool stays trimming- and AOT-clean.</summary>
public static class CheckReport
{
    public static string ToJsonLine(CheckResult result)
    {
        var json = JsonLine.Write(w =>
        {
            w.WriteString("path", result.Path);
            w.WriteString("kind", result.Kind switch { InputKind.Policy => "policy", InputKind.Acl => "acl", InputKind.Event => "event", _ => null });
            WriteNullableBool(w, "public", result.Public);
            if (result.Protection is not null)
            {
                WriteNullableBool(w, "publicInEffect", result.PublicInEffect);
            }

            FindingJson.WriteStrings(w, "access", AccessLevels.Names(result.Exposure?.Access ?? AccessLevel.None));
            w.WriteStartArray("findings");
            foreach (var f in result.Exposure?.Findings ?? [])
            {
                FindingJson.Write(w, f);
            }

            w.WriteEndArray();
            if (result.Event is { } e)
            {
                w.WriteString("eventName", e.EventName);
                w.WriteString("eventId", e.EventId);
                w.WriteString("change", e.Kind.ToString());
                w.WriteString("account", e.Account);
                w.WriteString("region", e.Region);
                w.WriteString("bucket", e.Bucket);
                w.WriteString("actor", e.Actor.Arn);
                w.WriteString("sourceIp", e.SourceIp);
                w.WriteString("eventTime", e.EventTimeText);
                w.WriteBoolean("failed", e.Failed);
                w.WriteString("errorCode", e.ErrorCode);
            }

            FindingJson.WriteStrings(w, "notes", result.Notes.AddRange(result.Exposure?.Notes ?? []));
            w.WriteString("error", result.Error);
        });

        return json;
    }

    private static void WriteNullableBool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } b)
        {
            w.WriteBoolean(name, b);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    public static void WriteText(CheckResult result, TextWriter output)
    {
        var what = result.Kind switch { InputKind.Policy => "bucket policy", InputKind.Acl => "ACL", InputKind.Event => "event", _ => "input" };
        if (result.Event is { } e)
        {
            what = $"event {(e.EventName.Length == 0 ? "(no eventName)" : e.EventName)}"
                + (e.Bucket is null ? string.Empty : $" on bucket {e.Bucket}")
                + (e.Actor.Arn is null ? string.Empty : $" by {e.Actor.Arn}")
                + (e.SourceIp is null ? string.Empty : $" from {e.SourceIp}");
        }

        output.WriteLine($"{result.Path}: {what}");
        var verdict = result.Public switch
        {
            true when result.Event?.Failed == true => "PUBLIC as requested, but the call failed: nothing was exposed",
            true when result.PublicInEffect == false => "PUBLIC, but every public grant is neutralised by Block Public Access or ownership settings",
            true => $"PUBLIC ({AccessLevels.Describe(result.Exposure!.AccessInEffect)})",
            false => "not public",
            null when result.Error is not null => $"could not be evaluated: {result.Error}",
            null => "nothing to evaluate (the event requests no ACL or policy; BucketGuard re-reads the bucket's real state)",
        };
        output.WriteLine($"  {verdict}");
        if (result.Error is not null && result.Public is not null)
        {
            output.WriteLine($"  problem: {result.Error}");
        }

        foreach (var f in result.Exposure?.Findings ?? [])
        {
            output.WriteLine($"  - {Capitalise(f.Location)}: {f.Principal} may {string.Join(", ", f.Actions)} [{AccessLevels.Describe(f.Access)}]");
            output.WriteLine($"    why: {f.Reason}");
            if (f.NeutralisedBy is not null)
            {
                output.WriteLine($"    already stopped by {f.NeutralisedBy}");
            }
        }

        foreach (var note in result.Notes.AddRange(result.Exposure?.Notes ?? []))
        {
            output.WriteLine($"  note: {note}");
        }

        output.WriteLine();
    }

    public static void WriteSummary(IReadOnlyCollection<CheckResult> results, TextWriter output)
    {
        var exposes = results.Count(r => r.Exposes);
        var errors = results.Count(r => r.Error is not null);
        output.WriteLine($"{results.Count} input(s): {exposes} public, {results.Count - exposes - errors} not public or nothing to evaluate, {errors} with problems");
    }

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
