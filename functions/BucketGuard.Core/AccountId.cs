using System.Diagnostics.CodeAnalysis;

namespace BucketGuard.Core;

/// <summary>An AWS account ID: exactly twelve ASCII digits.</summary>
public static class AccountId
{
    public static bool IsValid([NotNullWhen(true)] string? value) => value is { Length: 12 } && value.All(char.IsAsciiDigit);

    /// <summary>The same rule for an ID in UTF-8, as a log reader finds it.</summary>
    public static bool IsValid(ReadOnlySpan<byte> value) => value.Length == 12 && value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
}
