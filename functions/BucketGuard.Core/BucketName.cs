using System.Diagnostics.CodeAnalysis;

namespace BucketGuard.Core;

/// <summary>S3 bucket names as S3 accepts them (S3 User Guide, "General purpose bucket naming rules"): 3 to 63
/// lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit; and the legacy names
/// that us-east-1 allowed before March 2018: up to 255 characters, with upper-case letters and underscores.</summary>
public static class BucketName
{
    public const string Rule = "3 to 255 characters: letters, digits, dots, hyphens and underscores, starting and ending with a letter or digit";

    public static bool IsValid([NotNullWhen(true)] string? name) =>
        name is { Length: >= 3 and <= 255 }
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    /// <summary>The region a GetBucketLocation LocationConstraint stands for (S3 API reference, GetBucketLocation): none
    /// (empty) is us-east-1, the legacy "EU" is eu-west-1, anything else is the region itself.</summary>
    public static string RegionOf(string? locationConstraint) => locationConstraint switch
    {
        null or "" => "us-east-1",
        "EU" => "eu-west-1",
        var region => region,
    };
}
