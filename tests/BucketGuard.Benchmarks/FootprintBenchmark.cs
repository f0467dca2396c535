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
/// an event function locking a public bucket cold, then warm re-reads; the sweep over N buckets with its default
/// concurrency.</summary>
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

            // The sweep over N buckets (a quarter private, the rest public by ACL or policy, a quarter of those exempt).
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) => await AuditBenchmark.CreateAsync(s3, name, ct));
            await using var sweep = await LambdaEmulator.StartAsync(new FunctionOptions("bucketguard-sweep", bootstrap, "sweep", 900, 512, "us-east-1", "111122223333", environment));
            var clock = Stopwatch.StartNew();
            var (status, body, error) = await sweep.InvokeAsync("""{"account":"111122223333"}""");
            var seconds = clock.Elapsed.TotalSeconds;
            if (status != 200 || error is not null)
            {
                throw new InvalidOperationException($"sweep failed: {status} {error} {body}");
            }

            var answer = JsonNode.Parse(body)!;
            var seen = answer["seen"]!.GetValue<int>();
            output.WriteLine($"sweep: {seen} buckets ({answer["locked"]} locked) in {seconds:F1} s = {seen / seconds:F0} buckets/s; peak memory {PeakMb(sweep):F0} MB");
            output.WriteLine($"sweep at this rate within its 900 s timeout less the 60 s reserve: ~{seen / seconds * 840:F0} buckets per invocation (an unfinished sweep answers where to resume)");
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
}
