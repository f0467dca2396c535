using System.Globalization;

namespace BucketGuard.Core;

/// <summary>How a BUCKETGUARD_* value of a kind is read, for every setting of that kind: a value that cannot be
/// understood is an error naming the setting and what it accepts.</summary>
internal static class Setting
{
    /// <summary>A setting with two values: false when unset or <paramref name="usual"/>, true when <paramref name="other"/>,
    /// null (with the error) for anything else.</summary>
    /// <param name="choices">How the error names the two values ("usual nor other" unless given).</param>
    public static bool? TwoWay(Func<string, string?> environment, string name, string usual, string other, out string? error, string? choices = null)
    {
        error = null;
        var value = environment(name)?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(value) || value == usual)
        {
            return false;
        }

        if (value == other)
        {
            return true;
        }

        error = $"{name} \"{value}\" is neither {choices ?? $"{usual} nor {other}"}";
        return null;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (digits only); the error, or null
    /// with the number in <paramref name="value"/>.</summary>
    public static string? Whole(string name, string text, int min, int max, string unit, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max
            ? null
            : $"{name} \"{text}\" is not a number of {unit} from {min} to {max}";
}
