using System.Collections.Immutable;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BucketGuard.Core.Json;

namespace BucketGuard.Core.Acls;

/// <summary>Reads an ACL from every form it travels in: the S3 API's JSON (Owner + Grants), CloudTrail's
/// XML-to-JSON AccessControlPolicy (Grant as one object or a list, "xsi:type" or "xsi_type"), S3's REST XML,
/// a canned ACL name, and x-amz-grant-* header values.</summary>
public static class AclParser
{
    private static readonly (string Permission, string[] Keys)[] GrantHeaders =
    [
        ("READ", ["x-amz-grant-read", "x_amz_grant_read"]),
        ("WRITE", ["x-amz-grant-write", "x_amz_grant_write"]),
        ("READ_ACP", ["x-amz-grant-read-acp", "x_amz_grant_read_acp"]),
        ("WRITE_ACP", ["x-amz-grant-write-acp", "x_amz_grant_write_acp"]),
        ("FULL_CONTROL", ["x-amz-grant-full-control", "x_amz_grant_full_control"]),
    ];

    public static Parsed<AccessControlList> Parse(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            var text = element.GetString()!.Trim();
            return text.StartsWith('<') ? ParseXml(text) : CannedAcl.Expand(text);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return Parsed<AccessControlList>.Failure($"an ACL must be an object, a canned ACL name or XML, not {JsonRead.Describe(element.ValueKind)}");
        }

        if (element.TryGet("canned", out var canned) || element.TryGet("x-amz-acl", out canned))
        {
            return canned.Text() is { } name ? CannedAcl.Expand(name) : Parsed<AccessControlList>.Failure("the canned ACL name is not a string");
        }

        if (element.TryGet("xml", out var xml))
        {
            return xml.ValueKind == JsonValueKind.String ? ParseXml(xml.GetString()!) : Parsed<AccessControlList>.Failure("\"xml\" must be a string");
        }

        if (element.TryGet("AccessControlPolicy", out var policy))
        {
            return Parse(policy);
        }

        var ownerId = element.TryGet("Owner", out var owner) ? owner.TextOf("ID") : null;
        if (element.TryGet("Grants", out var grants))
        {
            return ParseGrantList(grants, ownerId);
        }

        if (element.TryGet("AccessControlList", out var list))
        {
            if (list.ValueKind != JsonValueKind.Object)
            {
                // CloudTrail writes an empty AccessControlList as "" or null: no grants at all.
                return Parsed<AccessControlList>.Success(new AccessControlList(ownerId, []));
            }

            if (list.TryGet("Grant", out var grant))
            {
                return ParseGrantList(grant, ownerId);
            }

            var fromHeaders = HeaderGrants(list);
            return Parsed<AccessControlList>.Success(new AccessControlList(ownerId, fromHeaders ?? []));
        }

        if (HeaderGrants(element) is { } headerGrants)
        {
            return Parsed<AccessControlList>.Success(new AccessControlList(ownerId, headerGrants));
        }

