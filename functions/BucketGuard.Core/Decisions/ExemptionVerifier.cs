namespace BucketGuard.Core.Decisions;

/// <summary>What the approval key says of a signature: it verifies, it does not (the message or the key differs), or it
/// cannot be checked at all (the key is disabled, deleted, of the wrong kind, or not usable by BucketGuard).</summary>
public sealed record SignatureCheck(bool Verifies, string? Unverifiable = null);

/// <summary>Verifies exemption signatures with the security team's HMAC key (KMS VerifyMac, HMAC_SHA_256). Throws when the
/// key service cannot be reached or throttles after retries, so that the event is retried: a decision never rests on an
/// exemption that could not be checked.</summary>
public interface IExemptionVerifier
{
    /// <param name="account">The bucket's account, when the caller knows it; null: the account the verifier runs in.</param>
    Task<string?> AccountAsync(string? account, CancellationToken cancellationToken);

    Task<SignatureCheck> VerifyAsync(byte[] message, string signature, CancellationToken cancellationToken);
}
