using System.Collections.Immutable;

namespace BucketGuard.Core.Evidence;

/// <summary>How much of a bucket's object reads a trail's event selectors log.</summary>
public enum DataEventScope
{
    /// <summary>No read of the bucket's objects is logged.</summary>
    None,

    /// <summary>Some reads are (a prefix, some keys, some callers): the trail misses others.</summary>
    Part,

    /// <summary>Every GetObject of the bucket is logged.</summary>
    Whole,
}

/// <summary>A basic event selector's data resource (CloudTrail API Reference, DataResource): Type "AWS::S3::Object" and
/// ARN prefixes ("arn:aws:s3" or "arn:aws:s3:::" for every bucket, "arn:aws:s3:::BUCKET/" for one, longer for a prefix).</summary>
public sealed record DataResource(string Type, ImmutableArray<string> Values);

/// <summary>A basic event selector (CloudTrail API Reference, EventSelector); ReadWriteType "All", "ReadOnly" or "WriteOnly".</summary>
public sealed record BasicEventSelector(string? ReadWriteType, ImmutableArray<DataResource> DataResources);

/// <summary>One field condition of an advanced event selector (CloudTrail API Reference, AdvancedFieldSelector). Values of
/// Equals, StartsWith and EndsWith are alternatives; values of the Not operators all apply; the operators all apply.</summary>
public sealed record FieldSelector(
    string Field, ImmutableArray<string> EqualTo, ImmutableArray<string> StartsWith, ImmutableArray<string> EndsWith,
    ImmutableArray<string> NotEqualTo, ImmutableArray<string> NotStartsWith, ImmutableArray<string> NotEndsWith);

/// <summary>An advanced event selector: its field conditions all apply.</summary>
public sealed record AdvancedEventSelector(ImmutableArray<FieldSelector> Fields);

/// <summary>Whether a trail logs the reads of one bucket's objects, from its event selectors (CloudTrail User Guide,
/// "Logging data events": basic selectors with DataResources of type AWS::S3::Object, or advanced selectors on
/// eventCategory Data, resources.type AWS::S3::Object, resources.ARN, readOnly and eventName; a trail has one kind or the
/// other). The question asked is "is a GetObject of any key in the bucket logged?"; a condition on any other field
/// (userIdentity.arn, errorCode, vpcEndpointId...) leaves part of the reads out.</summary>
public static class DataEventSelectors
{
    public static DataEventScope ReadsOf(string bucket, string partition, ImmutableArray<BasicEventSelector> basic, ImmutableArray<AdvancedEventSelector> advanced)
    {
        var objects = $"arn:{partition}:s3:::{bucket}/";
        var scope = DataEventScope.None;
        foreach (var selector in advanced)
        {
            scope = Max(scope, Advanced(selector, objects));
        }

        foreach (var selector in advanced.IsEmpty ? basic : [])
        {
            if (selector.ReadWriteType is "WriteOnly")
            {
                continue;
            }

            foreach (var resource in selector.DataResources.Where(r => r.Type == "AWS::S3::Object"))
            {
                foreach (var value in resource.Values)
                {
                    // "arn:aws:s3" and "arn:aws:s3:::" select every bucket; a value is otherwise an ARN prefix.
                    scope = Max(scope, value == $"arn:{partition}:s3" || objects.StartsWith(value, StringComparison.Ordinal) ? DataEventScope.Whole
                        : value.StartsWith(objects, StringComparison.Ordinal) ? DataEventScope.Part
                        : DataEventScope.None);
                }
            }
        }

        return scope;
    }

    /// <summary>Why the scope leaves a gap, for the ledger; null for Whole.</summary>
    public static string? Gap(DataEventScope scope, string trail) => scope switch
    {
        DataEventScope.Whole => null,
        DataEventScope.Part => $"trail {trail} logs the reads of only part of this bucket (its event selectors filter by prefix, key or caller)",
        DataEventScope.None => $"trail {trail} does not log this bucket's object reads (no event selector selects its GetObject data events)",
        _ => throw new ArgumentOutOfRangeException(nameof(scope)),
    };

    private static DataEventScope Advanced(AdvancedEventSelector selector, string objects)
    {
        var scope = DataEventScope.Whole;
        var data = false;
        var s3Objects = false;
        foreach (var field in selector.Fields)
        {
            switch (field.Field)
            {
                case "eventCategory":
                    data = Matches(field, "Data");
                    break;
                case "resources.type":
                    s3Objects = Matches(field, "AWS::S3::Object");
                    break;
                case "readOnly":
                    scope = Min(scope, Matches(field, "true") ? DataEventScope.Whole : DataEventScope.None);
                    break;
                case "eventName":
                    scope = Min(scope, Matches(field, "GetObject") ? DataEventScope.Whole : DataEventScope.None);
                    break;
                case "resources.ARN":
                    scope = Min(scope, Arn(field, objects));
                    break;
                default:
                    // A condition on the caller, the error code, the endpoint...: some reads are left out.
                    scope = Min(scope, DataEventScope.Part);
                    break;
            }
        }

        return data && s3Objects ? scope : DataEventScope.None;
    }

    /// <summary>Whether one value passes every operator of the field.</summary>
    private static bool Matches(FieldSelector f, string value) =>
        (f.EqualTo.IsEmpty || f.EqualTo.Contains(value))
        && (f.StartsWith.IsEmpty || f.StartsWith.Any(v => value.StartsWith(v, StringComparison.Ordinal)))
        && (f.EndsWith.IsEmpty || f.EndsWith.Any(v => value.EndsWith(v, StringComparison.Ordinal)))
        && !f.NotEqualTo.Contains(value)
        && !f.NotStartsWith.Any(v => value.StartsWith(v, StringComparison.Ordinal))
        && !f.NotEndsWith.Any(v => value.EndsWith(v, StringComparison.Ordinal));

    /// <summary>How much of the set of the bucket's object ARNs (<paramref name="objects"/> followed by any key) passes.</summary>
    private static DataEventScope Arn(FieldSelector f, string objects)
    {
        var scope = DataEventScope.Whole;
        if (!f.EqualTo.IsEmpty)
        {
            scope = Min(scope, f.EqualTo.Any(v => v.StartsWith(objects, StringComparison.Ordinal)) ? DataEventScope.Part : DataEventScope.None);
        }

        if (!f.StartsWith.IsEmpty)
        {
            scope = Min(scope, f.StartsWith.Aggregate(DataEventScope.None, (s, v) => Max(s,
                objects.StartsWith(v, StringComparison.Ordinal) ? DataEventScope.Whole
                : v.StartsWith(objects, StringComparison.Ordinal) ? DataEventScope.Part
                : DataEventScope.None)));
        }

        if (!f.EndsWith.IsEmpty)
        {
            // Some key ends with anything; not every key does.
            scope = Min(scope, DataEventScope.Part);
        }

        foreach (var v in f.NotStartsWith)
        {
            scope = Min(scope, objects.StartsWith(v, StringComparison.Ordinal) ? DataEventScope.None
                : v.StartsWith(objects, StringComparison.Ordinal) ? DataEventScope.Part
                : DataEventScope.Whole);
        }

        if (f.NotEqualTo.Any(v => v.StartsWith(objects, StringComparison.Ordinal)) || !f.NotEndsWith.IsEmpty)
        {
            scope = Min(scope, DataEventScope.Part);
        }

        return scope;
    }

    private static DataEventScope Min(DataEventScope a, DataEventScope b) => a < b ? a : b;

    private static DataEventScope Max(DataEventScope a, DataEventScope b) => a > b ? a : b;
}