        return Parsed<AccessControlList>.Failure("no Grants, AccessControlPolicy, AccessControlList, canned ACL or x-amz-grant-* header found");
    }

    public static Parsed<AccessControlList> Parse(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('<'))
        {
            return ParseXml(trimmed);
        }

        if (CannedAcl.IsName(trimmed))
        {
            return CannedAcl.Expand(trimmed);
        }

        if (!JsonRead.TryParse(text, out var document, out var error))
        {
            return Parsed<AccessControlList>.Failure($"the ACL is {error}");
        }

        using (document)
        {
            return Parse(document!.RootElement);
        }
    }

    private static Parsed<AccessControlList> ParseGrantList(JsonElement grants, string? ownerId)
    {
        var builder = ImmutableArray.CreateBuilder<Grant>();
        var index = 0;
        foreach (var item in grants.OneOrMany())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                return Parsed<AccessControlList>.Failure($"grant {index} is {JsonRead.Describe(item.ValueKind)}, not an object");
            }

            var grantee = item.TryGet("Grantee", out var g) && g.ValueKind == JsonValueKind.Object
                ? new Grantee(
                    GranteeTypeOf(g.TryGetAny(out var t, "Type", "xsi:type", "xsi_type") ? t.Text() : null),
                    g.TextOf("ID"),
                    g.TextOf("URI"),
                    g.TextOf("EmailAddress"),
                    g.TextOf("DisplayName"))
                : new Grantee(GranteeType.Unknown);
            builder.Add(new Grant(grantee, NormalisePermission(item.TextOf("Permission"))));
        }

        return Parsed<AccessControlList>.Success(new AccessControlList(ownerId, builder.ToImmutable()));
    }

    /// <summary>Grants from x-amz-grant-* header values, e.g. uri="http://acs.amazonaws.com/groups/global/AllUsers", id="abc";
    /// null when the object holds no such header.</summary>
    public static ImmutableArray<Grant>? HeaderGrants(JsonElement element)
    {
        ImmutableArray<Grant>.Builder? builder = null;
        foreach (var (permission, keys) in GrantHeaders)
        {
            if (!element.TryGetAny(out var value, keys))
            {
                continue;
            }

            builder ??= ImmutableArray.CreateBuilder<Grant>();
            foreach (var header in value.Strings() ?? [])
            {
                foreach (var grantee in ParseGranteeHeader(header))
                {
                    builder.Add(new Grant(grantee, permission));
                }
            }
        }

        return builder?.ToImmutable();
    }

    private static IEnumerable<Grantee> ParseGranteeHeader(string header)
    {
        foreach (var part in SplitOutsideQuotes(header))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var kind = part[..eq].Trim().ToLowerInvariant();
            var value = part[(eq + 1)..].Trim().Trim('"');
            yield return kind switch
            {
                "uri" => Grantee.Group(value),
                "emailaddress" => new Grantee(GranteeType.AmazonCustomerByEmail, EmailAddress: value),
                "id" => Grantee.User(value),
                _ => new Grantee(GranteeType.Unknown, Id: value),
            };
        }
    }

    private static IEnumerable<string> SplitOutsideQuotes(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == ',' && !quoted)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    public static Parsed<AccessControlList> ParseXml(string xml)
    {
        XDocument document;
        try
        {
            // No DTDs: an ACL never needs one, and refusing them rules out entity-expansion attacks.
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            return Parsed<AccessControlList>.Failure($"the ACL is not well-formed XML: {ex.Message}");
        }

        var root = document.Root!;
        if (root.Name.LocalName is not ("AccessControlPolicy" or "AccessControlList"))
        {
            return Parsed<AccessControlList>.Failure($"XML root <{root.Name.LocalName}> is not an AccessControlPolicy");
        }

        static string? Child(XElement e, string name) => e.Elements().FirstOrDefault(c => c.Name.LocalName == name)?.Value.Trim();

        var owner = root.Elements().FirstOrDefault(e => e.Name.LocalName == "Owner");
        var grants = root.Descendants().Where(e => e.Name.LocalName == "Grant").Select(grant =>
        {
            var g = grant.Elements().FirstOrDefault(e => e.Name.LocalName == "Grantee");
            var type = g?.Attributes().FirstOrDefault(a => a.Name.LocalName == "type")?.Value;
            var grantee = g is null
                ? new Grantee(GranteeType.Unknown)
                : new Grantee(GranteeTypeOf(type), Child(g, "ID"), Child(g, "URI"), Child(g, "EmailAddress"), Child(g, "DisplayName"));
            return new Grant(grantee, NormalisePermission(Child(grant, "Permission")));
        });
        return Parsed<AccessControlList>.Success(new AccessControlList(owner is null ? null : Child(owner, "ID"), [.. grants]));
    }

    private static GranteeType GranteeTypeOf(string? type) => type?.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "CANONICALUSER" => GranteeType.CanonicalUser,
        "GROUP" => GranteeType.Group,
        "AMAZONCUSTOMERBYEMAIL" => GranteeType.AmazonCustomerByEmail,
        _ => GranteeType.Unknown,
    };

    private static string NormalisePermission(string? permission) => permission?.Trim().ToUpperInvariant() ?? string.Empty;
}
