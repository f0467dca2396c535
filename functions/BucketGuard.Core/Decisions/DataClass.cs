namespace BucketGuard.Core.Decisions;

/// <summary>How sensitive a bucket's data is, from its data-class tag (TAGPREFIXdata-class, "bucketguard:data-class"), or
/// the policy's default for a bucket without one. Ordered: a later value is more sensitive.</summary>
public enum DataClass
{
    Public,
    Internal,
    Pii,
    Pci,
    Phi,
}

/// <summary>The data-class rule (issue "Incident record, breach-assessment report and data-sensitivity tiers", item 4):
/// for protected health information (HIPAA) and cardholder data (PCI DSS) an exemption is never honoured, so a bucket
/// owner can never exempt such a bucket into being public, and its exposure is always critical. The tag is text a
/// bucket owner writes: a value that is not one of the names is never read as less sensitive than the default.</summary>
public static class DataClasses
{
    /// <summary>The names, as tags and settings spell them: public, internal, pii, pci, phi.</summary>
    public static string Name(DataClass dataClass) => dataClass switch
    {
        DataClass.Public => "public",
        DataClass.Internal => "internal",
        DataClass.Pii => "pii",
        DataClass.Pci => "pci",
        DataClass.Phi => "phi",
    };

    /// <summary>A name (any case, spaces around ignored), or null.</summary>
    public static DataClass? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "public" => DataClass.Public,
        "internal" => DataClass.Internal,
        "pii" => DataClass.Pii,
        "pci" => DataClass.Pci,
        "phi" => DataClass.Phi,
        _ => null,
    };

    /// <summary>Protected health information and cardholder data: never exempted, always critical when public.</summary>
    public static bool NeverExempt(DataClass dataClass) => dataClass is DataClass.Phi or DataClass.Pci;

    /// <summary>The bucket's class: its tag's, or the default when it has none; a tag that names no class counts as the
    /// default (and the source says so), so that a misspelt "PHl" cannot lower a bucket below it. A higher class it held
    /// within DataClassFloor.Lookback (state.DataClassFloor) still counts; where Macie has scored the bucket sensitive
    /// (state.Sensitivity), the class is raised to the policy's MacieSensitiveDataClass. Neither ever lowers it.</summary>
    /// <param name="source">Where the class came from, in words for the notification.</param>
    public static DataClass Of(BucketState state, RemediationPolicy policy, out string source)
    {
        // Each source can only raise the class: the tag (or default), the class it held recently, Macie's score.
        var tagged = Tagged(state, policy, out source);
        var dataClass = tagged;
        if (state.DataClassFloor is { } kept && kept.Class > dataClass)
        {
            source = $"{kept.Why} (its tag now says {Name(tagged)}: a class lowered within {(int)DataClassFloor.Lookback.TotalDays} days still counts, until {kept.Until:u})";
            dataClass = kept.Class;
        }

        if (state.Sensitivity is { IsSensitive: true } score && policy.MacieSensitiveDataClass is { } raised && raised > dataClass)
        {
            source = $"Amazon Macie's sensitivity score {score.Score} for the bucket (Sensitive{(score.Overridden ? ", set by hand" : string.Empty)}), which raises it from {Name(dataClass)} ({source})";
            dataClass = raised;
        }

        foreach (var problem in state.DataClassProblems)
        {
            source += $"; {problem}";
        }

        return dataClass;
    }

    /// <summary>The class the tag alone gives (the default where it names none).</summary>
    public static DataClass TaggedClass(BucketState state, RemediationPolicy policy) => Tagged(state, policy, out _);

    private static DataClass Tagged(BucketState state, RemediationPolicy policy, out string source)
    {
        if (state.Tag(policy.DataClassTag) is not { } text)
        {
            source = $"the default for a bucket without a {policy.DataClassTag} tag";
            return policy.DefaultDataClass;
        }

        if (Parse(text) is { } tagged)
        {
            source = $"its {policy.DataClassTag} tag";
            return tagged;
        }

        source = $"its {policy.DataClassTag} tag \"{Untrusted.Clean(text, 40)}\" names no data class (public, internal, pii, pci, phi), so the default applies";
        return policy.DefaultDataClass;
    }
}

/// <summary>Amazon Macie's sensitivity score of a bucket (GetResourceProfile; Macie User Guide, "Sensitivity scoring for
/// S3 buckets"): -1 classification error, 1 to 49 Not sensitive, 50 Not classified (not yet analysed, or excluded), 51
/// to 100 Sensitive; 100 also when set by hand (Overridden).</summary>
/// <param name="UpdatedAt">When Macie last recalculated it (profileUpdatedAt, UTC), when it says.</param>
public sealed record SensitivityScore(int Score, bool Overridden, DateTimeOffset? UpdatedAt)
{
    /// <summary>Macie's Sensitive label: a score of 51 or more.</summary>
    public bool IsSensitive => Score is >= 51 and <= 100;
}

/// <summary>The data class a bucket held recently (DataClassFloor.Lookback), kept so that lowering or removing its tag
/// does not lower its class: recorded whenever BucketGuard decides a bucket whose tag says phi or pci, and by the
/// after-lock replay when it finds the tag was lowered shortly before an exposure.</summary>
/// <param name="Until">When it stops counting (UTC).</param>
/// <param name="Why">Where it came from, in words for the notification.</param>
public sealed record DataClassFloor(DataClass Class, DateTimeOffset Until, string Why)
{
    /// <summary>How long a class counts after it was last seen: "shortly before the exposure" (issue "Incident record",
    /// item 4); the replay looks this far back before a window too (Evidence.DataClassInWindow).</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(30);
}
