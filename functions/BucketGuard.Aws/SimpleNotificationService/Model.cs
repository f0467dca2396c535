// Stands in for AWSSDK.SimpleNotificationService, which this project's NuGet registry does not serve.
// The types mirror that package's public shape (Amazon.SimpleNotificationService.Model: PublishRequest,
// PublishResponse, MessageAttributeValue, CreateTopicRequest/Response, SubscribeRequest/Response), so the swap
// is a package reference and deleting this folder. As in AWSSDK v4, collections are null until set.
namespace Amazon.SimpleNotificationService.Model;

public sealed class MessageAttributeValue
{
    public string? DataType { get; set; }

    public string? StringValue { get; set; }
}

public sealed class PublishRequest
{
    public string? TopicArn { get; set; }

    public string? Message { get; set; }

    public string? Subject { get; set; }

    /// <summary>"json" when Message holds one message per protocol ({"default": ..., "email": ..., "sqs": ...}).</summary>
    public string? MessageStructure { get; set; }

    public Dictionary<string, MessageAttributeValue>? MessageAttributes { get; set; }
}

public sealed class PublishResponse
{
    public string? MessageId { get; set; }
}

public sealed class CreateTopicRequest
{
    public string? Name { get; set; }
}

public sealed class CreateTopicResponse
{
    public string? TopicArn { get; set; }
}

public sealed class SubscribeRequest
{
    public string? TopicArn { get; set; }

    public string? Protocol { get; set; }

    public string? Endpoint { get; set; }

    public Dictionary<string, string>? Attributes { get; set; }
}

public sealed class SubscribeResponse
{
    public string? SubscriptionArn { get; set; }
}

public sealed class DeleteTopicRequest
{
    public string? TopicArn { get; set; }
}
