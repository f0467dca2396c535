using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using BucketGuard.Core.Evidence;

namespace BucketGuard.Benchmarks;

/// <summary>The access ledger's reading speed against its floor (issue "after the lock": at most 2x the time of gunzip
/// plus a line count over the same files) and its memory in the number of lines. Generates gzip'd S3 server access
/// logs and CloudTrail data-event files (the record shapes of the unit tests' fixtures; 200 objects, a quarter of the
/// requests anonymous, each access log request also in CloudTrail for one in ten), then in each of 7 rounds, in turn:
/// file by file, gunzip and count lines; gunzip, parse and add to the round's ledger. Medians, and the median of the
/// per-round ratios.</summary>
public static class LedgerBenchmark
{
    public static async Task<int> RunAsync(int lines, TextWriter output)
    {
        // Real Request IDs and Host IDs are random (16 hex digits; 76 base64 characters), so they decide how well the
        // files compress and so how fast the floor is: the target is checked on those, and the same files with
        // sequential ids (which compress about 17:1, a much faster floor) are shown beside them.
        foreach (var randomIds in new[] { true, false })
        {
            await RunAsync(lines, randomIds, output);
        }

        return 0;
    }

    private static async Task RunAsync(int lines, bool randomIds, TextWriter output)
    {
        var dir = Directory.CreateTempSubdirectory("bg-ledger-");
        try
        {
            var files = await GenerateAsync(dir.FullName, lines, randomIds);
            output.WriteLine($"ledger over {lines:N0} access log lines and {lines / 10:N0} CloudTrail records in {files.Count} gzip files ({files.Sum(f => new FileInfo(f).Length) / 1024 / 1024.0:F1} MiB), {(randomIds ? "random request and host ids, as S3 writes them (the target)" : "sequential request and host ids (for comparison)")}");
            if (randomIds)
            {
                // Memory in the number of lines: the heap after a ledger over a quarter of the files and over all of them.
                var quarter = files.Take(Math.Max(1, files.Count / 4)).ToList();
                var (heapQuarter, linesQuarter) = await HeapAfterAsync(quarter, lines * quarter.Count / files.Count);
                var (heapAll, linesAll) = await HeapAfterAsync(files, lines);
                output.WriteLine($"  live heap after the ledger: {heapQuarter / 1024 / 1024.0:F1} MiB for {linesQuarter:N0} lines, {heapAll / 1024 / 1024.0:F1} MiB for {linesAll:N0} lines: {(double)(heapAll - heapQuarter) / (linesAll - linesQuarter):F1} bytes per further line (the request ids kept for de-duplication; aggregates are per object)");
            }

            var floor = new List<double>();
            var ledger = new List<double>();
            for (var round = 0; round < 7; round++)
            {
                var (floorMs, ledgerMs, counted, report) = await RoundAsync(files, ledgerFirst: round % 2 == 1);
                floor.Add(floorMs);
                ledger.Add(ledgerMs);
                if (round == 0)
                {
                    output.WriteLine($"  lines counted {counted:N0}; ledger requests {report.Requests:N0}, duplicates {report.Duplicates:N0}, reads {report.Reads:N0}");
                }
            }

            var ratio = Median(floor.Select((f, i) => ledger[i] / f));
            output.WriteLine($"  gunzip + line count: {Median(floor),8:F0} ms (median of 7)");
            output.WriteLine($"  gunzip + ledger:     {Median(ledger),8:F0} ms, {lines / (Median(ledger) / 1000) / 1e6:F2} M lines/s");
            output.WriteLine($"  ratio ledger/floor: {ratio:F2}x (target <= 2x{(randomIds ? string.Empty : ", not the target's files")}): {(ratio <= 2 ? "MET" : "NOT MET")}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The live heap with a filled ledger held, over the live heap without one (both after a full collection).</summary>
    private static async Task<(long Heap, int Lines)> HeapAfterAsync(List<string> files, int lines)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var ledger = await FillAsync(files);
        var held = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(ledger);
        return (held - baseline, lines);
    }

    private static async Task<List<string>> GenerateAsync(string dir, int lines, bool randomIds)
    {
        const string Owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
        var random = new Random(20261207);
        var files = new List<string>();
        const int PerFile = 50_000;
        var start = new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
        for (var file = 0; file * PerFile < lines; file++)
        {
            var log = Path.Combine(dir, $"access-{file:D4}.log.gz");
            var trail = Path.Combine(dir, $"trail-{file:D4}.json.gz");
            await using (var logOut = new StreamWriter(new GZipStream(File.Create(log), CompressionLevel.Fastest), Encoding.UTF8))
            await using (var trailOut = new StreamWriter(new GZipStream(File.Create(trail), CompressionLevel.Fastest), Encoding.UTF8))
            {
                await trailOut.WriteAsync("{\"Records\":[");
                var first = true;
                for (var i = file * PerFile; i < Math.Min(lines, (file + 1) * PerFile); i++)
                {
                    var time = start.AddMilliseconds(i * 7);
                    var (requestId, hostId) = randomIds ? (Convert.ToHexString(Bytes(random, 8)), Convert.ToBase64String(Bytes(random, 57))) : ($"R{i:X12}", $"H{i:X12}=");
                    var key = $"results/2026/patient-{random.Next(200):D4}.pdf";
                    var anonymous = random.Next(4) == 0;
                    var requester = anonymous ? "-" : random.Next(2) == 0 ? Owner : "arn:aws:iam::444455556666:user/harvester";
                    var status = random.Next(10) == 0 ? "403 AccessDenied 243" : "200 - 48213";
                    await logOut.WriteLineAsync($"{Owner} lab-results [{time:dd/MMM/yyyy:HH:mm:ss} +0000] 203.0.113.{random.Next(256)} {requester} {requestId} REST.GET.OBJECT {key} \"GET /lab-results/{key} HTTP/1.1\" {status} 48213 31 12 \"-\" \"aws-cli/2.15.{random.Next(20)}\" - {hostId} SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader lab-results.s3.eu-west-1.amazonaws.com TLSv1.3 - - eu-west-1");
                    if (i % 10 == 0)
                    {
                        var identity = anonymous ? """{"type":"AWSAccount","principalId":"","accountId":"anonymous"}""" : """{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::444455556666:user/harvester","accountId":"444455556666"}""";
                        await trailOut.WriteAsync((first ? string.Empty : ",") + $$"""
                            {"eventVersion":"1.10","userIdentity":{{identity}},"eventTime":"{{time:yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{"bucketName":"lab-results","key":"{{key}}"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","bytesTransferredIn":0,"bytesTransferredOut":48213,"x-amz-id-2":"{{hostId}}"},"requestID":"{{requestId}}","eventID":"e{{i}}","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}
                            """);
                        first = false;
                    }
                }

                await trailOut.WriteAsync("]}");
            }

            files.Add(log);
            files.Add(trail);
        }

        return files;
    }

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>One round, file by file: the floor over a file and the ledger's reading of it timed one after the other
    /// (in turn which first), so that a change in the machine's speed, which lasts longer than one file, falls on both
    /// alike. The ledger is one over all the files, as a run reads them; its Report is timed with the last file.</summary>
    private static async Task<(double FloorMs, double LedgerMs, long Counted, LedgerReport Report)> RoundAsync(List<string> files, bool ledgerFirst)
    {
        var ledger = NewLedger();
        long counted = 0;
        var floor = TimeSpan.Zero;
        var reading = TimeSpan.Zero;
        foreach (var file in files)
        {
            for (var step = 0; step < 2; step++)
            {
                var clock = Stopwatch.StartNew();
                if ((step == 0) == ledgerFirst)
                {
                    await ReadAsync(file, ledger);
                    reading += clock.Elapsed;
                }
                else
                {
                    counted += await CountLinesAsync(file);
                    floor += clock.Elapsed;
                }
            }
        }

        var last = Stopwatch.StartNew();
        var report = ledger.Report([new SourceCoverage(RequestSource.AccessLog, true, DateTimeOffset.MinValue, DateTimeOffset.MaxValue)]);
        reading += last.Elapsed;
        return (floor.TotalMilliseconds, reading.TotalMilliseconds, counted, report);
    }

    /// <summary>The floor: decompress a file and count its newline bytes (what `zcat FILE | wc -l` does).</summary>
    private static async Task<long> CountLinesAsync(string file)
    {
        long count = 0;
        var buffer = new byte[64 * 1024];
        await using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        int read;
        while ((read = await gzip.ReadAsync(buffer)) > 0)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return count;
    }

    private static AccessLedger NewLedger() =>
        new("lab-results", "111122223333", DateTimeOffset.MinValue, null, new HashSet<string> { "111122223333" });

    private static async Task<AccessLedger> FillAsync(List<string> files)
    {
        var ledger = NewLedger();
        foreach (var file in files)
        {
            await ReadAsync(file, ledger);
        }

        return ledger;
    }

    /// <summary>Decompresses one file into the ledger, with the reader its name says.</summary>
    private static async Task ReadAsync(string file, AccessLedger ledger)
    {
        await using var gzip = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        if (file.Contains("trail-", StringComparison.Ordinal))
        {
            await CloudTrailRecords.ReadDataEventsAsync(gzip, ledger);
        }
        else
        {
            await ServerAccessLog.ReadAsync(gzip, ledger, (line, error) => throw new InvalidDataException($"{file} line {line}: {error}"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
