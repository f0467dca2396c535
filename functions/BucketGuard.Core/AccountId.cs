using System.Diagnostics.CodeAnalysis;

namespace BucketGuard.Core;

/// <summary>An AWS account ID: exactly twelve ASCII digits.</summary>
public static class AccountId
{
    public static bool IsValid([NotNullWhen(true)] string? value) => value is { Length: 12 } && value.All(char.IsAsciiDigit);
}
