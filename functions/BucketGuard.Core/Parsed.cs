namespace BucketGuard.Core;

/// <summary>The outcome of reading untrusted input: a value, or a clear message saying why not.
/// Parsers return this instead of throwing, so bad input always ends in an explanation.</summary>
public readonly record struct Parsed<T>(T? Value, string? Error)
    where T : class
{
    public bool Ok => Value is not null && Error is null;

    public static Parsed<T> Success(T value) => new(value, null);

    public static Parsed<T> Failure(string error) => new(null, error);
}
