using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace BucketGuard.IntegrationTests;

/// <summary>Test tooling: the few SQS calls the tests need, in SQS's JSON 1.0 protocol (the only one fauxqs
/// speaks). Unsigned: fauxqs does not verify signatures, and the product never calls SQS itself (its queues are
/// EventBridge and Lambda dead-letter targets).</summary>
public sealed class SqsTestClient(Uri endpoint)
{
    private static readonly HttpClient Http = new();

    public async Task<(string Url, string Arn)> CreateQueueAsync(string name)
    {
        var created = await CallAsync("CreateQueue", new JsonObject { ["QueueName"] = name });
        var url = created["QueueUrl"]!.GetValue<string>();
        var attributes = await CallAsync("GetQueueAttributes", new JsonObject { ["QueueUrl"] = url, ["AttributeNames"] = new JsonArray("QueueArn") });
        return (url, attributes["Attributes"]!["QueueArn"]!.GetValue<string>());
    }

    /// <summary>Receives what arrives within <paramref name="wait"/>, deleting nothing (each test owns its queue).</summary>
    public async Task<List<JsonObject>> ReceiveAsync(string queueUrl, TimeSpan wait, int atLeast = 1)
    {
        var messages = new List<JsonObject>();
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline && messages.Count < atLeast)
        {
            var received = await CallAsync("ReceiveMessage", new JsonObject { ["QueueUrl"] = queueUrl, ["MaxNumberOfMessages"] = 10, ["WaitTimeSeconds"] = 1, ["MessageAttributeNames"] = new JsonArray("All") });
            foreach (var message in received["Messages"]?.AsArray() ?? [])
            {
                messages.Add(message!.AsObject());
            }
        }

        return messages;
    }

    public Task SendMessageAsync(string queueUrl, string body) => CallAsync("SendMessage", new JsonObject { ["QueueUrl"] = queueUrl, ["MessageBody"] = body });

    public Task DeleteQueueAsync(string queueUrl) => CallAsync("DeleteQueue", new JsonObject { ["QueueUrl"] = queueUrl });

    private async Task<JsonObject> CallAsync(string action, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.Add("X-Amz-Target", "AmazonSQS." + action);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"SQS {action}: {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }
}
