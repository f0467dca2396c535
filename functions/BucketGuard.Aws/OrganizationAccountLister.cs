using System.Collections.Immutable;
using Amazon.Organizations;
using Amazon.Organizations.Model;
using BucketGuard.Core;
using BucketGuard.Core.Remediation;

namespace BucketGuard.Aws;

/// <summary>The organisation's active accounts from AWS Organizations ListAccounts, every page (NextToken). Suspended
/// and closing accounts are left out: their buckets cannot be read and the member role may be gone.</summary>
public sealed class OrganizationAccountLister(IAmazonOrganizations organizations) : IOrganizationAccounts
{
    public async Task<ImmutableArray<string>> ListActiveAsync(CancellationToken cancellationToken)
    {
        var accounts = ImmutableArray.CreateBuilder<string>();
        string? next = null;
        do
        {
            var page = await organizations.ListAccountsAsync(new ListAccountsRequest { NextToken = next }, cancellationToken).ConfigureAwait(false);
            accounts.AddRange(page.Accounts.Where(a => a.Status == AccountStatus.ACTIVE && AccountId.IsValid(a.Id)).Select(a => a.Id!));
            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));

        return accounts.ToImmutable();
    }
}
