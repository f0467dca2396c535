using System.Collections.Immutable;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Check;

public enum InputKind
{
    Policy,
    Acl,
    Event,
}

/// <summary>The verdict on one input of `bucketguard check`.</summary>
/// <param name="Public">True or false when evaluated; null when there was nothing to evaluate or it could not be read.</param>
/// <param name="Protection">Block Public Access / ownership context given with the input, if any.</param>
public sealed record CheckResult(
    string Path,
    InputKind? Kind,
    bool? Public,
    Exposure? Exposure,
    string? Error,
    BucketChange? Event,
    BucketProtection? Protection,
    ImmutableArray<string> Notes)
{
    public static CheckResult Failure(string path, InputKind? kind, string error) => new(path, kind, null, null, error, null, null, []);

    /// <summary>Public after any Block Public Access context supplied with the input.</summary>
    public bool? PublicInEffect => Exposure is null ? null : Exposure.IsPublicInEffect;

    /// <summary>Whether this input counts as "something is public" for the exit code: a failed call exposed nothing.</summary>
    public bool Exposes => Public == true && Event?.Failed != true;
}
