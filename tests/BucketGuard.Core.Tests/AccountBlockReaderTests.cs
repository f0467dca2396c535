using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using BucketGuard.Aws;
using BucketGuard.Core;

namespace BucketGuard.Tests;

/// <summary>The account-level Block Public Access reader (S3 Control GetPublicAccessBlock): the sweep reads each account's
/// block once per reuse interval, however many of its buckets are read at once; events read it anew each time.</summary>
public class AccountBlockReaderTests
{
    private sealed class FakeS3Control : HttpMessageHandler
    {
        private int requests;

        public int Requests => Volatile.Read(ref requests);

        public List<string> Accounts { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref requests);
            lock (Accounts)
            {
                Accounts.Add(request.Headers.GetValues("x-amz-account-id").Single());
            }

            await Task.Delay(20, cancellationToken); // long enough for parallel reads to overlap
            const string Xml = "<PublicAccessBlockConfiguration xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(Xml, Encoding.UTF8, "application/xml") };
        }
    }

    private static AccountPublicAccessBlockReader Reader(FakeS3Control fake, TimeSpan reuse) =>
        new(new SignedHttp(new HttpClient(fake), new BasicAWSCredentials("AKIDEXAMPLE", "secret")), new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.EUWest1 }, new Uri("https://s3-control.example.test/"))
        {
            Reuse = reuse,
        };

    private static Task<PublicAccessBlock?[]> ReadManyAsync(AccountPublicAccessBlockReader reader, string account, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => reader.ReadAsync(account, CancellationToken.None)));

    [Fact]
    public async Task The_sweep_reads_each_accounts_block_once_however_many_of_its_buckets_are_read_in_parallel()
    {
        var fake = new FakeS3Control();
        var reader = Reader(fake, AccountPublicAccessBlockReader.SweepReuse);

        var first = await ReadManyAsync(reader, "111122223333", 32);
        var again = await ReadManyAsync(reader, "111122223333", 8);
        var other = await ReadManyAsync(reader, "222233334444", 8);

        Assert.All(first.Concat(again).Concat(other), block => Assert.Equal(new PublicAccessBlock(true, true, false, false), block));
        Assert.Equal(["111122223333", "222233334444"], fake.Accounts);
    }

    [Fact]
    public async Task An_event_reads_the_accounts_block_anew_every_time()
    {
        var fake = new FakeS3Control();
        var reader = Reader(fake, TimeSpan.Zero);

        await ReadManyAsync(reader, "111122223333", 5);
        await reader.ReadAsync("111122223333", CancellationToken.None);

        Assert.Equal(6, fake.Requests);
    }

    [Fact]
    public async Task A_read_older_than_the_reuse_interval_is_made_again()
    {
        var fake = new FakeS3Control();
        var reader = Reader(fake, TimeSpan.FromMilliseconds(1));

        await reader.ReadAsync("111122223333", CancellationToken.None);
        await Task.Delay(30);
        await reader.ReadAsync("111122223333", CancellationToken.None);

        Assert.Equal(2, fake.Requests);
    }
}
