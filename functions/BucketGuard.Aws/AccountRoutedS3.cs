using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.SecurityToken;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Sweep;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>The S3 ports bound to one identity: the function's own, or a member role's.</summary>
public sealed record S3Ports(S3BucketStateReader Reader, S3PublicAccessBlockWriter Writer, S3BucketLister Lister);

/// <summary>Reads, locks and lists buckets in the account each call names, as <see cref="MemberRole.For"/> decides: with the
/// function's own credentials at home (and always, in a single-account deployment), through the member role elsewhere.
/// One set of ports per identity, made on first use and kept, so the SDK refreshes the role's credentials before they expire.
/// A role that cannot be assumed (not deployed there, trust not matching) is a problem stated in the notification, not a retry:
/// retrying cannot fix it. Throttling and STS outages are thrown, so the event is retried.</summary>
/// <param name="portsFor">Makes the ports for a role ARN to assume, or for the function's own credentials (null).</param>
public sealed class AccountRoutedS3(MemberRole member, Func<string?, S3Ports> portsFor) : IBucketStateReader, IObjectReader, IAccessPointResolver, IPublicAccessBlockWriter, IBucketLister, ILockSnapshotReader
{
    private readonly ConcurrentDictionary<string, Lazy<S3Ports>> ports = new(StringComparer.Ordinal);

    public Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken) =>
        RouteAsync(account, p => p.Reader.ReadAsync(bucket, account, cancellationToken), why => Unreadable(bucket, why));

    public Task<BucketState> ReadObjectAsync(string bucket, string key, string? versionId, string? account, CancellationToken cancellationToken) =>
        RouteAsync(account, p => p.Reader.ReadObjectAsync(bucket, key, versionId, account, cancellationToken), why => Unreadable(bucket, why));

    /// <summary>A role refusal is thrown here, not taken for "no such access point": the event is retried.</summary>
    public async Task<string?> BucketOfAsync(string accessPoint, string? account, CancellationToken cancellationToken)
    {
        var access = member.For(account);
        return access.Refusal is null ? await PortsFor(access).Reader.BucketOfAsync(accessPoint, account, cancellationToken).ConfigureAwait(false) : null;
    }

    public Task<ObjectSample> SampleAsync(string bucket, string? account, int max, CancellationToken cancellationToken) =>
        RouteAsync(account, p => p.Reader.SampleAsync(bucket, account, max, cancellationToken), why => new ObjectSample([], false, [why]));

    public Task<LockSnapshot> SnapshotAsync(string bucket, string? account, int maxVersions, CancellationToken cancellationToken) =>
        RouteAsync(account, p => p.Reader.SnapshotAsync(bucket, account, maxVersions, cancellationToken), why => new LockSnapshot(0, 0, false, null, why));

    public Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken) =>
        RouteAsync(account, p => p.Writer.ApplyAsync(bucket, account, flags, cancellationToken), why => new ActionResult(null, why));

    /// <summary>One call with the ports of the account's identity. An account BucketGuard may not enter, or a member role
    /// STS refuses for good, gives <paramref name="refused"/> with the reason instead of a retry.</summary>
    private async Task<T> RouteAsync<T>(string? account, Func<S3Ports, Task<T>> call, Func<string, T> refused)
    {
        var access = member.For(account);
        if (access.Refusal is { } refusal)
        {
            return refused(refusal);
        }

        try
        {
            return await call(PortsFor(access)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RoleRefused(ex, access) is { } why)
        {
            return refused(why);
        }
    }

    /// <summary>A sweep of an account BucketGuard cannot enter fails with the reason, so the sweep's caller reports it.</summary>
    public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var access = member.For(account);
        if (access.Refusal is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        await using var buckets = PortsFor(access).Lister.ListAsync(account, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await buckets.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (Exception ex) when (RoleRefused(ex, access) is { } why)
            {
                throw new InvalidOperationException(why, ex);
            }

            yield return buckets.Current;
        }
    }

    private S3Ports PortsFor(AccountAccess access) =>
        ports.GetOrAdd(access.RoleArn ?? string.Empty, key => new Lazy<S3Ports>(() => portsFor(key.Length == 0 ? null : key))).Value;

    private static BucketState Unreadable(string bucket, string why) => new(bucket, true, null, null, null, null, null, [], null, [why]);

    /// <summary>Why the member role could not be assumed, when STS refused it for good (not throttling or an outage).</summary>
    private static string? RoleRefused(Exception ex, AccountAccess access)
    {
        if (access.RoleArn is null)
        {
            return null;
        }

        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            // A client error is STS's final word (no such role, not trusted, region disabled); throttling is not.
            if (e is AmazonSecurityTokenServiceException sts && (int)sts.StatusCode is >= 400 and < 500
                && sts.StatusCode != HttpStatusCode.TooManyRequests && sts.ErrorCode is not ("Throttling" or "ThrottlingException" or "RequestLimitExceeded"))
            {
                return $"BucketGuard could not assume {access.RoleArn}: {sts.ErrorCode ?? sts.StatusCode.ToString()}"
                    + (string.IsNullOrEmpty(sts.Message) ? string.Empty : $" ({sts.Message})")
                    + "; deploy infra/org/member.template in that account with this stack's function role ARNs";
            }
        }

        return null;
    }
}
