using System.IO.Compression;
using System.Text;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Tests.Evidence;

/// <summary>The access ledger from real record shapes: S3 server access log records (S3 User Guide, "Amazon S3 server
/// access log format") and CloudTrail S3 data events (gzip JSON, as a trail delivers them), in
/// Fixtures/evidence.</summary>
public class AccessLedgerTests
{
    private const string Bucket = "lab-results";
    private const string Account = "111122223333";
    private static readonly DateTimeOffset From = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2026, 11, 21, 11, 0, 0, TimeSpan.Zero);
    private static readonly HashSet<string> Organization = [Account, "222233334444"];

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "evidence", name);

    private static SourceCoverage[] Covered =>
    [
        new(RequestSource.DataEvent, true, From.AddMinutes(-5), To.AddMinutes(5)),
        new(RequestSource.AccessLog, true, From, To),
    ];

    /// <summary>Reads the fixtures into a ledger as the product does: the access log and then the trail's gzip file
    /// streamed, one byte per read (the readers gather a megabyte from such a stream as from any other).</summary>
    private static async Task<AccessLedger> LedgerAsync()
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        var errors = new List<string>();
        await using (var log = File.OpenRead(Fixture("access.log")))
        {
            await ServerAccessLog.ReadAsync(new Trickle(log), ledger, (line, error) => errors.Add($"{line}: {error}"));
        }

        Assert.Empty(errors);
        await using var file = File.OpenRead(Fixture("111122223333_CloudTrail_eu-west-1_20261121T0945Z_data.json.gz"));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await CloudTrailRecords.ReadDataEventsAsync(new Trickle(gzip), ledger);
        return ledger;
    }

    /// <summary>The same fixtures a record at a time: each log line parsed to a request, each trail record a JSON document.</summary>
    private static async Task<AccessLedger> LedgerRecordByRecordAsync()
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        foreach (var line in await File.ReadAllLinesAsync(Fixture("access.log")))
        {
            var parsed = ServerAccessLog.Parse(line, out var owner);
            Assert.True(parsed.Ok, parsed.Error);
            ledger.Add(parsed.Value!, owner);
        }

        await using var file = File.OpenRead(Fixture("111122223333_CloudTrail_eu-west-1_20261121T0945Z_data.json.gz"));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await foreach (var record in CloudTrailRecords.ReadAsync(gzip))
        {
            using (record)
            {
                if (CloudTrailRecords.DataEvent(record.RootElement) is { } request)
                {
                    ledger.Add(request);
                }
            }
        }

        return ledger;
    }

    private static string Text(params string[] lines) => string.Join("\n", lines);

    private static string Record(string requestId, string requester = "-", string trailing = "") =>
        $"owner lab-results [21/Nov/2026:09:31:02 +0000] 203.0.113.7 {requester} {requestId} REST.GET.OBJECT a.pdf \"GET /a.pdf HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"curl/8\" - H{requestId}{trailing}";

    /// <summary>An anonymous GetObject data event of lab-results/a.pdf, 5 bytes sent, as a trail writes it.</summary>
    private static string Event(string requestId, string userAgent = "curl/8") => $$"""{"eventVersion":"1.10","userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous"},"eventTime":"2026-11-21T09:31:02Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.9","userAgent":"{{userAgent}}","requestParameters":{"bucketName":"lab-results","key":"a.pdf"},"additionalEventData":{"bytesTransferredOut":5,"x-amz-id-2":"H{{requestId}}"},"requestID":"{{requestId}}","eventCategory":"Data"}""";

    /// <summary>Streams text (UTF-8, optionally with a byte order mark) through ServerAccessLog.ReadAsync, one byte per read or all at once.</summary>
    private static async Task<(AccessLedger Ledger, int Records, List<(int Line, string Error)> Errors)> StreamAsync(string text, bool trickle, bool byteOrderMark = false)
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        var errors = new List<(int, string)>();
        var bytes = (byteOrderMark ? Encoding.UTF8.Preamble.ToArray() : []).Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        Stream stream = new MemoryStream(bytes);
        var records = await ServerAccessLog.ReadAsync(trickle ? new Trickle(stream) : stream, ledger, (line, error) => errors.Add((line, error)));
        return (ledger, records, errors);
    }

    /// <summary>Hands out one byte per read, the least a stream may.</summary>
    private sealed class Trickle(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(1, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Both_sources_together_give_the_ledger_counted_by_hand_with_the_request_seen_in_both_counted_once()
    {
        var report = (await LedgerAsync()).Report(Covered);

        Assert.Equal(LedgerVerdict.Read, report.Verdict);
        Assert.Equal((10, 1, 1), (report.Requests, report.Duplicates, report.InsideRequests));
        Assert.Equal((5, 2, 48213L + 1024 + 48213 + 51200 + 51200), (report.Reads, report.Denied, report.BytesSent));
        Assert.Equal(6, report.RequestsByCaller[CallerKind.Anonymous]);
        Assert.Equal(2, report.RequestsByCaller[CallerKind.OutsideOrganization]);
        Assert.Equal(1, report.RequestsByCaller[CallerKind.OrganizationAccount]);
        var first = report.Objects.Single(o => o.Key == "results/2026/patient-0042.pdf");
        Assert.Equal((3, 0, 97450L), (first.Reads, first.Denied, first.BytesSent));
        Assert.Equal([CallerKind.Anonymous, CallerKind.OutsideOrganization], first.Callers.AsEnumerable());
        Assert.Equal(["192.0.2.44", "203.0.113.7"], first.SourceIps.AsEnumerable());
        Assert.Contains("Mozilla/5.0 (X11; Linux x86_64) \"quoted\" part", first.UserAgents);
        var decoded = report.Objects.Single(o => o.Key == "results/2026/patient 0043.pdf");
        Assert.Equal((0, 1), (decoded.Reads, decoded.Denied));
        var fourth = report.Objects.Single(o => o.Key == "results/2026/patient-0044.pdf");
        Assert.Equal((2, 1, 1, 102400L), (fourth.Reads, fourth.Denied, fourth.Other, fourth.BytesSent));
        Assert.Equal((0, 0, 1), (report.Objects.Single(o => o.Key is null).Reads, report.Objects.Single(o => o.Key is null).Denied, report.Objects.Single(o => o.Key is null).Other));
    }

    [Fact]
    public async Task The_ledger_json_is_byte_for_byte_the_golden_file()
    {
        var json = (await LedgerAsync()).Report(Covered).Json();

        Assert.Equal(await File.ReadAllTextAsync(Fixture("expected-ledger.json")), json + "\n");
    }

    [Fact]
    public async Task Streaming_the_files_gives_the_same_ledger_as_reading_them_a_record_at_a_time()
    {
        var streamed = (await LedgerAsync()).Report(Covered).Json();

        var recordByRecord = (await LedgerRecordByRecordAsync()).Report(Covered).Json();

        Assert.Equal(recordByRecord, streamed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_byte_order_mark_crlf_endings_blank_lines_and_a_last_line_without_a_newline_still_give_every_record(bool trickle)
    {
        var text = Record("R1", requester: "owner") + "\r\n\r\n\n" + Record("R2") + "\r\n" + Record("R3");

        var (ledger, records, errors) = await StreamAsync(text, trickle, byteOrderMark: true);

        Assert.Empty(errors);
        Assert.Equal(3, records);
        var report = ledger.Report(Covered);
        Assert.Equal((3, 1), (report.Requests, report.InsideRequests));
        Assert.Equal("curl/8", Assert.Single(Assert.Single(report.Objects).UserAgents));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_broken_or_overlong_line_is_reported_with_its_number_and_the_lines_after_it_are_still_read(bool trickle)
    {
        var overlong = Record("R3", trailing: " " + new string('x', ServerAccessLog.MaxRecordLength + 10));
        var text = Text(Record("R1"), Record("R2").Replace("\"curl/8\"", "\"curl/8", StringComparison.Ordinal), overlong, Record("R4"));

        var (ledger, records, errors) = await StreamAsync(text, trickle);

        Assert.Equal(2, records);
        Assert.Equal([2, 3], errors.Select(e => e.Line));
        Assert.Contains("never closed", errors[0].Error, StringComparison.Ordinal);
        Assert.Contains("at most 65536 bytes", errors[1].Error, StringComparison.Ordinal);
        Assert.Equal(2, ledger.Report(Covered).Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_line_longer_than_the_megabyte_the_reader_gathers_at_a_time_is_reported_once_and_the_lines_after_it_are_still_read(bool trickle)
    {
        // 3 MiB: the reader holds at most its buffer of a line, so this one is passed over in pieces, not held.
        var text = Text(Record("R1"), Record("R2", trailing: " " + new string('x', 3 << 20)), Record("R3"));

        var (ledger, records, errors) = await StreamAsync(text, trickle);

        Assert.Equal(2, records);
        var (line, error) = Assert.Single(errors);
        Assert.Equal(2, line);
        Assert.Contains("at most 65536 bytes", error, StringComparison.Ordinal);
        Assert.Equal(2, ledger.Report(Covered).Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_data_event_larger_than_the_megabyte_the_reader_gathers_at_a_time_is_read_whole_with_the_events_around_it(bool trickle)
    {
        var text = $$"""{"Records":[{{Event("R1")}},{{Event("R2", userAgent: new string('x', 3 << 20))}},{{Event("R3")}}]}""";
        Stream stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);

        Assert.Equal(3, await CloudTrailRecords.ReadDataEventsAsync(trickle ? new Trickle(stream) : stream, ledger));

        var report = ledger.Report(Covered);
        Assert.Equal((3, 3, 15L), (report.Requests, report.Reads, report.BytesSent));
        Assert.Contains(Assert.Single(report.Objects).UserAgents, agent => agent.Length == 3 << 20);
    }

    [Fact]
    public async Task Records_the_readers_megabyte_buffer_cuts_anywhere_give_the_ledger_reading_them_one_at_a_time_gives()
    {
        // About 3.5 MiB of each, in records of lengths that vary, so that each buffer ends inside a record.
        var random = new Random(20261208);
        var lines = Enumerable.Range(0, 12_000)
            .Select(i => Record($"R{i}", requester: i % 3 == 0 ? "arn:aws:iam::444455556666:user/u" : "-", trailing: " " + new string('t', random.Next(200))))
            .ToList();
        var events = Enumerable.Range(0, 8_000).Select(i => Event($"E{i}", userAgent: "curl/" + new string('8', random.Next(300)))).ToList();
        var trail = Encoding.UTF8.GetBytes($$"""{"Records":[{{string.Join(",", events)}}]}""");

        var (streamed, records, errors) = await StreamAsync(Text([.. lines]), trickle: false);
        await CloudTrailRecords.ReadDataEventsAsync(new MemoryStream(trail), streamed);

        var oneAtATime = new AccessLedger(Bucket, Account, From, To, Organization);
        foreach (var line in lines)
        {
            var parsed = ServerAccessLog.Parse(line, out var owner);
            oneAtATime.Add(parsed.Value!, owner);
        }

        await foreach (var record in CloudTrailRecords.ReadAsync(new MemoryStream(trail)))
        {
            oneAtATime.Add(CloudTrailRecords.DataEvent(record.RootElement)!);
            record.Dispose();
        }

        Assert.Empty(errors);
        Assert.Equal(12_000, records);
        Assert.Equal(20_000, oneAtATime.Report(Covered).Requests);
        Assert.Equal(oneAtATime.Report(Covered).Json(), streamed.Report(Covered).Json());
    }

    [Fact]
    public void What_S3_adds_after_the_host_id_never_makes_a_record_unreadable_even_an_unclosed_quote_the_tokenizer_refuses()
    {
        var line = Record("R1", trailing: " SigV4 \"unclosed future-field");

        Assert.True(ServerAccessLog.Parse(line, out _).Ok);
        Assert.Null(ServerAccessLog.Tokenize(line, out var error));
        Assert.Contains("never closed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thousands_of_requests_each_seen_twice_in_any_order_are_each_counted_once()
    {
        var ids = Enumerable.Range(0, 20_000).Select(i => $"R{i:X16}").ToList();
        var twice = ids.Concat(ids).OrderBy(id => HashCode.Combine(id, 7)).ToList();

        var (ledger, records, errors) = await StreamAsync(Text([.. twice.Select(id => Record(id))]), trickle: false);

        Assert.Empty(errors);
        Assert.Equal(40_000, records);
        var report = ledger.Report(Covered);
        Assert.Equal((20_000, 20_000, 20_000), (report.Requests, report.Duplicates, report.Reads));
    }

    [Fact]
    public async Task Data_events_are_read_as_json_means_them_escapes_resolved_and_a_value_of_the_wrong_type_never_misread()
    {
        var text = """
            {"Records":[
             {"eventSource":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"},"eventName":"GetObject","eventTime":"2026-11-21T09:31:02Z","requestParameters":{"bucketName":"lab-results","key":"decoy.pdf"},"requestID":"R0"},
             {"eventSource":"s3.amazonaws.com","eventCategory":"Data","eventName":"GetObject","eventTime":"2026-11-21T09:31:02Z",
              "userIdentity":{"type":"AWSAccount","principalId":"","accountId":"anonymous","sessionContext":{"attributes":{"key":"not-the-key"}}},
              "requestParameters":{"bucketName":"lab-results","key":"results\/2026\/patient\u00200042.pdf","Host":["a","b"]},
              "userAgent":"curl\/8 \"quoted\"","sourceIPAddress":"203.0.113.7","requestID":"R1",
              "additionalEventData":{"bytesTransferredOut":"48213","x-amz-id-2":"H1"}},
             {"eventSource":"s3.amazonaws.com","eventCategory":"Data","eventName":"GetObject","eventTime":"2026-11-21T09:31:03Z",
              "requestParameters":{"bucketName":"another-bucket","key":"a.pdf"},"requestID":"R2"}
            ]}
            """;
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);

        var records = await CloudTrailRecords.ReadDataEventsAsync(new Trickle(new MemoryStream(Encoding.UTF8.GetBytes(text))), ledger);

        Assert.Equal(3, records);
        var report = ledger.Report(Covered);
        Assert.Equal(1, report.Requests);
        var entry = Assert.Single(report.Objects);
        Assert.Equal(("results/2026/patient 0042.pdf", 1, 0L), (entry.Key, entry.Reads, entry.BytesSent));
        Assert.Equal("curl/8 \"quoted\"", Assert.Single(entry.UserAgents));
        Assert.Equal([CallerKind.Anonymous], entry.Callers.AsEnumerable());
    }

    [Fact]
    public void Source_ips_beyond_the_listed_ones_are_counted_once_each_however_often_they_return()
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        for (var round = 0; round < 3; round++)
        {
            for (var ip = 0; ip < AccessLedger.MaxListed + 4; ip++)
            {
                var line = $"owner lab-results [21/Nov/2026:09:31:02 +0000] 203.0.113.{ip} - R{round}-{ip} REST.GET.OBJECT a.pdf \"GET / HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"curl/8\" - H";
                ledger.Add(ServerAccessLog.Parse(line, out _).Value!);
            }
        }

        var entry = Assert.Single(ledger.Report(Covered).Objects);

        Assert.Equal((AccessLedger.MaxListed, 4, 3 * (AccessLedger.MaxListed + 4)), (entry.SourceIps.Length, entry.MoreSourceIps, entry.Reads));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Distinct_source_ips_are_counted_exactly_per_object_past_the_first_thousands_the_ledger_meets_and_up_to_its_limit(bool streamed)
    {
        // Two objects whose source IPs overlap by half, each IP three times: past the first values met (which the ledger
        // numbers), an object's values are partly numbered and partly not, and every one counts once per object.
        var lines = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            for (var ip = 0; ip < 6000; ip++)
            {
                var key = ip < 3000 ? "a.pdf" : "b.pdf";
                var address = ip < 3000 ? ip : ip - 1500;
                lines.Add($"owner lab-results [21/Nov/2026:09:31:02 +0000] 10.{address >> 8}.{address & 255}.1 - R{round}-{ip} REST.GET.OBJECT {key} \"GET / HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"curl/8\" - H");
            }
        }

        // And one object with more distinct IPs than the ledger counts: a lower bound, the limit.
        for (var ip = 0; ip < AccessLedger.MaxListed + 5000; ip++)
        {
            lines.Add($"owner lab-results [21/Nov/2026:09:31:02 +0000] 172.16.{ip >> 8}.{ip & 255} - M-{ip} REST.GET.OBJECT c.pdf \"GET / HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"curl/8\" - H");
        }

        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        if (streamed)
        {
            await ServerAccessLog.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), ledger, (line, error) => Assert.Fail($"{line}: {error}"));
        }
        else
        {
            foreach (var line in lines)
            {
                ledger.Add(ServerAccessLog.Parse(line, out _).Value!);
            }
        }

        var objects = ledger.Report(Covered).Objects;

        Assert.Equal(
            [("a.pdf", 16, 2984, 1, 0), ("b.pdf", 16, 2984, 1, 0), ("c.pdf", 16, 4096, 1, 0)],
            objects.Select(o => (o.Key!, o.SourceIps.Length, o.MoreSourceIps, o.UserAgents.Length, o.MoreUserAgents)));
    }

    [Fact]
    public void Where_no_source_covered_the_window_the_verdict_is_unknown_with_each_reason_never_no_access()
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);

        var report = ledger.Report(
        [
            new(RequestSource.DataEvent, false, null, null),
            new(RequestSource.AccessLog, true, From.AddMinutes(30), To),
        ]);

        Assert.Equal(LedgerVerdict.Unknown, report.Verdict);
        Assert.Contains("CloudTrail data events are not recorded for this bucket", report.Gaps);
        Assert.Contains(report.Gaps, g => g.StartsWith("server access logs cover 2026-11-21 09:30:00Z", StringComparison.Ordinal));
        Assert.Equal(LedgerVerdict.Unknown, ledger.Report([]).Verdict);
    }

    [Fact]
    public void A_covered_window_with_only_refused_attempts_is_attempted_and_with_only_the_owners_requests_no_outside_access()
    {
        var denied = ServerAccessLog.Parse(File.ReadAllLines(Fixture("access.log"))[2], out _).Value!;
        var own = ServerAccessLog.Parse(File.ReadAllLines(Fixture("access.log"))[4], out var owner).Value!;
        var attempted = new AccessLedger(Bucket, Account, From, To, Organization);
        attempted.Add(denied);
        var quiet = new AccessLedger(Bucket, Account, From, To, Organization);
        quiet.Add(own, owner);

        Assert.Equal(LedgerVerdict.Attempted, attempted.Report(Covered).Verdict);
        Assert.Equal(LedgerVerdict.NoOutsideAccess, quiet.Report(Covered).Verdict);
        Assert.Equal(1, quiet.Report(Covered).InsideRequests);
    }

    [Fact]
    public void Every_anonymous_shape_CloudTrail_has_written_is_anonymous_and_a_named_principal_is_its_account()
    {
        static AccessRequest Request(string identity) => CloudTrailRecords.DataEvent(System.Text.Json.JsonDocument.Parse($$"""
            {"eventSource":"s3.amazonaws.com","eventCategory":"Data","eventName":"GetObject","eventTime":"2026-11-21T09:31:02Z",
             "requestParameters":{"bucketName":"lab-results","key":"a.pdf"},"userIdentity":{{identity}},"requestID":"R","additionalEventData":{"x-amz-id-2":"H","bytesTransferredOut":5} }
            """).RootElement)!;

        foreach (var anonymous in new[] { "ANONYMOUS_PRINCIPAL", "anonymous", "" })
        {
            var request = Request($$"""{"type":"AWSAccount","principalId":"","accountId":"{{anonymous}}"}""");
            Assert.Equal((true, (string?)null), (request.Anonymous, request.RequesterAccount));
            Assert.Equal(CallerKind.Anonymous, request.Caller(Account, Organization));
        }

        var outsider = Request("""{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::444455556666:user/harvester","accountId":"444455556666"}""");
        var crossAccountRoot = Request("""{"type":"AWSAccount","principalId":"AIDA","accountId":"555566667777"}""");
        Assert.Equal(CallerKind.OutsideOrganization, outsider.Caller(Account, Organization));
        Assert.Equal(CallerKind.OtherAccount, outsider.Caller(Account, null));
        Assert.Equal(("555566667777", false), (crossAccountRoot.RequesterAccount, crossAccountRoot.Anonymous));
        Assert.Equal((5L, "H", "R"), (outsider.BytesSent, outsider.HostId, outsider.RequestId));
    }

    [Fact]
    public void The_access_log_tokenizer_keeps_brackets_quotes_escapes_dashes_and_unknown_trailing_fields()
    {
        var line = File.ReadAllLines(Fixture("access.log"))[1];

        var fields = ServerAccessLog.Tokenize(line, out var error)!;

        Assert.Null(error);
        Assert.Equal(29, fields.Count);
        Assert.Equal("21/Nov/2026:09:32:10 +0000", fields[2]);
        Assert.Null(fields[4]);
        Assert.Equal("GET /lab-results/results/2026/patient-0042.pdf HTTP/1.1", fields[8]);
        Assert.Equal("https://search.example/?q=lab", fields[15]);
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64) \"quoted\" part", fields[16]);
        Assert.Equal(["some-future-field", "another"], fields[^2..]);
    }

    [Theory]
    [InlineData("owner lab-results [21/Nov/2026:10:31:02 +0100] 203.0.113.7 - R1 REST.GET.OBJECT a.pdf \"GET /a.pdf HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"-\"", true)]
    [InlineData("owner lab-results [21/Nov/2026:10:31:02 +0100 203.0.113.7 - R1 REST.GET.OBJECT a.pdf", false)]
    [InlineData("owner lab-results [21/Nov/2026:09:31:02 +0000] 203.0.113.7 - R1 REST.GET.OBJECT a.pdf \"GET /a.pdf HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"curl/8 unclosed", false)]
    [InlineData("owner lab-results [21/Nov/2026:09:31:02 +0000] 203.0.113.7 - R1 REST.GET.OBJECT a.pdf \"GET /a.pdf HTTP/1.1\" 200 -", false)]
    [InlineData("owner lab-results [2026-11-21T09:31:02Z] 203.0.113.7 - R1 REST.GET.OBJECT a.pdf \"GET /a.pdf HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"-\"", false)]
    public void A_record_is_read_only_whole_and_a_broken_one_is_an_error_naming_what_is_wrong(string line, bool ok)
    {
        var parsed = ServerAccessLog.Parse(line, out _);

        Assert.Equal(ok, parsed.Ok);
        if (ok)
        {
            Assert.Equal(new DateTimeOffset(2026, 11, 21, 9, 31, 2, TimeSpan.Zero), parsed.Value!.Time);
            Assert.True(parsed.Value.Anonymous);
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(parsed.Error));
        }
    }

    [Fact]
    public void Keys_and_user_agents_from_logs_are_neutralised_in_the_json()
    {
        var hostile = "owner lab-results [21/Nov/2026:09:31:02 +0000] 203.0.113.7 - R9 REST.GET.OBJECT evil%0Averdict%3A%20no-access%E2%80%AE.pdf \"GET / HTTP/1.1\" 200 - 5 5 1 1 \"-\" \"agent\u202e\u0007bell\" - H9";
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        ledger.Add(ServerAccessLog.Parse(hostile, out _).Value!);

        var json = ledger.Report(Covered).Json();

        var entry = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("objects")[0];
        var key = entry.GetProperty("key").GetString()!;
        var agent = entry.GetProperty("userAgents")[0].GetString()!;
        Assert.DoesNotContain(key + agent, c => BucketGuard.Core.Untrusted.IsUnsafe(c));
        Assert.StartsWith("evil\\u000Averdict", key, StringComparison.Ordinal);
        Assert.Equal("agent\\u202E\\u0007bell", agent);
    }

    [Fact]
    public async Task A_file_that_is_not_a_cloudtrail_log_or_ends_inside_a_record_is_an_error_never_an_empty_ledger()
    {
        static async Task<int> CountAsync(string text)
        {
            var count = 0;
            await foreach (var record in CloudTrailRecords.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text))))
            {
                record.Dispose();
                count++;
            }

            // The data-event reader reads the same files the same way.
            Assert.Equal(count, await CloudTrailRecords.ReadDataEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), new AccessLedger(Bucket, Account, From, To)));
            return count;
        }

        await Assert.ThrowsAsync<FormatException>(() => CountAsync("""{"Digest":"not a log"}"""));
        await Assert.ThrowsAsync<FormatException>(() => CountAsync("""{"Records":[{"eventName":"GetObject","requestParameters":{"key":"a}"""));
        await Assert.ThrowsAsync<FormatException>(() => CountAsync("""{"Records":["not an object"]}"""));
        Assert.Equal(0, await CountAsync("""{"Records":[]}"""));
        Assert.Equal(2, await CountAsync("""{"Records":[{"a":"}]{"},{"b":[1,{"c":"\"]"}]}]}"""));
        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => CountAsync("""{"Records":[{"a":tru}]}"""));
    }

    [Fact]
    public async Task Every_data_event_before_a_record_that_is_not_json_is_in_the_ledger_when_the_reader_refuses_the_file()
    {
        var ledger = new AccessLedger(Bucket, Account, From, To, Organization);
        var text = $$"""{"Records":[{{Event("R1")}},{{Event("R2")}},{"a":tru}]}""";

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => CloudTrailRecords.ReadDataEventsAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), ledger));

        var report = ledger.Report(Covered);
        Assert.Equal((2, 2, 10L), (report.Requests, report.Reads, report.BytesSent));
    }
}
