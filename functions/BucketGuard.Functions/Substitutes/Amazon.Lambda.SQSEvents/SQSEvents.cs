// Stands in for the NuGet package Amazon.Lambda.SQSEvents (3.0.0), which this project's registry does not serve. Same
// namespace, type and member names (SQSEvent, SQSEvent.SQSMessage, SQSBatchResponse, SQSBatchResponse.BatchItemFailure)
// and the same JSON names on the response, so the swap is: delete this folder, add the package. Only the message members
// BucketGuard reads are here (the package also has Md5OfBody, Md5OfMessageAttributes, MessageAttributes).
namespace Amazon.Lambda.SQSEvents
{
    using System.Collections.Generic;

    /// <summary>The event Lambda's SQS event source mapping invokes a function with (Lambda Developer Guide, "Using Lambda
    /// with Amazon SQS"): {"Records":[{"messageId","receiptHandle","body","attributes":{...},"eventSource",
    /// "eventSourceARN","awsRegion"}]}.</summary>
    public class SQSEvent
    {
        public List<SQSMessage> Records { get; set; } = null!;

        public class SQSMessage
        {
            public string MessageId { get; set; } = null!;

            public string ReceiptHandle { get; set; } = null!;

            public string Body { get; set; } = null!;

            public string EventSourceArn { get; set; } = null!;

            public string EventSource { get; set; } = null!;

            public string AwsRegion { get; set; } = null!;

            /// <summary>ApproximateReceiveCount, SentTimestamp...: all strings.</summary>
            public Dictionary<string, string> Attributes { get; set; } = null!;
        }
    }

    /// <summary>The answer that retries only the messages that failed (ReportBatchItemFailures on the mapping).</summary>
    public class SQSBatchResponse
    {
        public SQSBatchResponse()
            : this(new List<BatchItemFailure>())
        {
        }

        public SQSBatchResponse(List<BatchItemFailure> batchItemFailures)
        {
            BatchItemFailures = batchItemFailures;
        }

        [System.Text.Json.Serialization.JsonPropertyName("batchItemFailures")]
        public List<BatchItemFailure> BatchItemFailures { get; set; }

        public class BatchItemFailure
        {
            [System.Text.Json.Serialization.JsonPropertyName("itemIdentifier")]
            public string ItemIdentifier { get; set; } = null!;
        }
    }
}
