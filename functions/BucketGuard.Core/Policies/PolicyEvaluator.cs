using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Policies;

/// <summary>AWS's definition of a public bucket policy (S3 User Guide, "The meaning of 'public'"): a policy is
/// public unless every Allow statement grants only to fixed principals, or is limited by a condition that pins
/// one of a short list of keys to fixed values. This is the one place that rule is written.
///
/// It reads every shape S3 accepts and CloudTrail records (Statement, Action and principal values as one value
/// or a list; keys in any case; Version missing or 2008-10-17; condition values as strings, numbers, booleans or
/// lists; the whole policy as a JSON string) in one forward pass of Utf8JsonReader. Each statement's values are
/// remembered as positions in the input; verdicts are taken on those UTF-8 bytes, and words are built only for
/// what is reported. That keeps evaluating within 1.5x the cost of merely parsing the policy into a JsonDocument
/// (tests/BucketGuard.Benchmarks). Structural faults come back as an error, never an exception.</summary>
public static class PolicyEvaluator
{
    /// <summary>Condition keys whose fixed values AWS accepts as limiting who can use a grant (aws:SourceIp is
    /// checked separately, for CIDR breadth). aws:PrincipalOrgPaths is a principal key like aws:PrincipalOrgID.</summary>
    private static readonly byte[][] LimitingKeys =
    [
        "aws:SourceArn"u8.ToArray(), "aws:SourceVpc"u8.ToArray(), "aws:SourceVpce"u8.ToArray(), "aws:SourceOwner"u8.ToArray(),
        "aws:SourceAccount"u8.ToArray(), "s3:x-amz-server-side-encryption-aws-kms-key-id"u8.ToArray(), "aws:userid"u8.ToArray(),
        "aws:PrincipalOrgID"u8.ToArray(), "aws:PrincipalOrgPaths"u8.ToArray(), "aws:PrincipalAccount"u8.ToArray(),
        "aws:PrincipalArn"u8.ToArray(), "s3:DataAccessPointArn"u8.ToArray(), "s3:DataAccessPointAccount"u8.ToArray(),
    ];

    private static readonly byte[][] EqualityOperators =
        ["StringEquals"u8.ToArray(), "StringEqualsIgnoreCase"u8.ToArray(), "StringLike"u8.ToArray(), "ArnEquals"u8.ToArray(), "ArnLike"u8.ToArray()];

    /// <summary>Why a condition clause does, or does not, limit a grant.</summary>
    private enum ClauseVerdict
    {
        Limits,
        ForAllValues,
        IfExists,
        Negated,
        NullCheck,
        NotLimitingKey,
        NotEqualityOperator,
        SourceIpNotIpAddress,
        NoValues,
        Wildcard,
        Variable,
        AccessPointNotFixed,
        AccessPointSet,
        NotCidr,
        BroadCidr,
    }

    private enum Key
    {
        Other,
        Sid,
        Effect,
        Principal,
        NotPrincipal,
        Action,
        NotAction,
        Condition,
    }

    /// <summary>Where a value sits in the input (a string's bytes without quotes, or a number's or boolean's
    /// text); Unescaped holds the value instead when the JSON used escapes (rare).</summary>
    private readonly record struct Ref(int Start, int Length, string? Unescaped);

    private readonly record struct PrincipalRef(Ref Type, Ref Value, bool Star);

    private readonly record struct ClauseRef(Ref Operator, Ref Key, int FirstValue, int ValueCount);

    /// <summary>Per-thread scratch lists, reused for every statement so that evaluating allocates only what it reports.</summary>
    private sealed class Scratch
    {
        public readonly List<PrincipalRef> Principals = new(8);
        public readonly List<Ref> Actions = new(8);
        public readonly List<ClauseRef> Clauses = new(8);
        public readonly List<Ref> Values = new(16);

        public void Clear()
        {
            Principals.Clear();
            Actions.Clear();
            Clauses.Clear();
            Values.Clear();
        }
    }

    [ThreadStatic]
    private static Scratch? scratch;

