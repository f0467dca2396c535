using System.Collections.Immutable;
using Amazon.Organizations;
using Amazon.Organizations.Model;
using BucketGuard.Core;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Aws;

/// <summary>The organisation's active accounts from AWS Organizations ListAccounts, every page (NextToken). Suspended
/// and closing accounts are left out: their buckets cannot be read and the member role may be gone. An account's state is
/// its State (Organizations retired Status for it; AWS Organizations API Reference, Account), or its Status where an
/// older endpoint answers only that.</summary>
public sealed class OrganizationAccountLister(IAmazonOrganizations organizations) : IOrganizationAccounts
{
    /// <exception cref="InvalidOperationException">Organizations listed accounts but none of them is active with a valid
    /// id: an organisation always has its active management account, so the records have a shape this lister does not
    /// read, and sweeping no member account must not pass for a finished sweep.</exception>
    public async Task<ImmutableArray<string>> ListActiveAsync(CancellationToken cancellationToken)
    {
        var accounts = ImmutableArray.CreateBuilder<string>();
        var listed = 0;
        string? next = null;
        do
        {
            var page = await organizations.ListAccountsAsync(new ListAccountsRequest { NextToken = next }, cancellationToken).ConfigureAwait(false);
            listed += page.Accounts?.Count ?? 0;
            accounts.AddRange((page.Accounts ?? []).Where(a => IsActive(a) && AccountId.IsValid(a.Id)).Select(a => a.Id!));
            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));

        if (listed > 0 && accounts.Count == 0)
        {
            throw new InvalidOperationException($"Organizations listed {listed} account(s) but none is ACTIVE with a 12-digit id (by State, or the retired Status where State is absent), though the management account always is: the account records have a shape BucketGuard does not read, so no member account was swept");
        }

        return accounts.ToImmutable();
    }

    public static bool IsActive(Account account) =>
#pragma warning disable CS0618 // Status is read only where State is absent
        (account.State?.Value ?? account.Status?.Value) == AccountState.ACTIVE.Value;
#pragma warning restore CS0618
}
