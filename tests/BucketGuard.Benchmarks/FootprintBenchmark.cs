using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using Amazon.SimpleNotificationService;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.LocalLambda;

namespace BucketGuard.Benchmarks;

/// <summary>What the template's MemorySize and Timeout rest on: the packaged bootstrap's peak resident memory (VmHWM,
/// what Lambda reports as Max Memory Used) and its durations, through the local Runtime API against Ceph RGW and fauxqs:
/// an event function locking a public bucket cold, then warm re-reads; the organisation sweep's worker over N buckets in
/// batches of 250 (issue "Organisation sweep that finishes": a batch within 60 s p99 and 256 MiB, no growth from batch to
/// batch, at most 6 requests per private bucket and 10 per public one), and the model of 1,000,000 buckets (500 accounts
/// of 2,000) at 100 workers of 512 MB that the measurement gives.</summary>
public static class FootprintBenchmark
{
    public static async Task<int> RunAsync(int buckets, TextWriter output)
    {
        var root = ColdStartBenchmark.FindRoot();
        var bootstrap = Path.Combine(root, "out", "lambda-x86_64", "bootstrap");
        if (AwsEndpoints.Configured("S3") is null || !File.Exists(bootstrap))
        {
            Console.Error.WriteLine("footprint benchmark: needs the local AWS (infra/local/start) and the package (infra/package)");
            return 2;
        }

        using var s3 = AwsClients.CreateS3();
        using var sns = new AmazonSimpleNotificationServiceClient();
        var id = Guid.NewGuid().ToString("n")[..6];
        var topic = (await sns.CreateTopicAsync(new CreateTopicRequest { Name = "bg-footprint-" + id })).TopicArn!;
        var environment = ColdStartBenchmark.FunctionEnvironment(topic);
        var names = Enumerable.Range(0, buckets).Select(i => $"bg-fp-{id}-{i:D5}").ToList();
        var eventBucket = $"bg-fp-{id}-event";
        try
        {
            // An event function: cold invocation that locks and notifies, then warm invocations that re-read and find it locked.
            await s3.PutBucketAsync(eventBucket);
            await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = eventBucket, ACL = S3CannedACL.PublicRead });
            var payload = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "events", "putbucketacl-public-read.json")))!;
            payload["detail"]!["requestParameters"]!["bucketName"] = eventBucket;
            await using (var acl = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-acl", bootstrap, "acl", 60, 256, "us-east-1", "111122223333", environment)))
            {
                var cold = await TimedAsync(acl, payload.ToJsonString());
                var warm = new List<double>();
                for (var i = 0; i < 20; i++)
                {
                    warm.Add(await TimedAsync(acl, payload.ToJsonString()));
                }

                warm.Sort();
                output.WriteLine($"event function: cold (lock + notify) {cold:F0} ms; warm median {warm[warm.Count / 2]:F0} ms, max {warm[^1]:F0} ms; peak memory {PeakMb(acl):F0} MB");
            }

            // The organisation sweep's worker over N buckets (a quarter private, the rest public by ACL or policy) in batches
            // of 250, one warm worker, its S3 requests counted by a proxy in front of RGW, its records in moto's DynamoDB.
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) => await AuditBenchmark.CreateAsync(s3, name, ct));
            await SweepBatchesAsync(bootstrap, environment, names, output);
            return 0;
        }
        finally
        {
            foreach (var name in names.Append(eventBucket))
            {
                try
                {
                    await s3.DeleteBucketAsync(name);
                }
                catch (AmazonS3Exception)
                {
                    // Not created (the run failed early): nothing to clean.
                }
            }

            await sns.DeleteTopicAsync(new DeleteTopicRequest { TopicArn = topic });
        }
    }

    private static async Task<double> TimedAsync(LambdaEmulator lambda, string payload)
    {
        var clock = Stopwatch.StartNew();
        var (status, body, error) = await lambda.InvokeAsync(payload);
        if (status != 200 || error is not null)
        {
            throw new InvalidOperationException($"invocation failed: {status} {error} {body}\n{string.Join('\n', lambda.Logs)}");
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>The runtime process's peak resident set (VmHWM), which is what Lambda's Max Memory Used measures.</summary>
    private static double PeakMb(LambdaEmulator lambda) => lambda.RuntimePeakMb;

    /// <summary>Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB (Lambda Developer Guide,
    /// "Configure Lambda function memory").</summary>
    private const double MegabytesPerVcpu = 1769;

    private static async Task SweepBatchesAsync(string bootstrap, Dictionary<string, string> environment, List<string> names, TextWriter output)
    {
        await using var proxy = await FaultProxy.StartAsync(AwsEndpoints.Configured("S3")!);
        using var dynamo = AwsClients.CreateDynamoDb();
        var table = "bg-fp-sweep-" + Guid.NewGuid().ToString("n")[..6];
        await dynamo.CreateTableAsync(new Amazon.DynamoDBv2.Model.CreateTableRequest
        {
            TableName = table,
            BillingMode = Amazon.DynamoDBv2.BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new("pk", Amazon.DynamoDBv2.ScalarAttributeType.S), new("sk", Amazon.DynamoDBv2.ScalarAttributeType.S)],
            KeySchema = [new("pk", Amazon.DynamoDBv2.KeyType.HASH), new("sk", Amazon.DynamoDBv2.KeyType.RANGE)],
        });
        try
        {
            var worker = new Dictionary<string, string>(environment)
            {
                ["AWS_ENDPOINT_URL_S3"] = proxy.Endpoint.ToString(),
                ["BUCKETGUARD_HOME_ACCOUNT"] = "111122223333",
                ["BUCKETGUARD_SWEEP_TABLE"] = table,
                ["BUCKETGUARD_SWEEP_BUCKET"] = "bucketguard-sweep-items",
            };
            const int Memory = 512;
            await using var lambda = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-sweep-batch", bootstrap, "sweep-batch", 900, Memory, "us-east-1", "111122223333", worker));
            var sweepId = "sweep-fp-" + Guid.NewGuid().ToString("n")[..6];
            var batches = names.Select((name, i) => new BucketGuard.Core.Sweep.SweepItem(i, "111122223333", name, null).Line()).Chunk(BucketGuard.Core.Sweep.SweepPlanner.BatchSize)
                .Select(lines => $$"""{"BatchInput":{"sweepId":"{{sweepId}}"},"Items":[{{string.Join(',', lines)}}]}""").ToList();
            var seconds = new List<double>();
            var resident = new List<double>();
            foreach (var batch in batches)
            {
                seconds.Add(await TimedAsync(lambda, batch) / 1000);
                resident.Add(ResidentMb(lambda));
            }

            // The runtime starts with the first batch: its init is in the CPU per bucket (conservative).
            var cpu = lambda.RuntimeCpu.TotalMilliseconds / names.Count;
            var perBucket = proxy.Seen.GroupBy(r => r.Path.Trim('/').Split('/')[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            bool IsPublic(string name) => int.Parse(name[^5..], System.Globalization.CultureInfo.InvariantCulture) % 4 != 0;
            var privateMax = names.Where(n => !IsPublic(n)).Max(n => perBucket.GetValueOrDefault(n));
            var publicMax = names.Where(IsPublic).Max(n => perBucket.GetValueOrDefault(n));
            var privateMean = names.Where(n => !IsPublic(n)).Average(n => perBucket.GetValueOrDefault(n));
            var publicMean = names.Where(IsPublic).Average(n => perBucket.GetValueOrDefault(n));
            var sorted = seconds.Order().ToList();
            var p99 = sorted[(int)Math.Ceiling(0.99 * sorted.Count) - 1];
            output.WriteLine($"sweep batches: {batches.Count} of {BucketGuard.Core.Sweep.SweepPlanner.BatchSize} in one warm worker of {Memory} MB: median {sorted[sorted.Count / 2]:F1} s, p99 {p99:F1} s (target <= 60 s): {(p99 <= 60 ? "MET" : "NOT MET")}");
            output.WriteLine($"  peak memory {PeakMb(lambda):F0} MB (target <= 256 MiB): {(PeakMb(lambda) <= 256 ? "MET" : "NOT MET")}; resident after each batch {string.Join(", ", resident.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} MB: growth from the second to the last {resident[^1] - resident[Math.Min(1, resident.Count - 1)]:F0} MB");
            output.WriteLine($"  S3 requests per bucket, from the proxy's log: private mean {privateMean:F1} max {privateMax} (target <= 6): {(privateMax <= 6 ? "MET" : "NOT MET")}; public mean {publicMean:F1} max {publicMax} (target <= 10): {(publicMax <= 10 ? "MET" : "NOT MET")}");

            // The model: 1,000,000 buckets are 4,000 batches; 100 workers run them in waves. A batch takes at least its
            // measured time, and at least its CPU at the worker's share of a vCPU (here the CPU is a whole core).
            const int Buckets = 1_000_000, Workers = 100;
            var vcpu = Memory / MegabytesPerVcpu;
            var batchSeconds = Math.Max(p99, cpu * BucketGuard.Core.Sweep.SweepPlanner.BatchSize / 1000 / vcpu);
            var waves = Math.Ceiling((double)Buckets / BucketGuard.Core.Sweep.SweepPlanner.BatchSize / Workers);
            var minutes = waves * batchSeconds / 60;
            output.WriteLine($"  model inputs: {cpu:F1} ms CPU per bucket, {publicMean * 0.75 + privateMean * 0.25:F1} S3 requests per bucket (3 public in 4), batch p99 {p99:F1} s, {vcpu:F2} vCPU at {Memory} MB");
            output.WriteLine($"  model: {Buckets:N0} buckets = {Buckets / BucketGuard.Core.Sweep.SweepPlanner.BatchSize:N0} batches, {waves:F0} waves of {Workers} workers x {batchSeconds:F1} s = {minutes:F1} min (target <= 10 min): {(minutes <= 10 ? "MET" : "NOT MET")}");
        }
        finally
        {
            await dynamo.DeleteTableAsync(table);
        }
    }

    /// <summary>The runtime process's resident set now (VmRSS), for growth from one batch to the next.</summary>
    private static double ResidentMb(LambdaEmulator lambda)
    {
        var line = File.ReadLines($"/proc/{lambda.RuntimeProcessId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }
}
