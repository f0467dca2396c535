using System.Text.Json.Nodes;
using BucketGuard.Functions;
using BucketGuard.LocalLambda;

namespace BucketGuard.IntegrationTests;

/// <summary>The template's event patterns judged by a real EventBridge pattern matcher, not by comparing lists: the
/// rules SAM's translator makes from serverless.template are created in the local moto server with an SQS target each,
/// and every sample event is put on the bus. Each must reach exactly the queue of the handler the routing table
/// (Handlers.EventNames) gives it; other services' events and S3 calls that change no exposure must reach none.
/// (moto 5.2.1's TestEventPattern is a stub, see MotoFactsTests; its rule routing is real.)</summary>
[Collection(LocalAwsCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EventPatternTests
{
    private static JsonObject TransformedResources() => SamTransform.Resources(LocalAws.RepositoryRoot);

    private static JsonObject Entry(JsonNode @event, string bus) => new()
    {
        ["Source"] = @event["source"]!.GetValue<string>(),
        ["DetailType"] = @event["detail-type"]!.GetValue<string>(),
        ["Detail"] = @event["detail"]!.ToJsonString(),
        ["EventBusName"] = bus,
    };

    [Fact]
    public async Task Every_sample_event_reaches_exactly_its_handlers_rule_and_unrelated_events_reach_none()
    {
        var resources = TransformedResources();
        var bus = LocalAws.UniqueName("bg-bus");
        await MotoClient.OkAsync("events", "AWSEvents.CreateEventBus", new JsonObject { ["Name"] = bus });
        var queues = new Dictionary<string, string>(StringComparer.Ordinal); // handler -> queue URL
        foreach (var (name, rule) in resources.Where(r => r.Value!["Type"]!.GetValue<string>() == "AWS::Events::Rule" && r.Value["Properties"]!["EventPattern"] is not null))
        {
            var function = rule!["Properties"]!["Targets"]![0]!["Arn"]!["Fn::GetAtt"]![0]!.GetValue<string>();
            var handler = resources[function]!["Properties"]!["Handler"]!.GetValue<string>();
            var queueUrl = (await MotoClient.OkAsync("sqs", "AmazonSQS.CreateQueue", new JsonObject { ["QueueName"] = LocalAws.UniqueName("bg-" + handler.Replace("-", string.Empty, StringComparison.Ordinal)) }, "1.0"))["QueueUrl"]!.GetValue<string>();
            var queueArn = (await MotoClient.OkAsync("sqs", "AmazonSQS.GetQueueAttributes", new JsonObject { ["QueueUrl"] = queueUrl, ["AttributeNames"] = new JsonArray("QueueArn") }, "1.0"))["Attributes"]!["QueueArn"]!.GetValue<string>();
            var ruleName = LocalAws.UniqueName(name.ToLowerInvariant()[..Math.Min(20, name.Length)]);
            await MotoClient.OkAsync("events", "AWSEvents.PutRule", new JsonObject { ["Name"] = ruleName, ["EventBusName"] = bus, ["EventPattern"] = rule["Properties"]!["EventPattern"]!.ToJsonString() });
            await MotoClient.OkAsync("events", "AWSEvents.PutTargets", new JsonObject { ["Rule"] = ruleName, ["EventBusName"] = bus, ["Targets"] = new JsonArray(new JsonObject { ["Id"] = "q", ["Arn"] = queueArn }) });
            queues[handler] = queueUrl;
        }

        Assert.Equal(Handlers.EventNames.Keys.Order(StringComparer.Ordinal), queues.Keys.Order(StringComparer.Ordinal));

        // Every sample, tagged with its file name so that each arrival can be traced back.
        var expected = new Dictionary<string, string?>(StringComparer.Ordinal);
        var entries = new JsonArray();
        foreach (var file in Directory.GetFiles(Path.Combine(LocalAws.RepositoryRoot, "events"), "*.json").Order(StringComparer.Ordinal))
        {
            var @event = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            var id = Path.GetFileName(file);
            @event["detail"]!["eventID"] = id;
            var eventName = @event["detail"]!["eventName"]!.GetValue<string>();
            expected[id] = Handlers.EventNames.Single(h => h.Value.Contains(eventName)).Key; // a failed call (errorCode) is delivered too: its handler skips it
            entries.Add(Entry(@event, bus));
        }

        foreach (var (id, source, detailType, eventName) in new[]
        {
            ("s3-getobject", "aws.s3", "AWS API Call via CloudTrail", "GetObject"),
            ("s3-listbuckets", "aws.s3", "AWS API Call via CloudTrail", "ListBuckets"),
            ("ec2-authorize", "aws.ec2", "AWS API Call via CloudTrail", "AuthorizeSecurityGroupIngress"),
            ("s3-object-created", "aws.s3", "Object Created", "PutBucketAcl"),
        })
        {
            expected[id] = null;
            entries.Add(new JsonObject
            {
                ["Source"] = source,
                ["DetailType"] = detailType,
                ["Detail"] = new JsonObject { ["eventSource"] = source == "aws.s3" ? "s3.amazonaws.com" : "ec2.amazonaws.com", ["eventName"] = eventName, ["eventID"] = id }.ToJsonString(),
                ["EventBusName"] = bus,
            });
        }

        foreach (var chunk in entries.Select(e => e!.DeepClone()).Chunk(10)) // PutEvents takes at most 10 entries
        {
            var put = await MotoClient.OkAsync("events", "AWSEvents.PutEvents", new JsonObject { ["Entries"] = new JsonArray(chunk) });
            Assert.Equal(0, put["FailedEntryCount"]!.GetValue<int>());
        }

        var arrived = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (handler, url) in queues)
        {
            var received = await MotoClient.OkAsync("sqs", "AmazonSQS.ReceiveMessage", new JsonObject { ["QueueUrl"] = url, ["MaxNumberOfMessages"] = 10, ["WaitTimeSeconds"] = 1 }, "1.0");
            foreach (var message in received["Messages"]?.AsArray() ?? [])
            {
                var id = JsonNode.Parse(message!["Body"]!.GetValue<string>())!["detail"]!["eventID"]!.GetValue<string>();
                (arrived.TryGetValue(id, out var list) ? list : arrived[id] = []).Add(handler);
            }
        }

        foreach (var (id, handler) in expected)
        {
            var at = arrived.GetValueOrDefault(id) ?? [];
            Assert.True(handler is null ? at.Count == 0 : at.SequenceEqual([handler]), $"{id} reached [{string.Join(", ", at)}], expected [{handler}]");
        }
    }
}
