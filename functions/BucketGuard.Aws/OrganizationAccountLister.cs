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
    public async Task<ImmutableArray<string>> ListActiveAsync(CancellationToken cancellationToken)
    {
        var accounts = ImmutableArray.CreateBuilder<string>();
        string? next = null;
        do
        {
            var page = await organizations.ListAccountsAsync(new ListAccountsRequest { NextToken = next }, cancellationToken).ConfigureAwait(false);
            accounts.AddRange((page.Accounts ?? []).Where(a => IsActive(a) && AccountId.IsValid(a.Id)).Select(a => a.Id!));
            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));

        return accounts.ToImmutable();
    }

    public static bool IsActive(Account account) =>
#pragma warning disable CS0618 // Status is read only where State is absent
        (account.State?.Value ?? account.Status?.Value) == AccountState.ACTIVE.Value;
#pragma warning restore CS0618
}
