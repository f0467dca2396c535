using Amazon.SimpleNotificationService;
using Amazon.SimpleNotificationService.Model;
using BucketGuard.Core.Pipeline;
using BucketGuard.Core.Reports;

namespace BucketGuard.Aws;

/// <summary>Publishes notifications to the one BucketGuard topic with MessageStructure=json: text for e-mail, the
/// JSON document for every other protocol, and the attributes for subscription filter policies.</summary>
public sealed class SnsNotifier(AmazonSimpleNotificationServiceClient sns, string topicArn) : INotifier
{
    public async Task<string?> PublishAsync(Notification notification, CancellationToken cancellationToken)
    {
        var request = new PublishRequest
        {
            TopicArn = topicArn,
            Subject = notification.Subject,
            Message = notification.StructuredMessage,
            MessageStructure = "json",
            MessageAttributes = notification.Attributes.ToDictionary(
                a => a.Key, a => new MessageAttributeValue { DataType = "String", StringValue = a.Value }, StringComparer.Ordinal),
        };

        return (await sns.PublishAsync(request, cancellationToken).ConfigureAwait(false)).MessageId;
    }
}
