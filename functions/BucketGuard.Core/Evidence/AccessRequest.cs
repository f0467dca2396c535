namespace BucketGuard.Core.Evidence;

/// <summary>Where a request was seen: an S3 server access log record, or a CloudTrail data event.</summary>
public enum RequestSource
{
    /// <summary>S3 server access logging (S3 User Guide, "Amazon S3 server access log format"): best-effort delivery.</summary>
    AccessLog,

    /// <summary>A CloudTrail data event (S3 User Guide, "Amazon S3 CloudTrail events"), from the trail's log files.</summary>
    DataEvent,
}

/// <summary>What a request did, for the ledger's counts.</summary>
public enum RequestEffect
{
    /// <summary>An object's data was sent: a GetObject that succeeded.</summary>
    Read,

    /// <summary>Refused (HTTP 403, AccessDenied): an attempt, never a read.</summary>
    Denied,

    /// <summary>Neither: HEAD, a listing, a write, another error.</summary>
    Other,
}

/// <summary>Who made a request, as far as the record tells.</summary>
public enum CallerKind
{
    /// <summary>Unauthenticated: the access log's requester is "-", or CloudTrail's userIdentity is an AWSAccount with an
    /// empty principalId and accountId ANONYMOUS_PRINCIPAL, anonymous or empty.</summary>
    Anonymous,

    /// <summary>The bucket's own account.</summary>
    Inside,

    /// <summary>Another account of the organisation.</summary>
    OrganizationAccount,

    /// <summary>An account outside the organisation (the organisation's accounts are known and it is not one of them).</summary>
    OutsideOrganization,

    /// <summary>Another account, not known to be in or outside the organisation (a canonical user ID that is not the
    /// bucket owner's, or no organisation list given).</summary>
    OtherAccount,
}

/// <summary>One request to a bucket, from either source, in one shape.</summary>
/// <param name="Time">When S3 received it (UTC).</param>
/// <param name="Key">The object key, decoded; null for a bucket-level request.</param>
/// <param name="Operation">The access log's operation (REST.GET.OBJECT) or the data event's eventName (GetObject).</param>
/// <param name="Requester">The requester as recorded (an ARN or canonical user ID); null when anonymous.</param>
/// <param name="RequesterAccount">The requester's 12-digit account where the record gives it.</param>
/// <param name="BytesSent">Response bytes sent (access log Bytes Sent; CloudTrail bytesTransferredOut), 0 when "-".</param>
/// <param name="HostId">x-amz-id-2 (access log Host Id; CloudTrail additionalEventData x-amz-id-2): with RequestId it
/// names one request in both sources.</param>
public sealed record AccessRequest(
    RequestSource Source,
    DateTimeOffset Time,
    string Bucket,
    string? Key,
    string? VersionId,
    string Operation,
    bool Anonymous,
    string? Requester,
    string? RequesterAccount,
    string? SourceIp,
    string? UserAgent,
    int? HttpStatus,
    string? ErrorCode,
    long BytesSent,
    string? RequestId,
    string? HostId)
{
    /// <summary>The record as its source wrote it (the log line; the CloudTrail record's JSON), when the reader was asked
    /// to keep it for the evidence (AccessLedger.KeepSources); null otherwise.</summary>
    public string? Raw { get; init; }

    /// <summary>A request for an object's data: GetObject (REST.GET.OBJECT, and WEBSITE.GET.OBJECT for website hosting).</summary>
    public bool IsObjectGet => Operation is "GetObject" or "REST.GET.OBJECT" or "WEBSITE.GET.OBJECT";

    /// <summary>IsObjectGet for an operation in UTF-8, as the readers find it in a record.</summary>
    public static bool IsObjectGetOperation(ReadOnlySpan<byte> operation) =>
        operation.SequenceEqual("GetObject"u8) || operation.SequenceEqual("REST.GET.OBJECT"u8) || operation.SequenceEqual("WEBSITE.GET.OBJECT"u8);

    /// <summary>What the request did: refused, an object read, or anything else.</summary>
    public RequestEffect Effect => EffectOf(IsObjectGet, HttpStatus, ErrorCode is "AccessDenied", ErrorCode is not null);

    /// <summary>The one rule for what a request did, from either source. Refused: HTTP 403, or the AccessDenied error
    /// code, counted as an attempt, never a read. Read: an object GET answered with data, that is a 2xx status where the
    /// source records one (CloudTrail records no status, so there a request without an error code succeeded).</summary>
    public static RequestEffect EffectOf(bool objectGet, int? httpStatus, bool accessDenied, bool hasErrorCode)
    {
        var succeeded = httpStatus is { } status ? status is >= 200 and < 300 : !hasErrorCode;
        return httpStatus == 403 || accessDenied ? RequestEffect.Denied
            : objectGet && succeeded ? RequestEffect.Read
            : RequestEffect.Other;
    }

    /// <summary>Who made it, against the bucket's account and (when known) the organisation's accounts.</summary>
    /// <param name="bucketOwnerCanonicalId">The bucket owner's canonical user ID, where the access log gives it (its first field).</param>
    public CallerKind Caller(string bucketAccount, IReadOnlySet<string>? organizationAccounts, string? bucketOwnerCanonicalId = null) =>
        Anonymous ? CallerKind.Anonymous
        : CallerOf(RequesterAccount, Requester is not null && Requester == bucketOwnerCanonicalId, bucketAccount, organizationAccounts);

    /// <summary>The one rule for an authenticated caller: by its account where the record gives one, else the bucket
    /// owner's own canonical user ID is inside and any other is another account.</summary>
    public static CallerKind CallerOf(string? requesterAccount, bool isBucketOwner, string bucketAccount, IReadOnlySet<string>? organizationAccounts) =>
        requesterAccount is { } account
            ? account == bucketAccount ? CallerKind.Inside
                : organizationAccounts is null ? CallerKind.OtherAccount
                : organizationAccounts.Contains(account) ? CallerKind.OrganizationAccount
                : CallerKind.OutsideOrganization
            : isBucketOwner ? CallerKind.Inside : CallerKind.OtherAccount;

    /// <summary>The account in an IAM or STS ARN (arn:PARTITION:iam::ACCOUNT:... or arn:PARTITION:sts::ACCOUNT:...), or a bare
    /// 12-digit account; null otherwise (a canonical user ID).</summary>
    public static string? AccountOf(string? requester)
    {
        if (requester is null)
        {
            return null;
        }

        if (AccountId.IsValid(requester))
        {
            return requester;
        }

        // arn:PARTITION:SERVICE::ACCOUNT:RESOURCE, read by position without splitting (this runs once a request).
        var rest = requester.AsSpan();
        if (!rest.StartsWith("arn:"))
        {
            return null;
        }

        rest = rest[4..];
        var partition = rest.IndexOf(':');
        if (partition < 0 || !(rest[(partition + 1)..].StartsWith("iam::") || rest[(partition + 1)..].StartsWith("sts::")))
        {
            return null;
        }

        var account = rest[(partition + 6)..];
        return account.Length > 12 && account[12] == ':' && AccountId.IsValid(account[..12].ToString()) ? account[..12].ToString() : null;
    }
}
