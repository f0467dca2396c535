using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.SecurityToken;
using BucketGuard.Core.Decisions;

namespace BucketGuard.Aws;

/// <summary>Checks exemption signatures with the security team's KMS HMAC key: VerifyMac with HMAC_SHA_256 (AWS KMS API
/// reference, VerifyMac). KMS answers a MAC that does not verify with KMSInvalidMacException; a disabled, deleted, pending
/// or wrong-kind key, or one BucketGuard may not use, makes every signature unverifiable (said in the notice); anything
/// else (unreachable, throttled after the SDK's retries) is thrown so that the event is retried.</summary>
/// <param name="homeAccount">The account the functions run in, for a bucket whose account the caller does not know;
/// null: asked of STS GetCallerIdentity once.</param>
public sealed class KmsExemptionVerifier(IAmazonKeyManagementService kms, string keyId, string? homeAccount = null, Func<IAmazonSecurityTokenService>? sts = null) : IExemptionVerifier
{
    private readonly CallerAccount caller = new(homeAccount, sts);

    public async Task<string?> AccountAsync(string? account, CancellationToken cancellationToken) =>
        account ?? await caller.GetAsync(cancellationToken).ConfigureAwait(false);

    public async Task<SignatureCheck> VerifyAsync(byte[] message, string signature, CancellationToken cancellationToken)
    {
        byte[] mac;
        try
        {
            mac = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return new SignatureCheck(false);
        }

        try
        {
            var answer = await kms.VerifyMacAsync(new VerifyMacRequest
            {
                KeyId = keyId,
                Message = new MemoryStream(message),
                Mac = new MemoryStream(mac),
                MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
            }, cancellationToken).ConfigureAwait(false);
            return new SignatureCheck(answer.MacValid == true);
        }
        catch (KMSInvalidMacException)
        {
            return new SignatureCheck(false);
        }
        catch (AmazonKeyManagementServiceException ex) when (ex is DisabledException or NotFoundException or KMSInvalidStateException or InvalidKeyUsageException
            || ex.StatusCode == HttpStatusCode.Forbidden || ex.ErrorCode is "AccessDeniedException")
        {
            return new SignatureCheck(false, $"approval key {keyId}: {ex.ErrorCode ?? ex.GetType().Name}{(string.IsNullOrEmpty(ex.Message) ? string.Empty : " (" + ex.Message + ")")}");
        }
    }

    /// <summary>The approver's side: the signature tag's value for a canonical message (KMS GenerateMac with the caller's
    /// credentials, which the key policy allows to approvers only).</summary>
    public static async Task<string> SignAsync(IAmazonKeyManagementService kms, string keyId, byte[] message, CancellationToken cancellationToken)
    {
        var answer = await kms.GenerateMacAsync(new GenerateMacRequest { KeyId = keyId, Message = new MemoryStream(message), MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256 }, cancellationToken).ConfigureAwait(false);
        return Convert.ToBase64String(answer.Mac.ToArray());
    }
}
