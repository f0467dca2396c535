using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BucketGuard.Aws;
using BucketGuard.Core.Decisions;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Sweep;
using BucketGuard.Core.Reports;

namespace BucketGuard.Benchmarks;

/// <summary>Audits N buckets created in the local Ceph RGW (a quarter each private, public ACL, public policy,
/// exempted public) with the sweep's code, one at a time and then in parallel, and counts every S3 request.
/// Needs the local AWS running: eval "$(infra/local/start | grep '^export ')".</summary>
public static class AuditBenchmark
{
    public const double TargetSpeedup = 10;

    /// <summary>Buckets in flight: a lazy read takes two round trips for a public bucket, so twice the sweep default.</summary>
    public const int Parallelism = 64;

    public static async Task<int> RunAsync(int count, TextWriter output)
    {
        if (AwsEndpoints.Configured("S3") is null)
        {
            Console.Error.WriteLine("audit benchmark: AWS_ENDPOINT_URL_S3 is not set; run it against the local AWS (infra/local/start)");
            return 2;
        }

        var requests = new Counter();
        using var s3 = AwsClients.CreateS3(configure: c => c.HttpClientFactory = new CountingFactory(requests));
        var prefix = "bg-bench-" + Guid.NewGuid().ToString("n")[..6] + "-";
        var names = Enumerable.Range(0, count).Select(i => prefix + i.ToString("D5", CultureInfo.InvariantCulture)).ToList();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) => await CreateAsync(s3, name, ct));
        output.WriteLine($"created {count} buckets in {clock.Elapsed.TotalSeconds:F1} s");
        try
        {
            var credentials = DefaultAWSCredentialsIdentityResolverShim.Get();
            var signed = new SignedHttp(new HttpClient(new CountingHandler(requests)), credentials);
            var reader = new S3BucketStateReader(s3, readPolicyStatus: false, signed, (AmazonS3Config)s3.Config, lazy: true);
            var policy = RemediationPolicy.Default with { TrustS3PolicyStatus = false };
            var sweeper = new Sweeper(new PrefixLister(new S3BucketLister(s3), prefix), new PipelinePorts(reader, new S3PublicAccessBlockWriter(s3, reader)) { Objects = reader, AccessPoints = reader }, null, policy, TimeProvider.System);

            var (oneSeconds, _, oneReport) = await MeasureAsync(sweeper, 1, requests);
            var (manySeconds, manyRequests, manyReport) = await MeasureAsync(sweeper, Parallelism, requests);
            var speedup = oneSeconds / manySeconds;
            output.WriteLine($"one at a time:     {count / oneSeconds,8:F0} buckets/s ({oneSeconds:F1} s)");
            output.WriteLine($"{Parallelism} in parallel:    {count / manySeconds,8:F0} buckets/s ({manySeconds:F1} s)");
            output.WriteLine($"S3 requests per bucket: {(double)manyRequests / manyReport.Seen:F2} (list pages included)");
            output.WriteLine($"public found: {manyReport.Public} of {manyReport.Seen} (expected {count - (count + 3) / 4}); agreement with the sequential run: {oneReport.Public == manyReport.Public}");
            output.WriteLine($"speedup: {speedup:F1}x (target >= {TargetSpeedup:F0}x): {(speedup >= TargetSpeedup ? "MET" : "NOT MET")}");
            return speedup >= TargetSpeedup ? 0 : 1;
        }
        finally
        {
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) => await s3.DeleteBucketAsync(name, ct));
        }
    }

    private static async Task<(double Seconds, long Requests, SweepReport Report)> MeasureAsync(Sweeper sweeper, int concurrency, Counter requests)
    {
        var before = requests.Value;
        var clock = Stopwatch.StartNew();
        var report = await sweeper.RunAsync(null, act: false, concurrency);
        return (clock.Elapsed.TotalSeconds, requests.Value - before, report);
    }

    internal static async Task CreateAsync(IAmazonS3 s3, string name, CancellationToken ct)
    {
        await s3.PutBucketAsync(name, ct);
        var kind = int.Parse(name[^5..], CultureInfo.InvariantCulture) % 4;
        if (kind is 1 or 3)
        {
            await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = name, ACL = S3CannedACL.PublicRead }, ct);
        }

        if (kind == 2)
        {
            await s3.PutBucketPolicyAsync(new PutBucketPolicyRequest
            {
                BucketName = name,
                Policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{name}}/*"}]}""",
            }, ct);
        }

        if (kind == 3)
        {
            await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest
            {
                BucketName = name,
                TagSet =
                [
                    new() { Key = "bucketguard:exempt-until", Value = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
                    new() { Key = "bucketguard:exempt-scope", Value = "read-list" },
                    new() { Key = "bucketguard:exempt-reason", Value = "benchmark" },
                ],
            }, ct);
        }
    }

    private sealed class Counter
    {
        private long value;

        public long Value => Interlocked.Read(ref value);

        public void Add() => Interlocked.Increment(ref value);
    }

    private sealed class CountingHandler(Counter counter) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Add();
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class CountingFactory(Counter counter) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new CountingHandler(counter));
    }

    private sealed class PrefixLister(IBucketLister inner, string prefix) : IBucketLister
    {
        public async IAsyncEnumerable<BucketRef> ListAsync(string? account, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var bucket in inner.ListAsync(account, cancellationToken))
            {
                if (bucket.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return bucket;
                }
            }
        }
    }

    private static class DefaultAWSCredentialsIdentityResolverShim
    {
        public static AWSCredentials Get() => Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials();
    }
}
