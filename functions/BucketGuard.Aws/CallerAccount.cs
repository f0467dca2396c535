using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace BucketGuard.Aws;

/// <summary>The account the functions (or the CLI) run in: the configured one when known, else asked of STS
/// GetCallerIdentity once and remembered. Throws what STS throws (unreachable after retries), so the event is retried.</summary>
public sealed class CallerAccount(string? known, Func<IAmazonSecurityTokenService>? sts)
{
    private string? account = known;

    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (account is not null || sts is null)
        {
            return account;
        }

        using var client = sts();
        return account = (await client.GetCallerIdentityAsync(new GetCallerIdentityRequest(), cancellationToken).ConfigureAwait(false)).Account;
    }
}
