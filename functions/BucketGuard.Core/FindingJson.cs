using System.Text.Json;

namespace BucketGuard.Core;

/// <summary>One finding as JSON, shared by `check --json` and notification documents.</summary>
public static class FindingJson
{
    public static void Write(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("source", f.Source switch
        {
            FindingSource.PolicyStatement => "statement",
            FindingSource.AclGrant => "grant",
            FindingSource.ObjectAclGrant => "object-grant",
            FindingSource.AccessPointPolicyStatement => "access-point-statement",
        });
        if (f.AccessPoint is not null)
        {
            w.WriteString("accessPoint", f.AccessPoint);
        }

        if (f.Object is not null)
        {
            w.WriteString("object", f.Object);
        }

        w.WriteNumber("index", f.Index);
        w.WriteString("sid", f.Sid);
        w.WriteString("location", f.Location);
        w.WriteString("principal", f.Principal);
        WriteStrings(w, "actions", f.Actions);
        WriteStrings(w, "access", AccessLevels.Names(f.Access));
        w.WriteString("reason", f.Reason);
        w.WriteString("neutralisedBy", f.NeutralisedBy);
        w.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    /// <summary>A finding in one line of words: "grant 2: AllUsers may READ [list] — why".</summary>
    public static string Describe(Finding f) =>
        $"{f.Location}: {f.Principal} may {string.Join(", ", f.Actions)} [{AccessLevels.Describe(f.Access)}]: {f.Reason}"
        + (f.NeutralisedBy is null ? string.Empty : $" (already stopped by {f.NeutralisedBy})");
}
