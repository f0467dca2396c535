using System.Text;
using Amazon.Lambda.Core;
using BucketGuard.Core.Json;
using BucketGuard.Core.Remediation;

namespace BucketGuard.Functions;

/// <summary>The scheduled sweep: every bucket through the same decision as an event, then one summary notification.
/// It stops starting new buckets a minute before the deadline and answers with where to continue; invoking it with
/// {"continueAfter": "NAME"} resumes there.</summary>
public sealed class SweepHandler(Sweeper sweeper, int concurrency, TimeProvider clock)
{
    private static readonly TimeSpan Reserve = TimeSpan.FromSeconds(60);

    public async Task<Stream> HandleAsync(Stream input, ILambdaContext context)
    {
        string? account = null, continueAfter = null;
        using (var reader = new StreamReader(input, Encoding.UTF8))
        {
            var text = await reader.ReadToEndAsync().ConfigureAwait(false);
            if (JsonRead.TryParse(text, out var document, out _))
            {
                using (document)
                {
                    account = document!.RootElement.TextOf("account");
                    continueAfter = document.RootElement.TextOf("continueAfter");
                }
            }
        }

        var report = await sweeper.RunAsync(account, act: true, concurrency, startAfter: continueAfter,
            timeIsShort: () => context.RemainingTime < Reserve).ConfigureAwait(false);
        var line = $$"""{"level":"info","message":"sweep","requestId":"{{context.AwsRequestId}}","seen":{{report.Seen}},"public":{{report.Public}},"locked":{{report.Locked}},"exempted":{{report.Exempted}},"errors":{{report.Errors}},"completed":{{(report.Completed ? "true" : "false")}}}""";
        context.Logger.LogLine(line);
        context.Logger.LogLine($$"""{"_aws":{"Timestamp":{{clock.GetUtcNow().ToUnixTimeMilliseconds()}},"CloudWatchMetrics":[{"Namespace":"BucketGuard","Dimensions":[["Handler"]],"Metrics":[{"Name":"SweptBuckets","Unit":"Count"},{"Name":"Remediated","Unit":"Count"},{"Name":"Failed","Unit":"Count"}]}]},"Handler":"sweep","SweptBuckets":{{report.Seen}},"Remediated":{{report.Locked}},"Failed":{{report.Errors}}}""");
        // The answer is the summary's document (seen, public, locked, exempted, expiring, errors, continueAfter).
        return new MemoryStream(Encoding.UTF8.GetBytes(Sweeper.Summary(report, account).Document));
    }
}
