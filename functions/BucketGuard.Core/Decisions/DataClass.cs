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
    /// default (and the source says so), so that a misspelt "PHl" cannot lower a bucket below it.</summary>
    /// <param name="source">Where the class came from, in words for the notification.</param>
    public static DataClass Of(BucketState state, RemediationPolicy policy, out string source)
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
