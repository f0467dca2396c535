using System.Collections.Immutable;
using System.Net;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Core;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;

namespace BucketGuard.Aws;

/// <summary>Re-reads a bucket's ACL, policy, Block Public Access, ownership controls and tags from S3, in parallel.
/// NoSuchBucket makes a "gone" state; AccessDenied on one read is recorded as a problem and the rest still count;
/// anything else (throttling and 5xx after the SDK's retries) is thrown so the invocation is retried.</summary>
/// <param name="lazy">Read the tags only when the ACL or policy grants something public (Remediation.NeedsProtection) or the
/// policy may lock on object ACLs alone: the decision needs the exemption only then. Block Public Access and ownership
/// are always read (they say whether objects can be public). The sweep uses it to make no more S3 calls than its
/// decisions need; the event path reads everything at once, for the shortest time to a block.</param>
/// <param name="tagsAlways">Read the tags in lazy mode too (BUCKETGUARD_OBJECT_ACLS=lock-when-possible, or object
/// sampling: a bucket may be locked on its objects, and its exemption decides).</param>
public sealed class S3BucketStateReader(IAmazonS3 s3, bool readPolicyStatus, SignedHttp? signedHttp = null, AmazonS3Config? config = null, AccountPublicAccessBlockReader? accountReader = null, bool lazy = false, bool tagsAlways = false) : IBucketStateReader, IObjectReader, IAccessPointResolver, ILockSnapshotReader
{
    /// <summary>Reads the bucket's access points where an S3 Control API is reachable (on AWS, or at a configured S3
    /// Control endpoint); null: they are not read, and BucketState.AccessPoints stays null.</summary>
    public AccessPointReader? AccessPoints { get; init; }

    public Task<string?> BucketOfAsync(string accessPoint, string? account, CancellationToken cancellationToken) =>
        AccessPoints?.BucketOfAsync(accessPoint, account, cancellationToken) ?? Task.FromResult<string?>(null);

    /// <summary>GetObjectAcl calls in flight at once per sample.</summary>
    public const int SampleConcurrency = 16;

    // An S3-compatible endpoint (one is configured) may answer GetPublicAccessBlock in XML the SDK cannot read (Ceph
    // RGW's root element differs): it is asked directly from the start, which reads any root. On AWS the SDK asks, and
    // the flag is set if the answer ever cannot be read.
    private volatile bool blockNeedsRawRead = signedHttp is not null && config is not null && AwsEndpoints.Configured("S3") is not null;

    /// <param name="credentials">The identity the S3 client acts as, for the requests signed here; null for the SDK's chain.</param>
    public static S3BucketStateReader FromEnvironment(AmazonS3Client s3, RemediationPolicy policy, bool lazy = false, AWSCredentials? credentials = null)
    {
        var signed = new SignedHttp(new HttpClient(), credentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials());
        var config = (AmazonS3Config)s3.Config;

        // S3-compatible endpoints have no S3 Control API: the account-level block is read on AWS, or where the S3 Control
        // endpoint is configured (the local moto server).
        // The sweep (lazy) reads each account's block once per interval; an event reads it anew.
        var account = AccountPublicAccessBlockReader.FromEnvironment(signed, config, lazy ? AccountPublicAccessBlockReader.SweepReuse : TimeSpan.Zero);
        var caller = new CallerAccount(policy.MemberRole.HomeAccount, () => AwsClients.CreateSts(null));
        return new(s3, policy.TrustS3PolicyStatus, signed, config, account, lazy,
            tagsAlways: policy.ObjectAcls == ObjectAcls.LockWhenPossible || policy.SweepObjectSample > 0)
        {
            AccessPoints = account is null ? null : new AccessPointReader(
                new Amazon.S3Control.AmazonS3ControlClient(credentials, new Amazon.S3Control.AmazonS3ControlConfig
                {
                    RegionEndpoint = config.RegionEndpoint ?? (config.AuthenticationRegion is { } region ? Amazon.RegionEndpoint.GetBySystemName(region) : null),
                    HttpClientFactory = config.HttpClientFactory,
                }),
                policy.TrustS3PolicyStatus, caller.GetAsync),
        };
    }

