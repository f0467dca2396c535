using System.Text;
using Amazon.Lambda.Core;
using BucketGuard.Core.Reports;
using BucketGuard.Core.Sweep;

namespace BucketGuard.Functions;

/// <summary>The scheduled sweep: every bucket of the function's account, then of each member account the schedule names,
/// through the same decision as an event, with one summary notification per account. It stops starting new buckets a
/// minute before the deadline and answers with where to continue: invoking it with its answer resumes there.</summary>
public sealed class SweepHandler(Sweeper sweeper, int concurrency, TimeProvider clock)
{
    private static readonly TimeSpan Reserve = TimeSpan.FromSeconds(60);

    public async Task<Stream> HandleAsync(Stream input, ILambdaContext context)
    {
        string text;
        using (var reader = new StreamReader(input, Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        var request = SweepRequest.Parse(text);
        var report = await sweeper.RunAsync(request, concurrency, timeIsShort: () => context.RemainingTime < Reserve).ConfigureAwait(false);
        foreach (var (account, swept) in report.Accounts)
        {
            LambdaLog.Write(context, DecisionRecord.SweepLine(context.AwsRequestId, account, swept, clock.GetUtcNow()));
        }

        LambdaLog.Write(context, DecisionRecord.SweepMetrics(report, clock.GetUtcNow(), "warn"));
        return new MemoryStream(Encoding.UTF8.GetBytes(report.Document(request)));
    }
}
