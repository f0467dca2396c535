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
/// It reads every shape S3 accepts and CloudTrail records (Statement, Action, principal values as one value or
/// a list; Version missing or 2008-10-17; condition values as strings, numbers, booleans or lists; the policy as
/// a JSON string) straight from the parsed document, in one pass. Decisions are taken on the raw UTF-8 values
/// without allocating; words are only built for what is reported. That keeps evaluating within 1.5x the cost
/// of parsing (see tests/BucketGuard.Benchmarks). Structural faults come back as an error, never an exception.</summary>
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
        NotCidr,
        BroadCidr,
    }

    public static Parsed<Exposure> Evaluate(string json)
    {
        if (!JsonRead.TryParse(json, out var document, out var error))
        {
            return Parsed<Exposure>.Failure($"the policy is {error}");
        }

        using (document)
        {
            return Evaluate(document!.RootElement);
        }
    }

    public static Parsed<Exposure> Evaluate(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.String)
        {
            // CloudTrail and some tools carry the policy as a JSON string inside JSON.
            if (!JsonRead.TryParse(root.GetString()!, out var inner, out var error))
            {
                return Parsed<Exposure>.Failure($"the policy is a string that is {error}");
            }

            using (inner)
            {
                return inner!.RootElement.ValueKind == JsonValueKind.String
                    ? Parsed<Exposure>.Failure("the policy is a string holding another string, not a policy")
                    : Evaluate(inner.RootElement);
            }
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return Parsed<Exposure>.Failure($"a policy must be a JSON object, not {JsonRead.Describe(root.ValueKind)}");
        }

        if (!root.TryGet("Statement", out var statements))
        {
            return Parsed<Exposure>.Failure("the policy has no Statement");
        }

        Finding[]? findings = null;
        string[]? notes = null;
        int findingCount = 0, noteCount = 0, index = 0;
        foreach (var statement in statements.OneOrMany())
        {
            var problem = EvaluateStatement(statement, index, ref findings, ref findingCount, ref notes, ref noteCount);
            if (problem is not null)
            {
                return Parsed<Exposure>.Failure($"statement {index + 1}: {problem}");
            }

            index++;
        }

        if (index == 0)
        {
            return Parsed<Exposure>.Failure("the policy's Statement list is empty");
        }

        return Parsed<Exposure>.Success(findings is null && notes is null
            ? Exposure.NotPublic
            : new Exposure(Exact(findings, findingCount), Exact(notes, noteCount)));
    }

    /// <summary>Evaluates one statement; returns a structural problem, or null.</summary>
    private static string? EvaluateStatement(JsonElement statement, int index, ref Finding[]? findings, ref int findingCount, ref string[]? notes, ref int noteCount)
    {
        if (statement.ValueKind != JsonValueKind.Object)
        {
            return $"a statement must be an object, not {JsonRead.Describe(statement.ValueKind)}";
        }

        JsonElement sid = default, effect = default, principal = default, action = default, condition = default;
        bool notPrincipal = false, notAction = false, hasPrincipal = false, hasAction = false;
        foreach (var property in statement.EnumerateObject())
        {
            switch (PropertyKey(property))
            {
                case "Sid": sid = property.Value; break;
                case "Effect": effect = property.Value; break;
                case "Principal": principal = property.Value; hasPrincipal = true; break;
                case "NotPrincipal" when !hasPrincipal: principal = property.Value; notPrincipal = hasPrincipal = true; break;
                case "Action": action = property.Value; notAction = false; hasAction = true; break;
                case "NotAction" when !hasAction: action = property.Value; notAction = hasAction = true; break;
                case "Condition": condition = property.Value; break;
            }
        }

        bool allow;
        if (effect.ValueKind == JsonValueKind.String && (effect.ValueEquals("Allow"u8) || effect.ValueEquals("Deny"u8)))
        {
            allow = effect.ValueEquals("Allow"u8);
        }
        else if (effect.Text() is { } text && (text.Equals("Allow", StringComparison.OrdinalIgnoreCase) || text.Equals("Deny", StringComparison.OrdinalIgnoreCase)))
        {
            allow = text.Equals("Allow", StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            return effect.ValueKind == JsonValueKind.Undefined ? "no Effect" : $"Effect \"{effect.Text() ?? effect.GetRawText()}\" is neither Allow nor Deny";
        }

        if (hasPrincipal && principal.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
        {
            return $"Principal must be \"*\" or an object, not {JsonRead.Describe(principal.ValueKind)}";
        }

        if (hasPrincipal && principal.ValueKind == JsonValueKind.Object)
        {
            foreach (var type in principal.EnumerateObject())
            {
                if (!AreStrings(type.Value))
                {
                    return $"Principal {type.Name} must be a string or a list of strings";
                }
            }
        }

        if (!hasAction)
        {
            return "no Action or NotAction";
        }

        if (!AreStrings(action))
        {
            return $"{(notAction ? "NotAction" : "Action")} must be a string or a list of strings";
        }

        if (condition.ValueKind != JsonValueKind.Undefined && ConditionProblem(condition) is { } conditionProblem)
        {
            return conditionProblem;
        }

        if (!allow)
        {
            return null; // Deny statements take access away; they never grant it.
        }

        if (!IsBroad(principal, hasPrincipal, notPrincipal))
        {
            return null;
        }

        // The principal is not fixed: the statement is public unless one condition (they are ANDed) limits it.
        if (condition.ValueKind == JsonValueKind.Object)
        {
            foreach (var op in condition.EnumerateObject())
            {
                foreach (var key in op.Value.EnumerateObject())
                {
                    var verdict = Judge(op, key, out var offending);
                    if (verdict == ClauseVerdict.Limits)
                    {
                        Append(ref notes, ref noteCount, Where(index, sid) + ": " + WhyBroad(principal, hasPrincipal, notPrincipal).Why + ", but limited by " + Explain(verdict, op, key, offending));
                        return null;
                    }
                }
            }
        }

        Append(ref findings, ref findingCount, MakeFinding(index, sid, principal, hasPrincipal, notPrincipal, action, notAction, condition));
        return null;
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

    private static Finding MakeFinding(int index, JsonElement sid, JsonElement principal, bool hasPrincipal, bool notPrincipal, JsonElement action, bool notAction, JsonElement condition)
    {
        var (who, why) = WhyBroad(principal, hasPrincipal, notPrincipal);
        string reason;
        if (condition.ValueKind == JsonValueKind.Object)
        {
            var unlimited = new List<string>();
            foreach (var op in condition.EnumerateObject())
            {
                foreach (var key in op.Value.EnumerateObject())
                {
                    unlimited.Add(Explain(Judge(op, key, out var offending), op, key, offending));
                }
            }

            reason = unlimited.Count == 0
                ? why + " with no limiting condition"
                : why + "; no condition limits it (" + string.Join("; ", unlimited) + ")";
        }
        else
        {
            reason = why + " with no limiting condition";
        }

        ImmutableArray<string> actions;
        var level = notAction ? S3Actions.All : AccessLevel.None;
        if (action.ValueKind == JsonValueKind.String)
        {
            var name = action.GetString()!;
            actions = [notAction ? "NotAction " + name : name];
            level |= notAction ? AccessLevel.None : S3Actions.LevelOf(name);
        }
        else
        {
            var builder = ImmutableArray.CreateBuilder<string>(action.GetArrayLength());
            foreach (var item in action.EnumerateArray())
            {
                var name = item.GetString()!;
                builder.Add(notAction ? "NotAction " + name : name);
                level |= notAction ? AccessLevel.None : S3Actions.LevelOf(name);
            }

            actions = builder.MoveToImmutable();
        }

        return new Finding(
            FindingSource.PolicyStatement,
            index,
            sid.ValueKind == JsonValueKind.String ? sid.GetString() : sid.Text(),
            who,
            actions,
            level,
            notAction ? reason + "; NotAction grants every action except those listed" : reason);
    }

    private static string Where(int index, JsonElement sid) =>
        sid.Text() is { Length: > 0 } name
            ? string.Create(CultureInfo.InvariantCulture, $"Statement {index + 1} (Sid \"{name}\")")
            : string.Create(CultureInfo.InvariantCulture, $"Statement {index + 1}");

    // ----- principals -----

    /// <summary>True when the statement grants to anyone beyond fixed principals. No allocation.</summary>
    private static bool IsBroad(JsonElement principal, bool hasPrincipal, bool notPrincipal)
    {
        if (notPrincipal || !hasPrincipal || principal.ValueKind == JsonValueKind.String)
        {
            // A bare string principal is "*", or (historically accepted) an account ARN.
            return notPrincipal || !hasPrincipal || principal.ValueEquals("*"u8) || !IsFixed(principal);
        }

        foreach (var type in principal.EnumerateObject())
        {
            var fixedType = type.NameEquals("AWS"u8) || type.NameEquals("Service"u8) || type.NameEquals("CanonicalUser"u8)
                || KnownType(type) is "AWS" or "Service" or "CanonicalUser";
            foreach (var value in type.Value.OneOrMany())
            {
                if (!fixedType || !IsFixed(value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The first broad principal and why it is broad, in words.</summary>
    private static (string Who, string Why) WhyBroad(JsonElement principal, bool hasPrincipal, bool notPrincipal)
    {
        if (!hasPrincipal)
        {
            return ("(none)", "the statement names no principal, so it cannot be shown to grant only to fixed principals");
        }

        if (notPrincipal)
        {
            var excepted = string.Join(", ", Principals(principal).Select(p => p.Type == "*" ? "*" : p.Type + ":" + p.Value));
            return ("NotPrincipal " + excepted, "NotPrincipal in an Allow grants everyone except " + excepted);
        }

        if (principal.ValueKind == JsonValueKind.String)
        {
            var value = principal.GetString()!;
            return value == "*" ? ("*", WhyNotFixed("*", "*")!) : ("AWS:" + value, WhyNotFixed("AWS", value) ?? "no broad principal");
        }

        foreach (var type in principal.EnumerateObject())
        {
            var name = KnownType(type) ?? type.Name;
            foreach (var item in type.Value.OneOrMany())
            {
                var value = item.GetString()!;
                if (WhyNotFixed(name, value) is { } why)
                {
                    return (name + ":" + value, why);
                }
            }
        }

        return ("(none)", "no broad principal");
    }

    private static IEnumerable<(string Type, string Value)> Principals(JsonElement principal)
    {
        if (principal.ValueKind == JsonValueKind.String)
        {
            var value = principal.GetString()!;
            yield return value == "*" ? ("*", "*") : ("AWS", value);
            yield break;
        }

        foreach (var type in principal.EnumerateObject())
        {
            var name = KnownType(type) ?? type.Name;
            foreach (var value in type.Value.OneOrMany())
            {
                yield return (name, value.GetString()!);
            }
        }
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

    private static string? KnownType(JsonProperty type)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(type);
        return Ascii.EqualsIgnoreCase(raw, "AWS"u8) ? "AWS"
            : Ascii.EqualsIgnoreCase(raw, "Service"u8) ? "Service"
            : Ascii.EqualsIgnoreCase(raw, "CanonicalUser"u8) ? "CanonicalUser"
            : Ascii.EqualsIgnoreCase(raw, "Federated"u8) ? "Federated"
            : null;
    }

    // ----- conditions -----

    private static ClauseVerdict Judge(JsonProperty op, JsonProperty key, out int offending)
    {
        offending = -1;
        var opName = Utf8Name(op);
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

        var keyName = Utf8Name(key);
        var isSourceIp = Ascii.EqualsIgnoreCase(keyName, "aws:SourceIp"u8);
        if (!isSourceIp && !ContainsIgnoreCase(LimitingKeys, keyName))
        {
            return ClauseVerdict.NotLimitingKey;
        }

        if (isSourceIp ? !Ascii.EqualsIgnoreCase(opName, "IpAddress"u8) : !ContainsIgnoreCase(EqualityOperators, opName))
        {
            return isSourceIp ? ClauseVerdict.SourceIpNotIpAddress : ClauseVerdict.NotEqualityOperator;
        }

        var accessPoint = Ascii.EqualsIgnoreCase(keyName, "s3:DataAccessPointArn"u8);
        var count = 0;
        foreach (var value in key.Value.OneOrMany())
        {
            offending = count++;
            var verdict = isSourceIp ? JudgeCidr(value) : JudgeFixed(value, accessPoint);
            if (verdict != ClauseVerdict.Limits)
            {
                return verdict;
            }
        }

        offending = -1;
        return count == 0 ? ClauseVerdict.NoValues : ClauseVerdict.Limits;
    }

    private static ClauseVerdict JudgeFixed(JsonElement value, bool accessPoint)
    {
        var raw = RawValue(value, out var unescaped);
        if (unescaped is not null)
        {
            raw = Encoding.UTF8.GetBytes(unescaped);
        }

        if (raw.IndexOf("${"u8) >= 0)
        {
            return ClauseVerdict.Variable;
        }

        if (accessPoint)
        {
            return AccessPointArnIsFixed(raw) ? ClauseVerdict.Limits : ClauseVerdict.AccessPointNotFixed;
        }

        return raw.IndexOfAny((byte)'*', (byte)'?') >= 0 ? ClauseVerdict.Wildcard : ClauseVerdict.Limits;
    }

    /// <summary>arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME with everything but NAME fixed.</summary>
    private static bool AccessPointArnIsFixed(ReadOnlySpan<byte> arn)
    {
        var parts = Encoding.UTF8.GetString(arn).Split(':', 6);
        return parts.Length == 6
            && parts[0] == "arn"
            && parts[2] == "s3"
            && parts[4].Length == 12 && parts[4].All(char.IsAsciiDigit)
            && string.Join(':', parts[..5]).AsSpan().IndexOfAny('*', '?') < 0
            && parts[5].StartsWith("accesspoint/", StringComparison.Ordinal);
    }

    private static ClauseVerdict JudgeCidr(JsonElement value)
    {
        var raw = RawValue(value, out var unescaped);
        Span<char> chars = stackalloc char[64];
        scoped ReadOnlySpan<char> text;
        if (unescaped is not null)
        {
            text = unescaped;
        }
        else if (raw.Length <= chars.Length && Ascii.ToUtf16(raw, chars, out var written) == OperationStatus.Done)
        {
            text = chars[..written];
        }
        else
        {
            return ClauseVerdict.NotCidr;
        }

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

    private static string Explain(ClauseVerdict verdict, JsonProperty op, JsonProperty key, int offending)
    {
        var o = op.Name;
        var k = key.Name;
        string? value = null;
        var position = 0;
        foreach (var item in key.Value.OneOrMany())
        {
            if (position++ == offending)
            {
                value = item.Text();
            }
        }

        return verdict switch
        {
            ClauseVerdict.Limits => key.Value.ValueKind == JsonValueKind.Array
                ? k + (Ascii.EqualsIgnoreCase(Utf8Name(key), "aws:SourceIp"u8) ? " " : " = ") + string.Join(", ", key.Value.Strings() ?? [])
                : k + (Ascii.EqualsIgnoreCase(Utf8Name(key), "aws:SourceIp"u8) ? " " : " = ") + key.Value.Text(),
            ClauseVerdict.ForAllValues => $"{o} on {k} is also true when the request has no {k}",
            ClauseVerdict.IfExists => $"{o} on {k} lets through requests that have no {k}",
            ClauseVerdict.Negated => $"{o} on {k} is negated: it admits everyone except the values listed",
            ClauseVerdict.NullCheck => $"Null on {k} only tests whether the key is present",
            ClauseVerdict.NotLimitingKey => $"{k} is not a condition key that limits who can use the grant",
            ClauseVerdict.NotEqualityOperator => $"{k} is compared with {o}, not an equality or Like operator",
            ClauseVerdict.SourceIpNotIpAddress => $"{k} is compared with {o}, not IpAddress",
            ClauseVerdict.NoValues => $"{k} has no values",
            ClauseVerdict.Wildcard => $"{k} value {value} contains a wildcard",
            ClauseVerdict.Variable => $"{k} value {value} contains a policy variable",
            ClauseVerdict.AccessPointNotFixed => $"{k} value {value} does not fix the account (only the access point name may be a wildcard)",
            ClauseVerdict.NotCidr => $"{k} value {value} is not an IP address or CIDR",
            ClauseVerdict.BroadCidr => $"{k} {value} is broader than /{(value?.Contains(':', StringComparison.Ordinal) == true ? 32 : 8)}",
            _ => verdict.ToString(),
        };
    }

    private static string? ConditionProblem(JsonElement condition)
    {
        if (condition.ValueKind != JsonValueKind.Object)
        {
            return $"Condition must be an object, not {JsonRead.Describe(condition.ValueKind)}";
        }

        foreach (var op in condition.EnumerateObject())
        {
            if (op.Value.ValueKind != JsonValueKind.Object)
            {
                return $"condition operator {op.Name} must hold an object of keys, not {JsonRead.Describe(op.Value.ValueKind)}";
            }

            foreach (var key in op.Value.EnumerateObject())
            {
                foreach (var value in key.Value.OneOrMany())
                {
                    if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        return $"condition {op.Name} {key.Name} must be a value or a list of values";
                    }
                }
            }
        }

        return null;
    }

    // ----- raw UTF-8 helpers (no allocation unless the JSON used escapes) -----

    /// <summary>The statement key a property is, from its raw UTF-8 name: the length picks the candidates,
    /// one comparison (ignoring case, which IAM tolerates in practice) settles it.</summary>
    private static string? PropertyKey(JsonProperty property)
    {
        var raw = Utf8Name(property);
        return raw.Length switch
        {
            3 when Ascii.EqualsIgnoreCase(raw, "Sid"u8) => "Sid",
            6 when Ascii.EqualsIgnoreCase(raw, "Effect"u8) => "Effect",
            6 when Ascii.EqualsIgnoreCase(raw, "Action"u8) => "Action",
            9 when Ascii.EqualsIgnoreCase(raw, "Principal"u8) => "Principal",
            9 when Ascii.EqualsIgnoreCase(raw, "NotAction"u8) => "NotAction",
            9 when Ascii.EqualsIgnoreCase(raw, "Condition"u8) => "Condition",
            12 when Ascii.EqualsIgnoreCase(raw, "NotPrincipal"u8) => "NotPrincipal",
            _ => null,
        };
    }

    private static ReadOnlySpan<byte> Utf8Name(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.IndexOf((byte)'\\') < 0 ? raw : Encoding.UTF8.GetBytes(property.Name);
    }

    /// <summary>A string value's UTF-8 bytes without quotes; when the JSON escaped something, the unescaped string instead.</summary>
    private static ReadOnlySpan<byte> RawValue(JsonElement value, out string? unescaped)
    {
        unescaped = null;
        if (value.ValueKind != JsonValueKind.String)
        {
            unescaped = value.Text() ?? string.Empty;
            return default;
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        if (raw.IndexOf((byte)'\\') >= 0)
        {
            unescaped = value.GetString();
            return default;
        }

        return raw;
    }

    /// <summary>True when the element is a string not containing a wildcard or a policy variable.</summary>
    private static bool IsFixed(JsonElement value)
    {
        var raw = RawValue(value, out var unescaped);
        return unescaped is null
            ? raw.IndexOfAny((byte)'*', (byte)'?') < 0 && raw.IndexOf("${"u8) < 0
            : unescaped.AsSpan().IndexOfAny('*', '?') < 0 && !unescaped.Contains("${", StringComparison.Ordinal);
    }

    private static bool AreStrings(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }

        return true;
    }

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
}
