using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using BucketGuard.Core.Acls;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Events;

/// <summary>Turns an EventBridge "AWS API Call via CloudTrail" event (or a bare CloudTrail record) into a
/// BucketChange. Tolerant of every variant seen in real events: envelope account as a string, number or
/// null; userAgent as a list; eventID or eventId; requestParameters null; one-element lists for headers;
/// bucketPolicy as an object or a string. Anything that is not a bucket-level exposure change is classified
/// as such; only text that is not a JSON object is an error.</summary>
public static class CloudTrailEventParser
{
    public const string DetailType = "AWS API Call via CloudTrail";

    private static readonly IReadOnlyDictionary<string, ChangeKind> Kinds = EventRouting.Kinds;

    /// <summary>The eventNames BucketGuard understands (EventRouting.Routes).</summary>
    public static IReadOnlyCollection<string> EventNames => EventRouting.Kinds.Keys;

    public static Parsed<BucketChange> Parse(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<BucketChange>.Failure($"the event is {error}");
        }

        using (document)
        {
            return Parse(document!.RootElement);
        }
    }

    public static Parsed<BucketChange> Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Parsed<BucketChange>.Failure($"an event must be a JSON object, not {JsonRead.Describe(root.ValueKind)}");
        }

        JsonElement detail;
        var envelope = default(JsonElement);
        if (root.TryGet("detail", out var d))
        {
            envelope = root;
            detail = d.ValueKind == JsonValueKind.Object ? d : default;
        }
        else if (root.TryGet("eventName", out _))
        {
            detail = root; // a bare CloudTrail record, as in a trail's log file
        }
        else
        {
            return Parsed<BucketChange>.Success(NotBucketChange(root, "it is neither an EventBridge event (no detail) nor a CloudTrail record (no eventName)"));
        }

        var eventName = detail.TextOf("eventName") ?? string.Empty;
        var eventSource = detail.TextOf("eventSource");
        var detailType = envelope.ValueKind == JsonValueKind.Object ? envelope.TextOf("detail-type") : null;
        var source = envelope.ValueKind == JsonValueKind.Object ? envelope.TextOf("source") : null;
        var parameters = detail.TryGet("requestParameters", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var identity = detail.TryGet("userIdentity", out var u) && u.ValueKind == JsonValueKind.Object ? u : default;

        var account = EnvelopeText(envelope, "account") ?? detail.TextOf("recipientAccountId") ?? identity.TextOf("accountId");
        var timeText = EnvelopeText(envelope, "time") ?? detail.TextOf("eventTime");
        var bucket = parameters.TextOf("bucketName");
        var kind = Kinds.GetValueOrDefault(eventName, ChangeKind.NotBucketChange);
        string? notBucketReason = null;
        var isS3 = eventSource == "s3.amazonaws.com" || source == "aws.s3";
        if (detailType is not null && detailType != DetailType)
        {
            kind = ChangeKind.NotBucketChange;
            notBucketReason = $"detail-type \"{detailType}\" is not \"{DetailType}\"";
        }
        else if (!isS3)
        {
            kind = ChangeKind.NotBucketChange;
            notBucketReason = $"eventSource \"{eventSource}\" is not s3.amazonaws.com";
        }
        else if (kind == ChangeKind.NotBucketChange)
        {
            notBucketReason = eventName.Length == 0 ? "the event has no eventName" : $"{eventName} does not change who can reach a bucket";
        }

        // S3 Control calls: the access point's name and account in the request, the bucket only in CreateAccessPoint's
        // body (CreateAccessPointRequest); a multi-region access point's under its request's Details.
        string? accessPointName = null;
        string? accessPointVpc = null;
        JsonElement control = default;
        JsonElement details = default;
        if (kind is ChangeKind.AccessPointCreated or ChangeKind.AccessPointPolicyChanged or ChangeKind.AccessPointPolicyDeleted
            or ChangeKind.MultiRegionAccessPointCreated or ChangeKind.MultiRegionAccessPointPolicyChanged)
        {
            account ??= NullIfEmpty(parameters.TextOf("x-amz-account-id")) ?? AccountFromControlHost(parameters);
            control = parameters.TryGetAny(out var body, eventName + "Request", "CreateAccessPointRequest", "PutAccessPointPolicyRequest") && body.ValueKind == JsonValueKind.Object ? body : parameters;
            details = control.TryGet("Details", out var requestDetails) && requestDetails.ValueKind == JsonValueKind.Object ? requestDetails : control;
            accessPointName = NullIfEmpty(parameters.TextOf("name") ?? parameters.TextOf("Name") ?? details.TextOf("Name"));
            bucket = control.TextOf("Bucket") ?? bucket;
            accessPointVpc = control.TryGet("VpcConfiguration", out var vpc) ? NullIfEmpty(vpc.TextOf("VpcId")) : null;
        }

        if (kind is ChangeKind.AccountPublicAccessBlockChanged or ChangeKind.AccountPublicAccessBlockDeleted)
        {
            // s3control calls name the account only in the host header: <account>.s3-control.<region>.amazonaws.com
            account ??= AccountFromControlHost(parameters);
            bucket = null;
        }

        // Names and accounts are checked before anything is looked up or shown: a value no S3 bucket or AWS account
        // can have makes the event malformed (the pipeline reports it as such), not a bucket that is "gone" or an
        // account to assume a role in. The rest is still parsed, so `check` can explain what the event asked for.
        string? invalid = null;
        if (kind != ChangeKind.NotBucketChange)
        {
            if (!string.IsNullOrEmpty(bucket) && !BucketName.IsValid(bucket))
            {
                invalid = $"{eventName}: bucketName is not a valid S3 bucket name ({BucketName.Rule}): \"{Untrusted.Clean(bucket, 80)}\"";
            }
            else if (account is not null && !AccountId.IsValid(account))
            {
                invalid = $"{eventName}: the account \"{Untrusted.Clean(account, 40)}\" is not a 12-digit AWS account ID";
            }
        }

        string? problem = null;
        AccessControlList? acl = null;
        string? policy = null;
        PublicAccessBlock? publicAccessBlock = null;
        string? ownership = null;
        ImmutableArray<Tag>? tags = null;
        var aclInRequest = false;
        switch (kind)
        {
            case ChangeKind.BucketCreated or ChangeKind.BucketAclChanged or ChangeKind.ObjectAclChanged:
                acl = RequestedAcl(parameters, kind, out problem, out aclInRequest);
                ownership = kind == ChangeKind.BucketCreated ? parameters.TextOf("x-amz-object-ownership") : null;
                break;
            case ChangeKind.BucketPolicyChanged:
                policy = RequestedPolicy(parameters, out problem);
                break;
            case ChangeKind.BucketPublicAccessBlockChanged or ChangeKind.AccountPublicAccessBlockChanged:
                publicAccessBlock = parameters.TryGet("PublicAccessBlockConfiguration", out var pab) ? PublicAccessBlock.FromJson(pab) : null;
                problem = publicAccessBlock is null ? "the event carries no PublicAccessBlockConfiguration" : null;
                break;
            case ChangeKind.OwnershipControlsChanged:
                ownership = RequestedOwnership(parameters);
                break;
            case ChangeKind.AccessPointPolicyChanged or ChangeKind.MultiRegionAccessPointPolicyChanged:
                policy = RequestedPolicy(details, out problem, "Policy") ?? (problem is null ? null : RequestedPolicy(parameters, out problem, "policy"));
                break;
            case ChangeKind.AccessPointCreated or ChangeKind.MultiRegionAccessPointCreated:
                publicAccessBlock = details.TryGetAny(out var apBlock, "PublicAccessBlockConfiguration", "PublicAccessBlock") ? PublicAccessBlock.FromJson(apBlock) : null;
                break;
            case ChangeKind.BucketTaggingChanged:
                tags = RequestedTags(parameters);
                break;
        }

        return Parsed<BucketChange>.Success(new BucketChange(
            kind,
            eventName,
            detail.TextOf("eventID") ?? detail.TextOf("eventId"),
            eventSource,
            account,
            EnvelopeText(envelope, "region") ?? detail.TextOf("awsRegion"),
            string.IsNullOrEmpty(bucket) ? null : bucket,
            kind == ChangeKind.ObjectAclChanged ? NullIfEmpty(parameters.TextOf("key")) : null,
            timeText,
            ParseTime(timeText),
            ParseActor(identity),
            detail.TextOf("sourceIPAddress"),
            detail.TextOf("userAgent"),
            NullIfEmpty(detail.TextOf("errorCode")),
            NullIfEmpty(detail.TextOf("errorMessage")),
            acl,
            policy,
            publicAccessBlock,
            ownership,
            tags,
            problem,
            notBucketReason)
        {
            Invalid = invalid,
            ObjectVersion = kind == ChangeKind.ObjectAclChanged ? NullIfEmpty(parameters.TextOf("versionId")) : null,
            AccessPointName = accessPointName,
            AccessPointVpc = accessPointVpc,
            AclInRequest = aclInRequest,
        });
    }

    private static BucketChange NotBucketChange(JsonElement root, string reason) => new(
        ChangeKind.NotBucketChange, string.Empty, root.TextOf("id"), null, EnvelopeText(root, "account"), EnvelopeText(root, "region"),
        null, null, EnvelopeText(root, "time"), ParseTime(EnvelopeText(root, "time")), Actor.Unknown, null, null, null, null,
        null, null, null, null, null, null, reason);

    private static string? EnvelopeText(JsonElement envelope, string name) =>
        envelope.ValueKind == JsonValueKind.Object ? envelope.TextOf(name) : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? AccountFromControlHost(JsonElement parameters)
    {
        var host = parameters.TextOf("host") ?? parameters.TextOf("Host");
        var dot = host?.IndexOf(".s3-control.", StringComparison.OrdinalIgnoreCase) ?? -1;
        return dot > 0 ? host![..dot] : null;
    }

    /// <summary>The ACL a request asked for, read one way whatever the keys' case (CloudTrail has recorded both
    /// AccessControlList and accessControlList, and hyphen or underscore header names): an AccessControlPolicy body,
    /// x-amz-acl, or x-amz-grant-* headers, at the top of requestParameters or under AccessControlList.
    /// <paramref name="present"/> says whether the request named any ACL at all, parsed or not: that one fact is what
    /// triage skips uploads on.</summary>
    private static AccessControlList? RequestedAcl(JsonElement parameters, ChangeKind kind, out string? problem, out bool present)
    {
        problem = null;
        present = false;
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            problem = kind == ChangeKind.BucketCreated ? null : "the event carries no requestParameters";
            return kind == ChangeKind.BucketCreated ? CannedAcl.Expand("private").Value : null;
        }

        if (parameters.TryGet("AccessControlPolicy", out var body) && body.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            present = true;
            var parsed = body.ValueKind == JsonValueKind.Object ? AclParser.Parse(body) : Parsed<AccessControlList>.Failure($"AccessControlPolicy is {JsonRead.Describe(body.ValueKind)}, not an object");
            problem = parsed.Error is null ? null : $"the requested ACL: {parsed.Error}";
            return parsed.Value;
        }

        var list = parameters.TryGet("AccessControlList", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
        foreach (var where in (JsonElement[])[parameters, list])
        {
            if (where.TryGetAny(out var cannedElement, "x-amz-acl", "x_amz_acl") && cannedElement.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
            {
                present = true;
                if (cannedElement.Text() is { Length: > 0 } canned)
                {
                    var parsed = CannedAcl.Expand(canned);
                    problem = parsed.Error is null ? null : $"the requested ACL: {parsed.Error}";
                    return parsed.Value;
                }
            }
        }

        // Grant headers sit at the top level, or under AccessControlList (hyphen or underscore keys).
        var headerGrants = AclParser.HeaderGrants(parameters) ?? (list.ValueKind == JsonValueKind.Object ? AclParser.HeaderGrants(list) : null);
        if (headerGrants is { } grants)
        {
            present = true;
            return new AccessControlList(null, grants);
        }

        if (kind == ChangeKind.BucketCreated)
        {
            // No x-amz-acl and no grant header on CreateBucket means the default ACL: private.
            return CannedAcl.Expand("private").Value;
        }

        problem = "the event carries no ACL (no AccessControlPolicy, x-amz-acl or x-amz-grant-* header)";
        return null;
    }

    /// <summary>The requested policy as JSON text (CloudTrail records it as an object, some tools as a string).</summary>
    private static string? RequestedPolicy(JsonElement parameters, out string? problem, string name = "bucketPolicy")
    {
        problem = null;
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGet(name, out var element) || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            problem = $"the event carries no {name}";
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return element.GetRawText();
        }

        var text = element.GetString()!;
        if (!JsonRead.TryParse(text, out var document, out var error))
        {
            problem = $"the requested {name} is a string that is {error}";
            return null;
        }

        document!.Dispose();
        return text;
    }

    private static string? RequestedOwnership(JsonElement parameters) =>
        parameters.TryGet("OwnershipControls", out var controls) && controls.TryGet("Rule", out var rule)
            ? rule.OneOrMany().Select(r => r.TextOf("ObjectOwnership")).FirstOrDefault(o => o is not null)
            : null;

    private static ImmutableArray<Tag> RequestedTags(JsonElement parameters)
    {
        if (!parameters.TryGet("Tagging", out var tagging) || !tagging.TryGet("TagSet", out var set) || !set.TryGet("Tag", out var tags))
        {
            return [];
        }

        return [.. tags.OneOrMany().Select(t => new Tag(t.TextOf("Key") ?? string.Empty, t.TextOf("Value") ?? string.Empty))];
    }

    private static Actor ParseActor(JsonElement identity)
    {
        if (identity.ValueKind != JsonValueKind.Object)
        {
            return Actor.Unknown;
        }

        var issuer = identity.TryGet("sessionContext", out var session) && session.TryGet("sessionIssuer", out var i) ? i.TextOf("arn") : null;
        return new Actor(
            identity.TextOf("type"),
            identity.TextOf("arn"),
            identity.TextOf("accountId"),
            identity.TextOf("principalId"),
            identity.TextOf("accessKeyId"),
            issuer,
            identity.TextOf("invokedBy"));
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
}
