using System.IO.Hashing;
using System.Security.Cryptography;

namespace BucketGuard.Core.Evidence;

/// <summary>UTF-8 text as the ledger and its readers hold it: hashed with XxHash3 under a seed drawn once per process,
/// so that a log written to make values collide (an object key or user agent an anonymous caller chose) cannot turn
/// the ledger's tables into lists; and compared as bytes, so that a reader looks a field up where it lies in its
/// buffer, with no string made for a value already held.</summary>
internal static class Utf8Text
{
    private static readonly long Seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(sizeof(long)));

    /// <summary>Byte-for-byte equality for byte[] keys, with lookups by span (Dictionary.GetAlternateLookup).</summary>
    public static readonly Comparer Ordinal = new();

    /// <summary>The text's 64-bit hash, for this process only (never stored).</summary>
    public static ulong Hash(ReadOnlySpan<byte> text) => XxHash3.HashToUInt64(text, Seed);

    internal sealed class Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
