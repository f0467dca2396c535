using System.Collections.Immutable;
using System.Net;
using Amazon.S3Control;
using Amazon.S3Control.Model;
using BucketGuard.Core;
using AccessPoint = BucketGuard.Core.Decisions.AccessPoint;

namespace BucketGuard.Aws;

/// <summary>A bucket's access points from the S3 Control API: ListAccessPoints for the bucket (paginated, 1,000 a page),
/// then for each GetAccessPoint (network origin, its own Block Public Access) and GetAccessPointPolicy, and
/// GetAccessPointPolicyStatus where S3's verdict is trusted. A refusal of one access point's read is that access point's
/// problem; a refused listing is the bucket's (what it would have shown is unknown, never "no access points").</summary>
/// <param name="account">The account, when the caller does not name one (the CLI's own account: STS, asked once).</param>
public sealed class AccessPointReader(AmazonS3ControlClient control, bool readPolicyStatus, Func<CancellationToken, Task<string?>> account)
{
    /// <returns>The access points, or null with <paramref name="problem"/> set when they could not be listed.</returns>
    public async Task<(ImmutableArray<AccessPoint>? Points, string? Problem)> ReadAsync(string bucket, string? bucketAccount, CancellationToken cancellationToken)
    {
        string? owner;
        try
        {
            owner = bucketAccount ?? await account(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            owner = null;
        }

        if (owner is null || !AccountId.IsValid(owner))
        {
            // Unknown is never "no access points": the decision carries it as a read that failed.
            return (null, "ListAccessPoints: the bucket's account is unknown (STS GetCallerIdentity did not answer; pass --account or set BUCKETGUARD_HOME_ACCOUNT)");
        }

        var listed = new List<Amazon.S3Control.Model.AccessPoint>();
        try
        {
            string? token = null;
            do
            {
                var page = await control.ListAccessPointsAsync(new ListAccessPointsRequest { AccountId = owner, Bucket = bucket, NextToken = token }, cancellationToken).ConfigureAwait(false);
                listed.AddRange(page.AccessPointList ?? []);
                token = page.NextToken;
            }
            while (!string.IsNullOrEmpty(token));
        }
        catch (AmazonS3ControlException ex) when (Refused(ex))
        {
            return (null, $"ListAccessPoints: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
        }

        var points = await Task.WhenAll(listed.Where(p => p.Name is not null && p.Bucket == bucket).Select(p => ReadOneAsync(owner, p, cancellationToken))).ConfigureAwait(false);
        return ([.. points], null);
    }

    /// <summary>The bucket of an access point (GetAccessPoint); null when it does not exist.</summary>
    public async Task<string?> BucketOfAsync(string name, string? bucketAccount, CancellationToken cancellationToken)
    {
        var owner = bucketAccount ?? await account(cancellationToken).ConfigureAwait(false);
        try
        {
            return (await control.GetAccessPointAsync(new GetAccessPointRequest { AccountId = owner, Name = name }, cancellationToken).ConfigureAwait(false)).Bucket;
        }
        catch (AmazonS3ControlException ex) when (ex.ErrorCode == "NoSuchAccessPoint" || ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<AccessPoint> ReadOneAsync(string owner, Amazon.S3Control.Model.AccessPoint listed, CancellationToken cancellationToken)
    {
        var name = listed.Name!;
        var problems = new List<string>();
        var details = Try(problems, "GetAccessPoint", () => control.GetAccessPointAsync(new GetAccessPointRequest { AccountId = owner, Name = name }, cancellationToken));
        var policy = Try(problems, "GetAccessPointPolicy", () => control.GetAccessPointPolicyAsync(new GetAccessPointPolicyRequest { AccountId = owner, Name = name }, cancellationToken));
        var status = readPolicyStatus
            ? Try(problems, "GetAccessPointPolicyStatus", () => control.GetAccessPointPolicyStatusAsync(new GetAccessPointPolicyStatusRequest { AccountId = owner, Name = name }, cancellationToken))
            : Task.FromResult<GetAccessPointPolicyStatusResponse?>(null);
        await Task.WhenAll(details, policy, status).ConfigureAwait(false);
        var read = await details.ConfigureAwait(false);
        var config = read?.PublicAccessBlockConfiguration;
        return new AccessPoint(
            name,
            listed.AccessPointArn,
            listed.Alias,
            read?.NetworkOrigin?.Value ?? listed.NetworkOrigin?.Value ?? "Internet",
            read?.VpcConfiguration?.VpcId ?? listed.VpcConfiguration?.VpcId,
            config is null ? null : new PublicAccessBlock(config.BlockPublicAcls ?? false, config.IgnorePublicAcls ?? false, config.BlockPublicPolicy ?? false, config.RestrictPublicBuckets ?? false),
            (await policy.ConfigureAwait(false))?.Policy is { Length: > 0 } text ? text : null,
            (await status.ConfigureAwait(false))?.PolicyStatus?.IsPublic,
            problems.Count == 0 ? null : string.Join("; ", problems));
    }

    /// <summary>One read: no policy is no policy; a refusal is a problem; anything else is thrown (the event is retried).</summary>
    private static async Task<T?> Try<T>(List<string> problems, string call, Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (AmazonS3ControlException ex) when (ex.ErrorCode is "NoSuchAccessPointPolicy")
        {
            return null;
        }
        catch (AmazonS3ControlException ex) when (Refused(ex))
        {
            lock (problems)
            {
                problems.Add($"{call}: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
            }

            return null;
        }
    }

    private static bool Refused(AmazonS3ControlException ex) => ex.StatusCode == HttpStatusCode.Forbidden || ex.ErrorCode is "AccessDenied" or "AccessDeniedException";
}
