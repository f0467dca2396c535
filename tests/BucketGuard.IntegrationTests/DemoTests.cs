using System.Diagnostics;
using System.Text.Json.Nodes;

namespace BucketGuard.IntegrationTests;

/// <summary>The demo (README's one command) must never show a notification that is not about the bucket it is showing:
/// run against a queue that already holds an earlier run's notification, it stops with an error instead of passing.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DemoTests(LocalAws aws)
{
    [Fact]
    public async Task The_demo_fails_loudly_when_the_notification_it_reads_belongs_to_another_bucket()
    {
        var queueName = LocalAws.UniqueName("bg-demo-stale");
        var (queueUrl, _) = await aws.Sqs.CreateQueueAsync(queueName);
        var stale = new JsonObject
        {
            ["Type"] = "Notification",
            ["Subject"] = "BucketGuard locked bg-demo-1 (public list)",
            ["Message"] = """{"default":"{}","email":"an earlier run's notification"}""",
            ["MessageAttributes"] = new JsonObject { ["bucket"] = new JsonObject { ["Type"] = "String", ["Value"] = "bg-demo-1" } },
        };
        await aws.Sqs.SendMessageAsync(queueUrl, stale.ToJsonString());
        var start = new ProcessStartInfo("bash", [Path.Combine(LocalAws.RepositoryRoot, "infra", "local", "demo")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = LocalAws.RepositoryRoot,
        };
        start.Environment["BG_DEMO_QUEUE"] = queueName;

        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));

        Assert.NotEqual(0, demo.ExitCode);
        Assert.Contains("the notification read is about bucket \"bg-demo-1\"", await stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Demo complete", await stdout, StringComparison.Ordinal);
        await aws.Sqs.DeleteQueueAsync(queueUrl);
    }
}