    /// <summary>Judges <paramref name="json"/> as a policy of <paramref name="kind"/>: the kinds differ in one rule
    /// (s3:DataAccessPointArn, see <see cref="PolicyKind"/>). Errors: a structural fault comes back as a failed Parsed
    /// with the reason in words, never an exception.</summary>
    public static Parsed<Exposure> Evaluate(string json, PolicyKind kind)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, rented);
            return Evaluate(rented.AsSpan(0, length), wrapped: false, kind);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>As <see cref="Evaluate(string, PolicyKind)"/>, for a policy already parsed (an object, or a string
    /// holding one).</summary>
    public static Parsed<Exposure> Evaluate(JsonElement policy, PolicyKind kind) => policy.ValueKind switch
    {
        JsonValueKind.String => EvaluateWrapped(policy.GetString()!, kind),
        JsonValueKind.Object => Evaluate(JsonMarshal.GetRawUtf8Value(policy), wrapped: false, kind),
        _ => Parsed<Exposure>.Failure($"a policy must be a JSON object, not {JsonRead.Describe(policy.ValueKind)}"),
    };

    /// <summary>A policy carried as a JSON string inside JSON (CloudTrail and some tools do this).</summary>
    private static Parsed<Exposure> EvaluateWrapped(string inner, PolicyKind kind)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(inner.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(inner, rented);
            return Evaluate(rented.AsSpan(0, length), wrapped: true, kind);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static Parsed<Exposure> Evaluate(ReadOnlySpan<byte> json, bool wrapped, PolicyKind kind)
    {
        try
        {
            var reader = new Utf8JsonReader(json, JsonRead.ReaderOptions);
            if (!reader.Read())
            {
                return Parsed<Exposure>.Failure(wrapped ? "the policy is an empty string" : "the policy is empty");
            }

            if (reader.TokenType == JsonTokenType.String)
            {
                if (wrapped)
                {
                    return Parsed<Exposure>.Failure("the policy is a string holding another string, not a policy");
                }

                var inner = reader.GetString()!;
                ReadToEnd(ref reader);
                return EvaluateWrapped(inner, kind);
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var found = JsonRead.Describe(reader.TokenType);
                reader.Skip();
                ReadToEnd(ref reader);
                return Parsed<Exposure>.Failure($"a policy must be a JSON object, not {found}");
            }

            Finding[]? findings = null;
            string[]? notes = null;
            int findingCount = 0, noteCount = 0, statementCount = 0, allowCount = 0;
            var sawStatement = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (sawStatement || !NameIs(ref reader, "Statement"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                sawStatement = true;
                reader.Read();
                var single = reader.TokenType != JsonTokenType.StartArray;
                while (single || (reader.Read() && reader.TokenType != JsonTokenType.EndArray))
                {
                    if (single && reader.TokenType == JsonTokenType.Null)
                    {
                        break; // "Statement": null holds no statements
                    }

                    var problem = EvaluateStatement(ref reader, json, kind, statementCount, ref allowCount, ref findings, ref findingCount, ref notes, ref noteCount);
                    if (problem is not null)
                    {
                        return Parsed<Exposure>.Failure($"statement {statementCount + 1}: {problem}");
                    }

                    statementCount++;
                    if (single)
                    {
                        break;
                    }
                }
            }

            ReadToEnd(ref reader);
            if (!sawStatement)
            {
                return Parsed<Exposure>.Failure("the policy has no Statement");
            }

            if (statementCount == 0)
            {
                return Parsed<Exposure>.Failure("the policy's Statement list is empty");
            }

            if (allowCount == 0)
            {
                // IAM policy evaluation logic: a Deny only takes away what an Allow elsewhere grants.
                Append(ref notes, ref noteCount, "the policy grants nothing: every statement is a Deny, which only takes access away (IAM User Guide, \"Policy evaluation logic\")");
            }

            return Parsed<Exposure>.Success(findings is null && notes is null
                ? Exposure.NotPublic
                : new Exposure(Exact(findings, findingCount), Exact(notes, noteCount)));
        }
        catch (JsonException ex)
        {
            return Parsed<Exposure>.Failure((wrapped ? "the policy is a string that is " : "the policy is ") + JsonRead.Describe(ex));
        }
    }

    /// <summary>Reads one statement (the reader is on its first token) and judges it; returns a structural problem, or null.</summary>
    private static string? EvaluateStatement(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, PolicyKind kind, int index, ref int allowCount, ref Finding[]? findings, ref int findingCount, ref string[]? notes, ref int noteCount)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var found = JsonRead.Describe(reader.TokenType);
            reader.Skip();
            return $"a statement must be an object, not {found}";
        }

        var s = scratch ??= new Scratch();
        s.Clear();
        Ref sid = default;
        Ref effectText = default;
        int effect = -1; // 1 Allow, 0 Deny, -1 missing, -2 something else
        bool hasPrincipal = false, notPrincipal = false, hasAction = false, notAction = false, broad = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = StatementKey(ref reader);
            reader.Read();
            switch (key)
            {
                case Key.Sid:
                    sid = reader.TokenType == JsonTokenType.String ? RefOf(ref reader) : default;
                    reader.Skip();
                    break;
                case Key.Effect:
                    effectText = IsScalar(reader.TokenType) ? RefOf(ref reader) : new Ref(0, 0, JsonRead.Describe(reader.TokenType));
                    effect = reader.TokenType != JsonTokenType.String ? -2
                        : Ascii.EqualsIgnoreCase(Bytes(json, effectText), "Allow"u8) ? 1
                        : Ascii.EqualsIgnoreCase(Bytes(json, effectText), "Deny"u8) ? 0
                        : -2;
                    reader.Skip();
                    break;
                case Key.Principal or Key.NotPrincipal:
                    if (hasPrincipal)
                    {
                        reader.Skip(); // a second principal key: the first one stands
                        break;
                    }

                    hasPrincipal = true;
                    notPrincipal = key == Key.NotPrincipal;
                    if (ReadPrincipals(ref reader, json, s, ref broad) is { } principalProblem)
                    {
                        return principalProblem;
                    }

                    break;
                case Key.Action or Key.NotAction:
                    if (hasAction)
                    {
                        reader.Skip();
                        break;
                    }

                    hasAction = true;
                    notAction = key == Key.NotAction;
                    if (!ReadValues(ref reader, s.Actions, stringsOnly: true))
                    {
                        return $"{(notAction ? "NotAction" : "Action")} must be a string or a list of strings";
                    }

                    break;
                case Key.Condition:
                    if (ReadConditions(ref reader, json, s) is { } conditionProblem)
                    {
                        return conditionProblem;
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (effect < 0)
        {
            return effect == -1 ? "no Effect" : $"Effect \"{Text(json, effectText)}\" is neither Allow nor Deny";
        }

        if (!hasAction)
        {
            return "no Action or NotAction";
        }

        if (effect == 0)
        {
            return null; // Deny statements take access away; they never grant it.
        }

        allowCount++;
        if (hasPrincipal && !notPrincipal && !broad)
        {
            return null; // every principal is fixed
        }

        // The principal is not fixed: the statement is public unless one condition (they are ANDed) limits it.
        foreach (var clause in s.Clauses)
        {
            var verdict = Judge(json, kind, clause, s.Values, out var offending);
            if (verdict == ClauseVerdict.Limits)
            {
                Append(ref notes, ref noteCount, Where(json, index, sid) + ": " + WhyBroad(json, s, hasPrincipal, notPrincipal).Why + ", but limited by " + Explain(json, kind, verdict, clause, s.Values, offending));
                return null;
            }
        }

        Append(ref findings, ref findingCount, MakeFinding(json, kind, index, sid, s, hasPrincipal, notPrincipal, notAction));
        return null;
    }

    private static Finding MakeFinding(ReadOnlySpan<byte> json, PolicyKind kind, int index, Ref sid, Scratch s, bool hasPrincipal, bool notPrincipal, bool notAction)
    {
        var (who, why) = WhyBroad(json, s, hasPrincipal, notPrincipal);
        string reason;
        if (s.Clauses.Count == 0)
        {
            reason = why + " with no limiting condition";
        }
        else
        {
            var unlimited = new string[s.Clauses.Count];
            for (var i = 0; i < unlimited.Length; i++)
            {
                var clause = s.Clauses[i];
                unlimited[i] = Explain(json, kind, Judge(json, kind, clause, s.Values, out var offending), clause, s.Values, offending);
            }

            reason = why + "; no condition limits it (" + string.Join("; ", unlimited) + ")";
        }

        var actions = new string[s.Actions.Count];
        // NotAction in an Allow grants every S3 action except those listed: nothing short of all levels is safe to assume.
        var level = notAction ? S3Actions.All : AccessLevel.None;
        for (var i = 0; i < actions.Length; i++)
        {
            var name = Text(json, s.Actions[i]);
            actions[i] = notAction ? "NotAction " + name : name;
            level |= notAction ? AccessLevel.None : S3Actions.LevelOf(name);
        }

        return new Finding(
            FindingSource.PolicyStatement,
            index,
            sid.Length > 0 || sid.Unescaped is not null ? Text(json, sid) : null,
            who,
            ImmutableCollectionsMarshal.AsImmutableArray(actions),
            level,
            notAction ? reason + "; NotAction grants every action except those listed" : reason);
    }

    private static string Where(ReadOnlySpan<byte> json, int index, Ref sid) =>
        sid.Length > 0 || sid.Unescaped is { Length: > 0 }
            ? string.Create(CultureInfo.InvariantCulture, $"Statement {index + 1} (Sid \"{Text(json, sid)}\")")
            : string.Create(CultureInfo.InvariantCulture, $"Statement {index + 1}");

    // ----- principals -----

    /// <summary>Reads Principal/NotPrincipal ("*", a string, or {type: value or list}), noting whether any value is not fixed.</summary>
    private static string? ReadPrincipals(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Scratch s, ref bool broad)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            // A bare string principal is "*", or (historically accepted by S3) an account ARN.
            var value = RefOf(ref reader);
            var star = Bytes(json, value).SequenceEqual("*"u8);
            s.Principals.Add(new PrincipalRef(new Ref(0, 0, star ? "*" : "AWS"), value, star));
            broad |= star || !IsFixed(Bytes(json, value));
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var kind = JsonRead.Describe(reader.TokenType);
            reader.Skip();
            return $"Principal must be \"*\" or an object, not {kind}";
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var type = RefOf(ref reader);
            var typeBytes = Bytes(json, type);
            var fixedType = Ascii.EqualsIgnoreCase(typeBytes, "AWS"u8) || Ascii.EqualsIgnoreCase(typeBytes, "Service"u8) || Ascii.EqualsIgnoreCase(typeBytes, "CanonicalUser"u8);
            reader.Read();
            var first = s.Values.Count;
            if (!ReadValues(ref reader, s.Values, stringsOnly: true))
            {
                return $"Principal {Text(json, type)} must be a string or a list of strings";
            }

            for (var i = first; i < s.Values.Count; i++)
            {
                var value = s.Values[i];
                s.Principals.Add(new PrincipalRef(type, value, false));
                broad |= !fixedType || !IsFixed(Bytes(json, value));
            }

            s.Values.RemoveRange(first, s.Values.Count - first);
        }

        return null;
    }

    /// <summary>The first broad principal and why it is broad, in words.</summary>
    private static (string Who, string Why) WhyBroad(ReadOnlySpan<byte> json, Scratch s, bool hasPrincipal, bool notPrincipal)
    {
        if (!hasPrincipal)
        {
            return ("(none)", "the statement names no principal, so it cannot be shown to grant only to fixed principals");
        }

        if (notPrincipal)
        {
            var excepted = new string[s.Principals.Count];
            for (var i = 0; i < excepted.Length; i++)
            {
                excepted[i] = PrincipalText(json, s.Principals[i]);
            }

            var list = string.Join(", ", excepted);
            return ("NotPrincipal " + list, "NotPrincipal in an Allow grants everyone except " + list);
        }

        foreach (var p in s.Principals)
        {
            var type = p.Star ? "*" : TypeName(json, p.Type);
            var value = p.Star ? "*" : Text(json, p.Value);
            if (WhyNotFixed(type, value) is { } why)
            {
                return (p.Star ? "*" : type + ":" + value, why);
            }
        }

        return ("(none)", "no broad principal");
    }

    private static string PrincipalText(ReadOnlySpan<byte> json, PrincipalRef p) =>
        p.Star ? "*" : TypeName(json, p.Type) + ":" + Text(json, p.Value);

    private static string TypeName(ReadOnlySpan<byte> json, Ref type)
    {
        var raw = Bytes(json, type);
        return Ascii.EqualsIgnoreCase(raw, "AWS"u8) ? "AWS"
            : Ascii.EqualsIgnoreCase(raw, "Service"u8) ? "Service"
            : Ascii.EqualsIgnoreCase(raw, "CanonicalUser"u8) ? "CanonicalUser"
            : Ascii.EqualsIgnoreCase(raw, "Federated"u8) ? "Federated"
            : Text(json, type);
    }

    private static string? WhyNotFixed(string type, string value)
    {
        if (type == "*")
        {
            return "Principal * (anyone, including anonymous users)";
        }

        if (value == "*")
        {
            return type == "AWS" ? "Principal AWS:* (anyone, including anonymous users)" : "Principal " + type + ":* (anyone)";
        }

        if (value.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            return $"Principal {type}:{value} contains a wildcard";
        }

        if (value.Contains("${", StringComparison.Ordinal))
        {
            return $"Principal {type}:{value} contains a policy variable";
        }

        return type switch
        {
            "AWS" or "Service" or "CanonicalUser" => null,
            "Federated" => $"Principal Federated:{value} is an identity provider: anyone who signs in through it",
            _ => $"Principal {type}:{value} is of type {type}, which is not a fixed AWS principal",
        };
    }

    // ----- conditions -----

    /// <summary>Reads Condition: {operator: {key: value or list of values}}.</summary>
    private static string? ReadConditions(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Scratch s)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var kind = JsonRead.Describe(reader.TokenType);
            reader.Skip();
            return $"Condition must be an object, not {kind}";
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var op = RefOf(ref reader);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = JsonRead.Describe(reader.TokenType);
                return $"condition operator {Text(json, op)} must hold an object of keys, not {kind}";
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = RefOf(ref reader);
                reader.Read();
                var first = s.Values.Count;
                if (!ReadValues(ref reader, s.Values, stringsOnly: false))
                {
                    return $"condition {Text(json, op)} {Text(json, key)} must be a value or a list of values";
                }

                s.Clauses.Add(new ClauseRef(op, key, first, s.Values.Count - first));
            }
        }

        return null;
    }

    private static ClauseVerdict Judge(ReadOnlySpan<byte> json, PolicyKind kind, ClauseRef clause, List<Ref> values, out int offending)
    {
        offending = -1;
        var opName = Bytes(json, clause.Operator);
        if (StartsWithIgnoreCase(opName, "ForAllValues:"u8))
        {
            return ClauseVerdict.ForAllValues;
        }

        if (StartsWithIgnoreCase(opName, "ForAnyValue:"u8))
        {
            opName = opName["ForAnyValue:"u8.Length..];
        }

        if (opName.Length >= 8 && Ascii.EqualsIgnoreCase(opName[^8..], "IfExists"u8))
        {
            return ClauseVerdict.IfExists;
        }

        if (ContainsIgnoreCase(opName, "Not"u8))
        {
            return ClauseVerdict.Negated;
        }

        if (Ascii.EqualsIgnoreCase(opName, "Null"u8))
        {
            return ClauseVerdict.NullCheck;
        }

        var keyName = Bytes(json, clause.Key);
        var isSourceIp = Ascii.EqualsIgnoreCase(keyName, "aws:SourceIp"u8);
        if (!isSourceIp && !ContainsIgnoreCase(LimitingKeys, keyName))
        {
            return ClauseVerdict.NotLimitingKey;
        }

        if (isSourceIp ? !Ascii.EqualsIgnoreCase(opName, "IpAddress"u8) : !ContainsIgnoreCase(EqualityOperators, opName))
        {
            return isSourceIp ? ClauseVerdict.SourceIpNotIpAddress : ClauseVerdict.NotEqualityOperator;
        }

        if (clause.ValueCount == 0)
        {
            return ClauseVerdict.NoValues;
        }

        var accessPoint = Ascii.EqualsIgnoreCase(keyName, "s3:DataAccessPointArn"u8);
        for (var i = 0; i < clause.ValueCount; i++)
        {
            var value = Bytes(json, values[clause.FirstValue + i]);
            var verdict = isSourceIp ? JudgeCidr(value) : JudgeFixed(value, accessPoint ? kind : null);
            if (verdict != ClauseVerdict.Limits)
            {
                offending = i;
                return verdict;
            }
        }

        return ClauseVerdict.Limits;
    }

    /// <param name="accessPointIn">For an s3:DataAccessPointArn value, the kind of policy it is in; null for other keys.</param>
    private static ClauseVerdict JudgeFixed(ReadOnlySpan<byte> value, PolicyKind? accessPointIn)
    {
        if (value.IndexOf("${"u8) >= 0)
        {
            return ClauseVerdict.Variable;
        }

        var wildcard = value.IndexOfAny((byte)'*', (byte)'?') >= 0;
        if (accessPointIn is not { } kind)
        {
            return wildcard ? ClauseVerdict.Wildcard : ClauseVerdict.Limits;
        }

        return kind switch
        {
            // S3 User Guide, "The meaning of 'public'", Access points: in a bucket policy, a grant to the access points
            // of one account (arn:aws:s3:REGION:ACCOUNT:accesspoint/*) is not public.
            PolicyKind.Bucket => AccessPointArnIsFixed(value) ? ClauseVerdict.Limits : ClauseVerdict.AccessPointNotFixed,

            // The same page: in an access point policy, a grant to a set of access points through s3:DataAccessPointArn
            // makes the access point public; only one named access point limits it.
            PolicyKind.AccessPoint or PolicyKind.MultiRegionAccessPoint => wildcard ? ClauseVerdict.AccessPointSet : ClauseVerdict.Limits,
        };
    }

    /// <summary>arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME with everything but NAME fixed.</summary>
    private static bool AccessPointArnIsFixed(ReadOnlySpan<byte> arn)
    {
        var parts = Encoding.UTF8.GetString(arn).Split(':', 6);
        return parts.Length == 6
            && parts[0] == "arn"
            && parts[2] == "s3"
            && AccountId.IsValid(parts[4])
            && string.Join(':', parts[..5]).AsSpan().IndexOfAny('*', '?') < 0
            && parts[5].StartsWith("accesspoint/", StringComparison.Ordinal);
    }

    private static ClauseVerdict JudgeCidr(ReadOnlySpan<byte> value)
    {
        Span<char> text = stackalloc char[64];
        if (value.Length > text.Length || Ascii.ToUtf16(value, text, out var written) != OperationStatus.Done)
        {
            return ClauseVerdict.NotCidr;
        }

        text = text[..written];
        var slash = text.IndexOf('/');
        if (!IPAddress.TryParse(slash < 0 ? text : text[..slash], out var address))
        {
            return ClauseVerdict.NotCidr;
        }

        var ipv6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var max = ipv6 ? 128 : 32;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
        {
            return ClauseVerdict.NotCidr;
        }

        return prefix < (ipv6 ? 32 : 8) ? ClauseVerdict.BroadCidr : ClauseVerdict.Limits;
    }

    private static string Explain(ReadOnlySpan<byte> json, PolicyKind kind, ClauseVerdict verdict, ClauseRef clause, List<Ref> values, int offending)
    {
        var o = Text(json, clause.Operator);
        var k = Text(json, clause.Key);
        var value = offending >= 0 ? Text(json, values[clause.FirstValue + offending]) : null;
        switch (verdict)
        {
            case ClauseVerdict.Limits:
                var all = new string[clause.ValueCount];
                for (var i = 0; i < all.Length; i++)
                {
                    all[i] = Text(json, values[clause.FirstValue + i]);
                }

                var limit = k + (Ascii.EqualsIgnoreCase(Bytes(json, clause.Key), "aws:SourceIp"u8) ? " " : " = ") + string.Join(", ", all);
                return Ascii.EqualsIgnoreCase(Bytes(json, clause.Key), "s3:DataAccessPointArn"u8)
                    ? limit + (kind == PolicyKind.Bucket
                        ? " (in a bucket policy, access points of one account limit the grant: S3 User Guide, \"The meaning of 'public'\", Access points)"
                        : $" (one named access point; in {PolicyKinds.Describe(kind)} a set of access points would make it public: S3 User Guide, \"The meaning of 'public'\", Access points)")
                    : limit;
            case ClauseVerdict.ForAllValues:
                return $"{o} on {k} is also true when the request has no {k}";
            case ClauseVerdict.IfExists:
                return $"{o} on {k} lets through requests that have no {k}";
            case ClauseVerdict.Negated:
                return $"{o} on {k} is negated: it admits everyone except the values listed";
            case ClauseVerdict.NullCheck:
                return $"Null on {k} only tests whether the key is present";
            case ClauseVerdict.NotLimitingKey:
                return $"{k} is not a condition key that limits who can use the grant";
            case ClauseVerdict.NotEqualityOperator:
                return $"{k} is compared with {o}, not an equality or Like operator";
            case ClauseVerdict.SourceIpNotIpAddress:
                return $"{k} is compared with {o}, not IpAddress";
            case ClauseVerdict.NoValues:
                return $"{k} has no values";
            case ClauseVerdict.Wildcard:
                return $"{k} value {value} contains a wildcard";
            case ClauseVerdict.Variable:
                return $"{k} value {value} contains a policy variable";
            case ClauseVerdict.AccessPointNotFixed:
                return $"{k} value {value} does not fix the account (in a bucket policy only the access point name may be a wildcard: S3 User Guide, \"The meaning of 'public'\", Access points)";
            case ClauseVerdict.AccessPointSet:
                return $"{k} value {value} names a set of access points, which makes {PolicyKinds.Describe(kind)} public (S3 User Guide, \"The meaning of 'public'\", Access points: unlike in a bucket policy)";
            case ClauseVerdict.NotCidr:
                return $"{k} value {value} is not an IP address or CIDR";
            default:
                return $"{k} {value} is broader than /{(value?.Contains(':', StringComparison.Ordinal) == true ? 32 : 8)}";
        }
    }

    // ----- reading helpers -----

    private static Key StatementKey(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        return raw.Length switch
        {
            3 when Ascii.EqualsIgnoreCase(raw, "Sid"u8) => Key.Sid,
            6 when Ascii.EqualsIgnoreCase(raw, "Effect"u8) => Key.Effect,
            6 when Ascii.EqualsIgnoreCase(raw, "Action"u8) => Key.Action,
            9 when Ascii.EqualsIgnoreCase(raw, "Principal"u8) => Key.Principal,
            9 when Ascii.EqualsIgnoreCase(raw, "NotAction"u8) => Key.NotAction,
            9 when Ascii.EqualsIgnoreCase(raw, "Condition"u8) => Key.Condition,
            12 when Ascii.EqualsIgnoreCase(raw, "NotPrincipal"u8) => Key.NotPrincipal,
            _ => Key.Other,
        };
    }

    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name) =>
        reader.ValueIsEscaped ? string.Equals(reader.GetString(), Encoding.UTF8.GetString(name), StringComparison.OrdinalIgnoreCase) : Ascii.EqualsIgnoreCase(reader.ValueSpan, name);

    /// <summary>A string (or property name), number or boolean token's position; escaped strings are unescaped.</summary>
    private static Ref RefOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped)
            {
                return new Ref(0, 0, reader.GetString());
            }

            // TokenStartIndex points at the opening quote of a string, and of a property name.
            return new Ref((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, null);
        }

        return new Ref((int)reader.TokenStartIndex, reader.ValueSpan.Length, null);
    }

    private static ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> json, Ref r) =>
        r.Unescaped is null ? json.Slice(r.Start, r.Length) : Encoding.UTF8.GetBytes(r.Unescaped);

    private static string Text(ReadOnlySpan<byte> json, Ref r) =>
        r.Unescaped ?? Encoding.UTF8.GetString(json.Slice(r.Start, r.Length));

    /// <summary>A value or a list of values into <paramref name="into"/>: strings only (principals, actions), or any
    /// scalar (condition values, where null counts as none). False for anything else.</summary>
    private static bool ReadValues(ref Utf8JsonReader reader, List<Ref> into, bool stringsOnly)
    {
        bool Accepts(JsonTokenType token) => stringsOnly ? token == JsonTokenType.String : IsScalar(token);

        if (!stringsOnly && reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (Accepts(reader.TokenType))
        {
            into.Add(RefOf(ref reader));
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return false;
        }

        var ok = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (Accepts(reader.TokenType))
            {
                into.Add(RefOf(ref reader));
            }
            else if (stringsOnly || reader.TokenType != JsonTokenType.Null)
            {
                reader.Skip();
                ok = false;
            }
        }

        return ok;
    }

    private static bool IsScalar(JsonTokenType token) =>
        token is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False;

    /// <summary>Reads whatever is left, so that trailing garbage is reported like any other malformed JSON.</summary>
    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }
    }

    private static bool IsFixed(ReadOnlySpan<byte> value) =>
        value.IndexOfAny((byte)'*', (byte)'?') < 0 && value.IndexOf("${"u8) < 0;

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> part)
    {
        for (var i = 0; i + part.Length <= text.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(text.Slice(i, part.Length), part))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsIgnoreCase(byte[][] set, ReadOnlySpan<byte> value)
    {
        foreach (var item in set)
        {
            if (item.Length == value.Length && Ascii.EqualsIgnoreCase(item, value))
            {
                return true;
            }
        }

        return false;
    }

    private static void Append<T>(ref T[]? items, ref int count, T item)
    {
        items ??= new T[1];
        if (count == items.Length)
        {
            Array.Resize(ref items, count * 2);
        }

        items[count++] = item;
    }

    private static ImmutableArray<T> Exact<T>(T[]? items, int count)
    {
        if (items is null)
        {
            return [];
        }

        if (items.Length != count)
        {
            Array.Resize(ref items, count);
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(items);
    }
}
