using System.Collections.Immutable;
using System.Text.Json;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Reports;

/// <summary>A bucket the sweep could not check, lock or report, for the summary.</summary>
public sealed record BucketProblem(string Bucket, string Problem);

/// <summary>One account's sweep in numbers: what an account summary says, whether it came from one invocation's
/// SweepReport or from the batches of an organisation's Step Functions sweep, added together (Add). Listed is set by the
/// distributed sweep's planner: the buckets it listed, so that buckets listed and never swept (a batch that failed) are
/// counted as Missing and never read as swept.</summary>
/// <param name="BucketErrors">Buckets with a problem (an error, a failed lock, an unreadable exposure).</param>
public sealed record SweepCounts(int Seen, int Public, int Locked, int Exempted, int Expiring, int ObjectsCanBePublic, int Unreadable, int BucketErrors)
{
    /// <summary>Problems listed in a summary; more are counted (one SNS message must hold the summary).</summary>
    public const int MaxProblems = 200;

    public static readonly SweepCounts None = new(0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>The buckets the planner listed (null: the sweep listed and swept in one run, and Seen is all there was).</summary>
    public int? Listed { get; init; }

    /// <summary>Where a sweep that stopped for time resumes (after this bucket name).</summary>
    public string? ContinueAfter { get; init; }

    /// <summary>Why the account's buckets could not be listed.</summary>
    public string? ListError { get; init; }

    /// <summary>Failures beside the buckets' own (the organisation's accounts could not be listed).</summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>The first MaxProblems problem buckets; ProblemsNotListed counts the rest.</summary>
    public ImmutableArray<BucketProblem> Problems { get; init; } = [];

    public int ProblemsNotListed { get; init; }

    /// <summary>Listed buckets not swept: a batch that failed and was not redriven yet.</summary>
    public int Missing => Listed is { } listed ? Math.Max(0, listed - Seen) : 0;

    public int Errors => BucketErrors + (ListError is null ? 0 : 1) + Warnings.Length + (Missing > 0 ? 1 : 0);

    public bool Completed => ContinueAfter is null && Missing == 0;

    /// <summary>Both sweeps' numbers together (two batches of one account, or every account of an organisation); the
    /// problems stay bounded.</summary>
    public SweepCounts Add(SweepCounts other)
    {
        var problems = Problems.AddRange(other.Problems);
        var kept = problems.Length > MaxProblems ? problems[..MaxProblems] : problems;
        return new SweepCounts(
            Seen + other.Seen, Public + other.Public, Locked + other.Locked, Exempted + other.Exempted, Expiring + other.Expiring,
            ObjectsCanBePublic + other.ObjectsCanBePublic, Unreadable + other.Unreadable, BucketErrors + other.BucketErrors)
        {
            Listed = Listed is null && other.Listed is null ? null : (Listed ?? 0) + (other.Listed ?? 0),
            ContinueAfter = ContinueAfter ?? other.ContinueAfter,
            ListError = ListError is null ? other.ListError : other.ListError is null ? ListError : $"{ListError}; {other.ListError}",
            Warnings = Warnings.AddRange(other.Warnings),
            Problems = kept,
            ProblemsNotListed = ProblemsNotListed + other.ProblemsNotListed + (problems.Length - kept.Length),
        };
    }

    /// <summary>The counts as JSON members, for the summary document and the sweep's log line alike.</summary>
    public void WriteCounts(Utf8JsonWriter w)
    {
        if (Listed is { } listed)
        {
            w.WriteNumber("listed", listed);
        }

        w.WriteNumber("seen", Seen);
        if (Listed is not null)
        {
            w.WriteNumber("missing", Missing);
        }

        WriteTallies(w);
        w.WriteNumber("errors", Errors);
        w.WriteBoolean("completed", Completed);
    }

    /// <summary>Every member, for keeping the counts between the steps of a sweep (a batch's record in DynamoDB):
    /// {"seen", "public", "locked", "exempted", "expiring", "objectsCanBePublic", "unreadable", "bucketErrors",
    /// "listed"?, "listError"?, "warnings", "problems": [{"bucket", "problem"}], "problemsNotListed"}.</summary>
    public string Json() => JsonLine.Write(w =>
    {
        w.WriteNumber("seen", Seen);
        WriteTallies(w);
        w.WriteNumber("bucketErrors", BucketErrors);
        if (Listed is { } listed)
        {
            w.WriteNumber("listed", listed);
        }

        if (ListError is not null)
        {
            w.WriteString("listError", ListError);
        }

        FindingJson.WriteStrings(w, "warnings", Warnings);
        w.WriteStartArray("problems");
        foreach (var problem in Problems)
        {
            w.WriteStartObject();
            w.WriteString("bucket", problem.Bucket);
            w.WriteString("problem", problem.Problem);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("problemsNotListed", ProblemsNotListed);
    });

    private void WriteTallies(Utf8JsonWriter w)
    {
        w.WriteNumber("public", Public);
        w.WriteNumber("locked", Locked);
        w.WriteNumber("exempted", Exempted);
        w.WriteNumber("expiring", Expiring);
        w.WriteNumber("objectsCanBePublic", ObjectsCanBePublic);
        w.WriteNumber("unreadable", Unreadable);
    }

    /// <summary>Reads what Json wrote.</summary>
    /// <returns>Null with the error when a member is missing or of the wrong type.</returns>
    public static Parsed<SweepCounts> Parse(JsonElement e)
    {
        int? Count(string name) => e.TryGet(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0 ? n : null;
        if (e.ValueKind != JsonValueKind.Object
            || Count("seen") is not { } seen || Count("public") is not { } exposed || Count("locked") is not { } locked
            || Count("exempted") is not { } exempted || Count("expiring") is not { } expiring || Count("objectsCanBePublic") is not { } objects
            || Count("unreadable") is not { } unreadable || Count("bucketErrors") is not { } errors)
        {
            return Parsed<SweepCounts>.Failure("sweep counts need seen, public, locked, exempted, expiring, objectsCanBePublic, unreadable and bucketErrors as counts");
        }

        var problems = ImmutableArray.CreateBuilder<BucketProblem>();
        if (e.TryGet("problems", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in list.EnumerateArray())
            {
                if (p.ValueKind == JsonValueKind.Object && p.TextOf("bucket") is { } bucket && p.TextOf("problem") is { } problem)
                {
                    problems.Add(new BucketProblem(bucket, problem));
                }
            }
        }

        return Parsed<SweepCounts>.Success(new SweepCounts(seen, exposed, locked, exempted, expiring, objects, unreadable, errors)
        {
            Listed = Count("listed"),
            ListError = e.TextOf("listError"),
            Warnings = e.TryGet("warnings", out var warnings) ? [.. warnings.Strings() ?? []] : [],
            Problems = problems.ToImmutable(),
            ProblemsNotListed = Count("problemsNotListed") ?? 0,
        });
    }
}
