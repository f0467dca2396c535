using System.Collections.Immutable;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Tests.Evidence;

/// <summary>Whether a trail logs a bucket's object reads, from its event selectors as GetEventSelectors returns them
/// (CloudTrail User Guide, "Logging data events"; CloudTrail API Reference, AdvancedFieldSelector).</summary>
public class DataEventSelectorTests
{
    private const string Bucket = "lab-results";

    private static DataEventScope Basic(string readWrite, params string[] values) =>
        DataEventSelectors.ReadsOf(Bucket, "aws", [new BasicEventSelector(readWrite, [new DataResource("AWS::S3::Object", [.. values])])], []);

    private static FieldSelector Field(string field, string[]? equalTo = null, string[]? startsWith = null, string[]? notStartsWith = null, string[]? notEqualTo = null, string[]? endsWith = null) =>
        new(field, [.. equalTo ?? []], [.. startsWith ?? []], [.. endsWith ?? []], [.. notEqualTo ?? []], [.. notStartsWith ?? []], []);

    private static readonly FieldSelector Data = Field("eventCategory", equalTo: ["Data"]);
    private static readonly FieldSelector Objects = Field("resources.type", equalTo: ["AWS::S3::Object"]);

    private static DataEventScope Advanced(params FieldSelector[] fields) =>
        DataEventSelectors.ReadsOf(Bucket, "aws", [], [new AdvancedEventSelector([.. fields])]);

    [Theory]
    [InlineData("All", "arn:aws:s3", DataEventScope.Whole)]
    [InlineData("ReadOnly", "arn:aws:s3:::", DataEventScope.Whole)]
    [InlineData("All", "arn:aws:s3:::lab-results/", DataEventScope.Whole)]
    [InlineData("All", "arn:aws:s3:::lab-results/2026/", DataEventScope.Part)]
    [InlineData("All", "arn:aws:s3:::lab-results-archive/", DataEventScope.None)]
    [InlineData("WriteOnly", "arn:aws:s3:::lab-results/", DataEventScope.None)]
    public void A_basic_selector_logs_the_reads_its_read_write_type_and_arn_prefix_cover(string readWrite, string value, DataEventScope expected) =>
        Assert.Equal(expected, Basic(readWrite, value));

    [Fact]
    public void A_basic_selector_for_lambda_functions_logs_no_object_reads() =>
        Assert.Equal(DataEventScope.None, DataEventSelectors.ReadsOf(Bucket, "aws", [new BasicEventSelector("All", [new DataResource("AWS::Lambda::Function", ["arn:aws:lambda"])])], []));

    [Fact]
    public void Basic_selectors_are_not_used_when_the_trail_has_advanced_ones() =>
        Assert.Equal(DataEventScope.None, DataEventSelectors.ReadsOf(Bucket, "aws",
            [new BasicEventSelector("All", [new DataResource("AWS::S3::Object", ["arn:aws:s3"])])],
            [new AdvancedEventSelector([Field("eventCategory", equalTo: ["Management"])])]));

    [Fact]
    public void An_advanced_selector_on_every_s3_object_logs_the_whole_bucket() => Assert.Equal(DataEventScope.Whole, Advanced(Data, Objects));

    [Fact]
    public void An_advanced_selector_for_writes_only_logs_no_reads() => Assert.Equal(DataEventScope.None, Advanced(Data, Objects, Field("readOnly", equalTo: ["false"])));

    [Fact]
    public void An_advanced_selector_without_the_s3_object_type_logs_no_object_reads() => Assert.Equal(DataEventScope.None, Advanced(Data, Field("resources.type", equalTo: ["AWS::DynamoDB::Table"])));

    [Theory]
    [InlineData("arn:aws:s3:::lab-results/", DataEventScope.Whole)]
    [InlineData("arn:aws:s3:::lab", DataEventScope.Whole)]
    [InlineData("arn:aws:s3:::lab-results/phi/", DataEventScope.Part)]
    [InlineData("arn:aws:s3:::billing/", DataEventScope.None)]
    public void An_arn_prefix_selects_the_whole_bucket_part_of_it_or_none(string prefix, DataEventScope expected) =>
        Assert.Equal(expected, Advanced(Data, Objects, Field("resources.ARN", startsWith: [prefix])));

    [Fact]
    public void An_arn_prefix_excluded_by_not_starts_with_leaves_the_bucket_out() =>
        Assert.Equal(DataEventScope.None, Advanced(Data, Objects, Field("resources.ARN", notStartsWith: ["arn:aws:s3:::lab-results/"])));

    [Fact]
    public void Excluding_one_folder_of_the_bucket_logs_only_part_of_its_reads() =>
        Assert.Equal(DataEventScope.Part, Advanced(Data, Objects, Field("resources.ARN", notStartsWith: ["arn:aws:s3:::lab-results/public/"])));

    [Fact]
    public void One_object_named_by_equals_is_only_part_of_the_bucket() =>
        Assert.Equal(DataEventScope.Part, Advanced(Data, Objects, Field("resources.ARN", equalTo: ["arn:aws:s3:::lab-results/index.html"])));

    [Theory]
    [InlineData("GetObject", DataEventScope.Whole)]
    [InlineData("PutObject", DataEventScope.None)]
    public void An_event_name_condition_keeps_reads_only_when_it_names_get_object(string name, DataEventScope expected) =>
        Assert.Equal(expected, Advanced(Data, Objects, Field("eventName", equalTo: [name])));

    [Fact]
    public void Excluding_get_object_by_name_logs_no_reads() => Assert.Equal(DataEventScope.None, Advanced(Data, Objects, Field("eventName", notEqualTo: ["GetObject"])));

    [Fact]
    public void A_condition_on_the_caller_leaves_other_callers_reads_out() =>
        Assert.Equal(DataEventScope.Part, Advanced(Data, Objects, Field("userIdentity.arn", notStartsWith: ["arn:aws:sts::111122223333:assumed-role/etl/"])));

    [Fact]
    public void The_widest_of_several_selectors_counts() =>
        Assert.Equal(DataEventScope.Whole, DataEventSelectors.ReadsOf(Bucket, "aws", [],
            [new AdvancedEventSelector([Data, Objects, Field("resources.ARN", startsWith: ["arn:aws:s3:::billing/"])]), new AdvancedEventSelector([Data, Objects])]));

    [Fact]
    public void A_partial_trail_does_not_cover_the_window_even_over_its_whole_time()
    {
        var from = new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
        var ledger = new AccessLedger(Bucket, "111122223333", from, from.AddHours(1), null);
        var partial = new SourceCoverage(RequestSource.DataEvent, true, from.AddMinutes(-5), from.AddHours(2), DataEventSelectors.Gap(DataEventScope.Part, "org-trail"), Complete: false);
        var report = ledger.Report([partial, new SourceCoverage(RequestSource.AccessLog, false, null, null)]);

        Assert.Equal(LedgerVerdict.Unknown, report.Verdict);
        Assert.Contains(report.Gaps, g => g.Contains("trail org-trail logs the reads of only part of this bucket", StringComparison.Ordinal));
        Assert.Equal(LedgerVerdict.NoOutsideAccess, ledger.Report([partial with { Complete = true }]).Verdict);
    }
}
