using BucketGuard.Core.Decisions;
using BucketGuard.Core.Events;

namespace BucketGuard.Core.Evidence;

/// <summary>What the bucket's data-class tag held around an exposure, from the replayed tagging events: the highest class
/// in force from Lookback before the window's start to its end, and the change that lowered it (the later class lower).</summary>
/// <param name="Highest">The highest class in force in that time.</param>
/// <param name="LoweredBy">The tagging change (PutBucketTagging or DeleteBucketTagging) that first set a lower class after
/// the highest was in force; null when the class was never lowered in that time.</param>
/// <param name="LoweredTo">The class it set.</param>
public sealed record DataClassInWindow(DataClass Highest, BucketChange? LoweredBy, DataClass? LoweredTo)
{
    /// <summary>"Shortly before the exposure": a class lowered within this long before the bucket became public still
    /// counts (issue "Incident record", item 4): DataClassFloor.Lookback, the same rule at decision time.</summary>
    public static TimeSpan Lookback => DataClassFloor.Lookback;

    /// <summary>One line for a person, its actor neutralised.</summary>
    public string Explain() => LoweredBy is { } change
        ? $"the bucket's data class counts as {DataClasses.Name(Highest)}: its tag held {DataClasses.Name(Highest)} until {change.EventTime:u}, when {Untrusted.Clean(change.Actor.Arn) ?? "an unknown caller"} ({change.EventName}, event {Untrusted.Clean(change.EventId)}) set it to {(LoweredTo is { } to ? DataClasses.Name(to) : "none")}, shortly before or during the exposure"
        : $"the bucket's data class was {DataClasses.Name(Highest)} throughout";

    /// <summary>The classes the tag held, from the replay: the value each PutBucketTagging set (its whole tag set; the
    /// tag absent or naming no class is the default), none after DeleteBucketTagging, and as read now where no tagging
    /// change came after the window's end. A value in force before the first tagging change the history holds is
    /// unknown and not counted (a date or a class is never invented). Null when no value is known in the time.</summary>
    /// <param name="changes">The bucket's management events (any order; failed calls and other buckets are passed over).</param>
    public static DataClassInWindow? Of(string bucket, IEnumerable<BucketChange> changes, BucketState now, RemediationPolicy policy, DateTimeOffset windowStart, DateTimeOffset? windowEnd)
    {
        var tagging = changes
            .Where(c => c.Bucket == bucket && !c.Failed && c.EventTime is not null && c.Kind is ChangeKind.BucketTaggingChanged or ChangeKind.BucketTaggingDeleted)
            .OrderBy(c => c.EventTime)
            .ToList();
        var from = windowStart - Lookback;
        var until = windowEnd ?? DateTimeOffset.MaxValue;

        DataClass ClassOf(BucketChange change) =>
            change.Kind == ChangeKind.BucketTaggingDeleted ? policy.DefaultDataClass
            : DataClasses.Parse(change.RequestedTags?.FirstOrDefault(t => t.Key == policy.DataClassTag)?.Value) ?? policy.DefaultDataClass;

        // (when it took effect, the class, the change that set it): the value in force at the start of the time, if the
        // history holds the change that set it, then each change within the time, then the value read now.
        var held = new List<(DataClass Class, BucketChange? SetBy)>();
        if (tagging.LastOrDefault(c => c.EventTime < from) is { } before)
        {
            held.Add((ClassOf(before), before));
        }

        held.AddRange(tagging.Where(c => c.EventTime >= from && c.EventTime <= until).Select(c => (ClassOf(c), (BucketChange?)c)));
        if (!tagging.Any(c => c.EventTime > until))
        {
            held.Add((DataClasses.Of(now with { Sensitivity = null, DataClassFloor = null, DataClassProblems = [] }, policy, out _), null));
        }

        if (held.Count == 0)
        {
            return null;
        }

        var highest = held.Max(h => h.Class);
        var top = held.FindIndex(h => h.Class == highest);
        var lowered = held.Skip(top + 1).FirstOrDefault(h => h.Class < highest && h.SetBy is not null);
        return new DataClassInWindow(highest, lowered.SetBy, lowered.SetBy is null ? null : lowered.Class);
    }
}