    public async Task<BucketState> ReadAsync(string bucket, string? account, CancellationToken cancellationToken)
    {
        var accountBlock = AccountBlock(account, cancellationToken);
        var problems = new List<string>();
        var acl = Try<GetBucketAclResponse>(problems, "GetBucketAcl", async () => await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }, cancellationToken), null);
        var policy = Try<GetBucketPolicyResponse>(problems, "GetBucketPolicy", async () => await s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }, cancellationToken), "NoSuchBucketPolicy");
        var block = Block(bucket, problems, cancellationToken);
        var ownership = Ownership(bucket, problems, cancellationToken);
        var points = AccessPoints?.ReadAsync(bucket, account, cancellationToken) ?? Task.FromResult<(ImmutableArray<AccessPoint>?, string?)>((null, null));
        Task<GetBucketTaggingResponse?> tags;
        try
        {
            if (lazy && !tagsAlways)
            {
                await Task.WhenAll(acl, policy, points).ConfigureAwait(false);
                var anyPointPolicy = (await points.ConfigureAwait(false)).Item1 is { } listed && listed.Any(p => p.PolicyJson is not null || p.Problem is not null);
                tags = anyPointPolicy || MayBePublic(await acl.ConfigureAwait(false), await policy.ConfigureAwait(false), problems) ? Tags(bucket, problems, cancellationToken) : Task.FromResult<GetBucketTaggingResponse?>(null);
            }
            else
            {
                tags = Tags(bucket, problems, cancellationToken);
            }

            await Task.WhenAll(acl, policy, block, ownership, tags, points).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (IsNoSuchBucket(ex))
        {
            return BucketState.Gone(bucket);
        }

        var (accessPoints, pointsProblem) = await points.ConfigureAwait(false);
        if (pointsProblem is not null)
        {
            problems.Add(pointsProblem);
        }

        var policyText = PolicyText(await policy.ConfigureAwait(false), problems);
        bool? s3SaysPublic = null;
        if (readPolicyStatus && policyText is not null)
        {
            var status = await Try<GetBucketPolicyStatusResponse>(problems, "GetBucketPolicyStatus", async () => await s3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }, cancellationToken), "NoSuchBucketPolicy").ConfigureAwait(false);
            s3SaysPublic = status?.PolicyStatus?.IsPublic;
        }

        var aclResponse = await acl.ConfigureAwait(false);
        return new BucketState(
            bucket,
            true,
            ToAcl(aclResponse),
            policyText,
            await block.ConfigureAwait(false),
            await accountBlock.ConfigureAwait(false),
            OwnershipOf(await ownership.ConfigureAwait(false)),
            TagsOf(await tags.ConfigureAwait(false)),
            s3SaysPublic,
            [.. problems])
        {
            AccessPoints = accessPoints,
        };
    }

    private Task<PublicAccessBlock?> AccountBlock(string? account, CancellationToken cancellationToken) =>
        account is not null && accountReader is not null ? accountReader.ReadAsync(account, cancellationToken) : Task.FromResult<PublicAccessBlock?>(null);

    private Task<PublicAccessBlock?> Block(string bucket, List<string> problems, CancellationToken cancellationToken) =>
        Try<PublicAccessBlock>(problems, "GetPublicAccessBlock", () => ReadBlockAsync(bucket, cancellationToken), "NoSuchPublicAccessBlockConfiguration");

    /// <summary>S3's NoSuchBucket (or a bare 404 on a bucket read): the bucket is gone.</summary>
    private static bool IsNoSuchBucket(AmazonS3Exception ex) => ex.ErrorCode == "NoSuchBucket" || ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is null;

    private static string? OwnershipOf(GetBucketOwnershipControlsResponse? response) => response?.OwnershipControls?.Rules?.FirstOrDefault()?.ObjectOwnership?.Value;

    private static ImmutableArray<BucketGuard.Core.Events.Tag> TagsOf(GetBucketTaggingResponse? response) =>
        [.. (response?.TagSet ?? []).Select(t => new BucketGuard.Core.Events.Tag(t.Key, t.Value))];

    private Task<GetBucketOwnershipControlsResponse?> Ownership(string bucket, List<string> problems, CancellationToken cancellationToken) =>
        Try<GetBucketOwnershipControlsResponse>(problems, "GetBucketOwnershipControls", async () => await s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }, cancellationToken), "OwnershipControlsNotFoundError");

    private Task<GetBucketTaggingResponse?> Tags(string bucket, List<string> problems, CancellationToken cancellationToken) =>
        Try<GetBucketTaggingResponse>(problems, "GetBucketTagging", async () => await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }, cancellationToken), "NoSuchTagSet");

    /// <summary>The object's ACL (of the version when named) and what protects it: the bucket's and the account's Block
    /// Public Access, ownership controls and tags (for the exemption), in parallel. NoSuchKey or NoSuchVersion: the object
    /// does not exist; a denied GetObjectAcl is a problem.</summary>
    public async Task<BucketState> ReadObjectAsync(string bucket, string key, string? versionId, string? account, CancellationToken cancellationToken)
    {
        var accountBlock = AccountBlock(account, cancellationToken);
        var problems = new List<string>();
        var name = versionId is null ? key : $"{key} (version {versionId})";
        var missing = false;
        var objectAcl = ObjectAcl(bucket, key, versionId, problems, () => missing = true, cancellationToken);
        var block = Block(bucket, problems, cancellationToken);
        var ownership = Ownership(bucket, problems, cancellationToken);
        var tags = Tags(bucket, problems, cancellationToken);
        try
        {
            await Task.WhenAll(objectAcl, block, ownership, tags).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (IsNoSuchBucket(ex))
        {
            return BucketState.Gone(bucket);
        }

        var acl = await objectAcl.ConfigureAwait(false);
        return new BucketState(
            bucket,
            true,
            null,
            null,
            await block.ConfigureAwait(false),
            await accountBlock.ConfigureAwait(false),
            OwnershipOf(await ownership.ConfigureAwait(false)),
            TagsOf(await tags.ConfigureAwait(false)),
            null,
            [.. problems])
        {
            Object = new ObjectState(key, versionId, name, !missing, acl, problems.FirstOrDefault(p => p.StartsWith("GetObjectAcl:", StringComparison.Ordinal))),
        };
    }

    /// <summary>An object's ACL; NoSuchKey/NoSuchVersion call <paramref name="notFound"/> and give null; a refusal is a problem.</summary>
    private Task<BucketGuard.Core.Acls.AccessControlList?> ObjectAcl(string bucket, string key, string? versionId, List<string> problems, Action notFound, CancellationToken cancellationToken) =>
        Try(problems, "GetObjectAcl", async () =>
        {
            try
            {
                return S3Mapping.ToAccessControlList(await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = key, VersionId = versionId }, cancellationToken).ConfigureAwait(false));
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode is "NoSuchKey" or "NoSuchVersion" || (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket"))
            {
                notFound();
                return null;
            }
        });

    /// <summary>Up to <paramref name="max"/> objects: ListObjectsV2 pages (1,000 keys each) until enough, then GetObjectAcl
    /// for each with at most <see cref="SampleConcurrency"/> at once. Requests: ceil(max / 1000) lists + max ACL reads.</summary>
    public async Task<ObjectSample> SampleAsync(string bucket, string? account, int max, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var keys = new List<string>();
        var truncated = false;
        try
        {
            string? token = null;
            do
            {
                var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = Math.Min(1000, max - keys.Count), ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key).Take(max - keys.Count));
                token = page.IsTruncated == true ? page.NextContinuationToken : null;
                truncated = token is not null;
            }
            while (token is not null && keys.Count < max);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden || ex.ErrorCode is "AccessDenied")
        {
            problems.Add($"ListObjectsV2: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
        }

        var objects = new ObjectState[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = SampleConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var own = new List<string>();
            var missing = false;
            var acl = await ObjectAcl(bucket, keys[i], null, own, () => missing = true, ct).ConfigureAwait(false);
            objects[i] = new ObjectState(keys[i], null, keys[i], !missing, acl, own.FirstOrDefault());
        }).ConfigureAwait(false);
        problems.AddRange(objects.Where(o => o.Problem is not null).Select(o => $"{o.Key}: {o.Problem}"));
        return new ObjectSample([.. objects], truncated, [.. problems]);
    }

    /// <summary>The locked bucket's snapshot: ListObjectVersions pages (1,000 each) up to <paramref name="maxVersions"/>
    /// versions (delete markers not counted), and GetBucketLogging. A read that is refused or fails is the snapshot's
    /// Problem, never an exception: the lock is done and must be reported.</summary>
    public async Task<LockSnapshot> SnapshotAsync(string bucket, string? account, int maxVersions, CancellationToken cancellationToken)
    {
        // The logging status is read while the versions are listed: one round trip more after the lock, not two.
        var logging = LoggingAsync(bucket, cancellationToken);
        var problems = new List<string>();
        var versions = 0;
        long bytes = 0;
        var truncated = false;
        try
        {
            string? keyMarker = null, versionMarker = null;
            do
            {
                var page = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, MaxKeys = Math.Min(1000, maxVersions - versions), KeyMarker = keyMarker, VersionIdMarker = versionMarker }, cancellationToken).ConfigureAwait(false);
                foreach (var version in (page.Versions ?? []).Where(v => v.IsDeleteMarker != true).Take(maxVersions - versions))
                {
                    versions++;
                    bytes += version.Size ?? 0;
                }

                truncated = page.IsTruncated == true;
                keyMarker = page.NextKeyMarker;
                versionMarker = page.NextVersionIdMarker;
            }
            while (truncated && versions < maxVersions);
        }
        catch (AmazonS3Exception ex)
        {
            problems.Add($"ListObjectVersions: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
        }

        var (on, unread) = await logging.ConfigureAwait(false);
        if (unread is not null)
        {
            problems.Add(unread);
        }

        return new LockSnapshot(versions, bytes, truncated, on, problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private async Task<(bool? On, string? Problem)> LoggingAsync(string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var status = await s3.GetBucketLoggingAsync(new GetBucketLoggingRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            return (!string.IsNullOrEmpty(status.BucketLoggingConfig?.TargetBucketName), null);
        }
        catch (AmazonS3Exception ex)
        {
            return (null, $"GetBucketLogging: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
        }
    }

    private static BucketGuard.Core.Acls.AccessControlList? ToAcl(GetBucketAclResponse? response) =>
        response is null ? null : S3Mapping.ToAccessControlList(response);

    /// <summary>AWSSDK.S3 answers a 404 on GetBucketPolicy with a response, not an exception: its "policy" is then the
    /// XML error document. No policy is no policy; any other non-200 is a read we could not make.</summary>
    private static string? PolicyText(GetBucketPolicyResponse? response, List<string> problems)
    {
        var text = response?.HttpStatusCode switch
        {
            null or HttpStatusCode.NotFound => null,
            HttpStatusCode.OK => response.Policy,
            var status => Problem(problems, $"GetBucketPolicy: HTTP {(int)status}"),
        };
        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>Remediation.NeedsProtection on the two answers: a policy read that was refused or answered with
    /// anything but 200 or 404 is unread.</summary>
    private static bool MayBePublic(GetBucketAclResponse? acl, GetBucketPolicyResponse? policy, List<string> problems) =>
        Remediation.NeedsProtection(
            ToAcl(acl),
            policy is null ? !Unread(problems, "GetBucketPolicy") : policy.HttpStatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound,
            policy?.HttpStatusCode == HttpStatusCode.OK && !string.IsNullOrEmpty(policy.Policy) ? policy.Policy : null);

    private static bool Unread(List<string> problems, string call)
    {
        lock (problems)
        {
            return BucketState.IsUnread(problems, call);
        }
    }

    private static string? Problem(List<string> problems, string problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }

        return null;
    }

    /// <summary>The bucket's Block Public Access, or null when none is configured.</summary>
    public async Task<PublicAccessBlock?> ReadBlockAsync(string bucket, CancellationToken cancellationToken)
    {
        if (!blockNeedsRawRead)
        {
            var response = await s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
            if (response.PublicAccessBlockConfiguration is { } c)
            {
                return new PublicAccessBlock(c.BlockPublicAcls ?? false, c.IgnorePublicAcls ?? false, c.BlockPublicPolicy ?? false, c.RestrictPublicBuckets ?? false);
            }
        }

        // A 200 the SDK could not parse: S3-compatible endpoints (Ceph RGW) name the root element differently.
        // Read the same resource with a request signed by the SDK's signer and take the flags by name.
        if (signedHttp is null || config is null || AwsEndpoints.Configured("S3") is not { } endpoint)
        {
            return null;
        }

        var raw = await signedHttp.SendAsync(HttpMethod.Get, config, "S3", endpoint, "/" + bucket, config.RegionEndpoint?.SystemName ?? config.AuthenticationRegion ?? "us-east-1",
            ["publicAccessBlock"], cancellationToken: cancellationToken).ConfigureAwait(false);
        switch (raw.Status)
        {
            case HttpStatusCode.OK:
                break;
            case HttpStatusCode.NotFound when !raw.Body.Contains("NoSuchBucket", StringComparison.Ordinal):
                return null; // NoSuchPublicAccessBlockConfiguration: none configured
            default:
                // Answered like the SDK would: a refusal is a problem the decision records (never "no flags"), a missing
                // bucket is a gone bucket, anything else fails the read so that the event is retried.
                var code = raw.Body.Contains("NoSuchBucket", StringComparison.Ordinal) ? "NoSuchBucket"
                    : raw.Status == HttpStatusCode.Forbidden ? "AccessDenied" : null;
                throw new AmazonS3Exception($"GetPublicAccessBlock: HTTP {(int)raw.Status}", ErrorType.Sender, code, null, raw.Status);
        }

        blockNeedsRawRead = true;
        return FlagsFromXml(raw.Body);
    }

    /// <summary>Block Public Access flags by element name, whatever the root element is called; null when none is on.</summary>
    public static PublicAccessBlock? FlagsFromXml(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        bool Flag(string name) => string.Equals(root.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value, "true", StringComparison.OrdinalIgnoreCase);
        var flags = new PublicAccessBlock(Flag("BlockPublicAcls"), Flag("IgnorePublicAcls"), Flag("BlockPublicPolicy"), Flag("RestrictPublicBuckets"));
        return flags == PublicAccessBlock.None ? null : flags;
    }

    /// <summary>Runs one read; "not configured" error codes become null, AccessDenied becomes a problem.</summary>
    private static async Task<T?> Try<T>(List<string> problems, string call, Func<Task<T?>> read, string? absentCode = null)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (absentCode is not null && ex.ErrorCode == absentCode)
        {
            return null;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden || ex.ErrorCode is "AccessDenied" or "MethodNotAllowed" or "NotImplemented")
        {
            lock (problems)
            {
                problems.Add($"{call}: {ex.ErrorCode ?? ex.StatusCode.ToString()}");
            }

            return null;
        }
    }
}

/// <summary>Puts the merged Block Public Access flags and re-reads what is in force. PutPublicAccessBlock replaces the
/// whole configuration; the flags come from the decision's own read of the bucket, the request before this put (one
/// round trip, on the event path and in the sweep alike), so a flag the owner turns on in that window is switched off
/// by the put. The decision on the owner's own PutBucketPublicAccessBlock event puts it back (Remediation.RacedFlags).
/// A second read just before the put would narrow nothing: it is one round trip before the put too.
/// A 403 or 400 is tried once more before it is final: IAM and S3 answer both transiently (a role policy still
/// propagating, a conflicting operation in progress).</summary>
public sealed class S3PublicAccessBlockWriter(IAmazonS3 s3, S3BucketStateReader reader) : IPublicAccessBlockWriter
{
    public async Task<ActionResult> ApplyAsync(string bucket, string? account, PublicAccessBlock flags, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
                {
                    BucketName = bucket,
                    PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
                    {
                        BlockPublicAcls = flags.BlockPublicAcls,
                        IgnorePublicAcls = flags.IgnorePublicAcls,
                        BlockPublicPolicy = flags.BlockPublicPolicy,
                        RestrictPublicBuckets = flags.RestrictPublicBuckets,
                    },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (attempt == 1 && ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest && ex.ErrorCode != "NoSuchBucket")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                return new ActionResult(null, $"PutPublicAccessBlock: {ex.ErrorCode ?? ex.StatusCode.ToString()}{(string.IsNullOrEmpty(ex.Message) ? string.Empty : " (" + ex.Message + ")")}");
            }

            try
            {
                return new ActionResult(await reader.ReadBlockAsync(bucket, cancellationToken).ConfigureAwait(false) ?? PublicAccessBlock.None, null);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
            {
                // The put succeeded; only the confirmation was refused. Said as such, never as a failed lock.
                return new ActionResult(null, null);
            }
        }
    }
}
